"""Reading every input format into run → jobs → steps → numbered, clean lines."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest

from agent.errors import BadInput
from agent.logs.reader import read_log
from evals.synth import StepSpec, render_job_log, run_layout, run_zip_bytes, write_run_layout

ERROR = "/home/runner/work/x/src/H264Decoder.cpp:57:5: error: 'frameSize' was not declared in this scope"
STEPS = [StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4"),
         StepSpec(name="Build", command="cmake --build build", lines=[ERROR], noise=40, failed=True)]


def _texts(run, step_name):
    step = next(s for s in run.steps if s.name == step_name)
    return [line.text for line in step.lines]


def _gh_output(job: str) -> str:
    """`gh run view --log` output built from the run layout's step files."""
    out = []
    for rel, text in run_layout({job: STEPS}).items():
        if "/" in rel:
            step = rel.split("/", 1)[1].split("_", 1)[1][:-4]
            out += [f"{job}\t{step}\t{line}" for line in text.splitlines()]
    return "\n".join(out) + "\n"


def test_a_run_log_zip_reads_into_jobs_and_the_step_files():
    run = read_log(run_zip_bytes({"build": STEPS, "lint": [StepSpec(name="Lint")]}))
    assert [job.name for job in run.jobs] == ["build", "lint"]
    assert [s.name for s in run.jobs[0].steps][:3] == ["Set up job", "Run actionscheckout@v4", "Build"]
    assert ERROR in _texts(run, "Build")


def test_a_zip_file_on_disk_and_a_directory_in_zip_layout_read_the_same(tmp_path):
    (tmp_path / "run.zip").write_bytes(run_zip_bytes({"build": STEPS}))
    write_run_layout(tmp_path / "dir", {"build": STEPS})
    from_zip, from_dir = read_log(tmp_path / "run.zip"), read_log(str(tmp_path / "dir"))
    assert [s.name for s in from_zip.steps] == [s.name for s in from_dir.steps]
    assert _texts(from_zip, "Build") == _texts(from_dir, "Build")


def test_a_job_log_without_step_files_is_split_on_group_run(tmp_path):
    path = tmp_path / "3_build.txt"
    path.write_text(render_job_log("build", STEPS), encoding="utf-8")
    run = read_log(path)
    assert run.jobs[0].name == "build"
    names = [s.name for s in run.steps]
    assert names[0] == "Set up job" and "Run actions/checkout@v4" in names and "Run cmake --build build" in names
    assert ERROR in _texts(run, "Run cmake --build build")


def test_lines_keep_their_original_line_numbers(tmp_path):
    text = render_job_log("build", STEPS)
    path = tmp_path / "build.txt"
    path.write_text(text, encoding="utf-8")
    wanted = next(i for i, line in enumerate(text.splitlines(), start=1) if ERROR in line)
    line = next(l for s in read_log(path).steps for l in s.lines if l.text == ERROR)
    assert line.number == wanted


def test_gh_run_view_output_reads_jobs_and_steps_from_its_columns(tmp_path):
    path = tmp_path / "gh.log"
    path.write_text(_gh_output("build (ubuntu-22.04)"), encoding="utf-8")
    run = read_log(path)
    assert [job.name for job in run.jobs] == ["build (ubuntu-22.04)"]
    assert ERROR in _texts(run, "Build")
    assert not any("\t" in line.text for s in run.steps for line in s.lines)


def test_stdin_is_read_when_the_source_is_a_dash():
    code = "from agent.logs.reader import read_log; r = read_log('-'); print(len(r.steps), r.jobs[0].name)"
    done = subprocess.run([sys.executable, "-c", code], input=run_zip_bytes({"build": STEPS}), capture_output=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split()[1] == "build"


def test_timestamps_ansi_and_bom_are_stripped():
    run = read_log(render_job_log("build", STEPS, ansi=True).encode("utf-8"))
    texts = [line.text for step in run.steps for line in step.lines]
    assert texts[0] == "Requested labels: ubuntu-22.04"
    assert not any("\x1b" in t or "\ufeff" in t or t[:4].isdigit() and "T" in t[:11] for t in texts)


@pytest.mark.parametrize("payload, message", [
    (b"", "empty"),
    (bytes(range(256)) * 40, "binary data"),
    (b"PK\x03\x04" + b"\x00" * 200, "corrupt zip"),
])
def test_unusable_input_is_one_clear_bad_input(payload, message):
    with pytest.raises(BadInput, match=message):
        read_log(payload)


@pytest.mark.parametrize("payload", [
    b"hello world\n",
    b"-- Configuring done\n/src/A.cpp:3:1: error: 'x' was not declared\nninja: build stopped\n",
    b"job\tstep without a timestamp column\n",
])
def test_text_that_is_not_an_actions_log_is_read_as_one_job_with_one_step(payload):
    run = read_log(payload)
    assert run.kind == "text"
    assert len(run.jobs) == 1 and len(run.steps) == 1
    assert [line.text for line in run.steps[0].lines] == payload.decode().splitlines()


def test_a_job_log_without_timestamps_is_read_when_it_carries_runner_markers():
    stamped = render_job_log("build", STEPS, ansi=False)
    bare = "\n".join(line.lstrip("\ufeff").split(" ", 1)[1] for line in stamped.splitlines()) + "\n"
    run = read_log(bare.encode("utf-8"))
    assert ERROR in _texts(run, "Run cmake --build build")


def test_a_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        read_log(tmp_path / "nope.zip")


def test_a_zip_without_job_logs_is_bad_input():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("picture.png", b"\x89PNG")
    with pytest.raises(BadInput, match="no job logs"):
        read_log(buffer.getvalue())
