"""The log synthesizer writes real GitHub Actions framing, deterministically."""

import io
import re
import zipfile

from evals.synth import StepSpec, render_job_log, run_zip_bytes, write_run_layout
from evals.synth_noise import noise_lines

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z ")
ERROR_SHAPES = re.compile(r"(?i)error|fail|fatal|not found|killed|warning|restored|exceeded|denied|undefined")


def _steps(**build):
    return [StepSpec("Run actions/checkout@v4", uses="actions/checkout@v4"),
            StepSpec("Build", command="cmake --build build", noise=300, lines=["boom: the cause"],
                     failed=True, exit_code=2, noise_after=50, **build),
            StepSpec("Never runs", lines=["unreachable"])]


def test_job_log_opens_with_bom_and_every_line_is_timestamped():
    text = render_job_log("build", _steps(), seed=4)
    assert text.startswith("\ufeff") and "Requested labels: ubuntu-22.04" in text.splitlines()[0]
    assert all(STAMP.match(line) for line in text.lstrip("\ufeff").splitlines())


def test_failed_step_ends_with_exit_code_and_stops_later_steps_but_not_cleanup():
    text = render_job_log("build", _steps(), seed=4)
    assert "##[error]Process completed with exit code 2." in text
    assert "unreachable" not in text
    assert text.index("boom: the cause") < text.index("exit code 2") - 2000
    assert text.rstrip().endswith("Cleaning up orphan processes")
    assert "Post job cleanup." in text


def test_setup_job_names_os_image_permissions_and_action_shas():
    text = render_job_log("build", _steps(), seed=4, workflow=".github/workflows/CI-Linux.yml")
    for needle in ("##[group]Operating System", "##[group]Runner Image", "##[group]GITHUB_TOKEN Permissions",
                   "Job defined at: Apra-Labs/ApraPipes/.github/workflows/CI-Linux.yml@refs/heads/main",
                   "Waiting for a runner to pick up this job...", "Download action repository 'actions/checkout@v4' (SHA:"):
        assert needle in text


def test_continue_on_error_step_shows_error_yet_the_job_goes_on():
    steps = [StepSpec("Lint", lines=["x"], failed=True, continue_on_error=True),
             StepSpec("Build", lines=["reached"])]
    text = render_job_log("build", steps, seed=1)
    assert "exit code 1." in text and "reached" in text


def test_same_seed_same_bytes_and_different_seed_different_noise():
    assert run_zip_bytes({"build": _steps()}, seed=7) == run_zip_bytes({"build": _steps()}, seed=7)
    assert render_job_log("build", _steps(), seed=7) != render_job_log("build", _steps(), seed=8)


def test_noise_has_ansi_colour_and_no_error_shapes():
    lines = noise_lines(3000, "mixed", "s", ansi=True) + noise_lines(500, "test", "t") + noise_lines(300, "apt", "a")
    assert any("\x1b[32m" in line for line in lines)
    assert not [line for line in lines if ERROR_SHAPES.search(line)]


def test_run_layout_has_job_file_and_step_files(tmp_path):
    paths = write_run_layout(tmp_path, {"build": _steps()}, seed=2, labels="windows-latest")
    names = sorted(p.relative_to(tmp_path).as_posix() for p in paths)
    assert "1_build.txt" in names and "build/1_Set up job.txt" in names
    assert "build/2_Run actionscheckout@v4.txt" in names
    members = zipfile.ZipFile(io.BytesIO(run_zip_bytes({"build": _steps()}, seed=2))).namelist()
    assert set(members) == set(names)
