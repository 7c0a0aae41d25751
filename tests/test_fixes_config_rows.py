"""Templates for config-level rows 19, 28, 30, 33: only the intended lines change, and they refuse safely."""

from __future__ import annotations

import pytest
from fixes_kit import WF, line_changes, load_repo

from agent.models import Edit
from tools.fixes import NotApplicable, apply_template
from tools.fixes.validate import validate_edits

PORTFILE = "thirdparty/arm64-overlay/opencv4/portfile.cmake"
OLD_HASH = (
    "31c00266d424905022d0fb48f16b5e760e6b39b0dfb9ac68bb60365097df1d1c"
    "38097891c82c47185b2f472dd4bce8ce92ccc6d1394ffe5e1b79772ebf99c858"
)
NEW_HASH = "ab" * 64
BANG = (
    "        if: ${{ !inputs.is-prep-phase }}\n        run: cmake",
    "        if: !inputs.is-prep-phase\n        run: cmake",
)
RUN_ID = (
    "      cuda: 'ON'\n  linux-cuda-docker:",
    "      cuda: 'ON'\n      run_id: ${{ github.run_id }}\n  linux-cuda-docker:",
)
TEST_RUN = "        run: ${{ env.TEST_EXE }} --log_format=JUNIT --log_sink=CI_test_result_${{ inputs.flav }}.xml -p -l all"


def repo_with(*changes: tuple[str, str, str]) -> dict[str, str]:
    """The fixture repository with (path, old, new) replacements, each of which must apply once."""
    repo = load_repo()
    for path, old, new in changes:
        assert repo[path].count(old) == 1, old
        repo[path] = repo[path].replace(old, new)
    return repo


def changes(repo: dict[str, str], name: str, params: dict) -> dict[str, tuple[list[str], list[str]]]:
    """Line changes per edited file; every edit starts from the file it was given."""
    result = apply_template(name, repo, params)
    assert all(edit.old == repo[edit.path] for edit in result.edits)
    return {e.path: line_changes(e.old, e.new) for e in result.edits}


CASES = [
    (
        "overlay_port_hash",
        (),
        {"port": "opencv4", "expected": OLD_HASH, "actual": NEW_HASH},
        {PORTFILE: ([f"    SHA512 {OLD_HASH}"], [f"    SHA512 {NEW_HASH}"])},
    ),
    (
        "overlay_port_hash",
        (),
        {"port": "opencv4", "expected": OLD_HASH.upper(), "actual": NEW_HASH.upper()},
        {PORTFILE: ([f"    SHA512 {OLD_HASH}"], [f"    SHA512 {NEW_HASH}"])},
    ),
    (
        "workflow_expression",
        ((WF + "build-test.yml", *BANG),),
        {},
        {
            WF + "build-test.yml": (
                ["        if: !inputs.is-prep-phase"],
                ["        if: ${{ !inputs.is-prep-phase }}"],
            )
        },
    ),
    (
        "reusable_input_format",
        ((WF + "CI-Linux.yml", *RUN_ID),),
        {"input": "run_id"},
        {
            WF + "CI-Linux.yml": (
                ["      run_id: ${{ github.run_id }}"],
                ["      run_id: ${{ format('{0}', github.run_id) }}"],
            )
        },
    ),
    (
        "xvfb_run",
        (),
        {"step_pattern": "Run tests", "files": [WF + "build-test.yml"]},
        {WF + "build-test.yml": ([TEST_RUN], [TEST_RUN.replace("run: ", "run: xvfb-run -a ")])},
    ),
    (
        "xvfb_run",
        (),
        {},
        {
            WF + "build-test.yml": ([TEST_RUN], [TEST_RUN.replace("run: ", "run: xvfb-run -a ")]),
            WF + "CI-CUDA-Tests.yml": (
                [
                    "        run: ./aprapipesut --run_test=cuda_tests --log_format=JUNIT --log_sink=cuda_results.xml -p"
                ],
                [
                    (
                        "        run: xvfb-run -a ./aprapipesut --run_test=cuda_tests --log_format=JUNIT"
                        " --log_sink=cuda_results.xml -p"
                    )
                ],
            ),
            WF + "build-test-lin-container.yml": (
                ["        ctest --output-on-failure --timeout 600 -E 'gtk_glue_tests|nvjpeg_perf'"],
                [
                    "        xvfb-run -a ctest --output-on-failure --timeout 600 -E 'gtk_glue_tests|nvjpeg_perf'"
                ],
            ),
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "edits", "params", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_config_row_template_changes_only_the_intended_lines(name, edits, params, expected):
    assert changes(repo_with(*edits), name, params) == expected


@pytest.mark.parametrize(
    ("name", "edits", "params"),
    [
        ("workflow_expression", ((WF + "build-test.yml", *BANG),), {}),
        ("reusable_input_format", ((WF + "CI-Linux.yml", *RUN_ID),), {"input": "run_id"}),
        ("xvfb_run", (), {"step_pattern": "Run tests", "files": [WF + "build-test.yml"]}),
    ],
)
def test_workflow_template_output_passes_schema_and_zizmor(name, edits, params):
    report = validate_edits(apply_template(name, repo_with(*edits), params).edits)
    assert report.ok, (report.problems, report.new_findings)


@pytest.mark.parametrize(
    ("name", "edits", "params", "why"),
    [
        (
            "overlay_port_hash",
            (),
            {"port": "opencv4", "expected": "cd" * 64, "actual": NEW_HASH},
            "declares SHA512",
        ),
        ("overlay_port_hash", (), {"port": "ffmpeg", "expected": OLD_HASH, "actual": NEW_HASH}, "ffmpeg"),
        ("overlay_port_hash", (), {"port": "opencv4", "expected": OLD_HASH, "actual": OLD_HASH}, "nothing"),
        ("workflow_expression", (), {}, "bare `!`"),
        ("reusable_input_format", (), {"input": "run_id"}, "run_id"),
        (
            "reusable_input_format",
            (
                (
                    WF + "CI-Linux.yml",
                    RUN_ID[0],
                    RUN_ID[1].replace("${{ github.run_id }}", "${{ format('{0}', github.run_id) }}"),
                ),
            ),
            {"input": "run_id"},
            "bare expression",
        ),
        (
            "xvfb_run",
            (),
            {"step_pattern": "^Deploy", "files": [WF + "build-test.yml"]},
            "no matching test step",
        ),
    ],
)
def test_config_row_template_refuses_when_there_is_nothing_to_fix(name, edits, params, why):
    with pytest.raises(NotApplicable, match=why):
        apply_template(name, repo_with(*edits), params)


def test_xvfb_run_is_idempotent():
    params = {"step_pattern": "Run tests", "files": [WF + "build-test.yml"]}
    once = {e.path: e.new for e in apply_template("xvfb_run", load_repo(), params).edits}
    with pytest.raises(NotApplicable, match="already under xvfb-run"):
        apply_template("xvfb_run", load_repo() | once, params)


def test_xvfb_run_skips_windows_and_macos_jobs():
    path = WF + "x.yml"
    text = "on: push\njobs:\n  win:\n    runs-on: windows-latest\n    steps:\n      - name: Run tests\n        run: ctest\n"
    with pytest.raises(NotApplicable):
        apply_template("xvfb_run", {path: text}, {})
    linux = text.replace("windows-latest", "ubuntu-22.04")
    assert "run: xvfb-run -a ctest" in apply_template("xvfb_run", {path: linux}, {}).edits[0].new


def test_xvfb_run_prefixes_the_first_command_of_a_block_after_setup_lines():
    path = WF + "x.yml"
    text = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-22.04\n    steps:\n      - name: Run tests\n        run: |\n"
        "          # headless box\n          cd build\n          export GDK_BACKEND=x11\n"
        "          ./aprapipesut \\\n            -p\n"
    )
    new = apply_template("xvfb_run", {path: text}, {}).edits[0].new
    assert new == text.replace("          ./aprapipesut", "          xvfb-run -a ./aprapipesut")


def test_workflow_expression_keeps_a_trailing_comment_and_crlf():
    path = WF + "x.yml"
    text = "on: push\r\njobs:\r\n  b:\r\n    runs-on: ubuntu-22.04\r\n    steps:\r\n      - run: make\r\n        if: !cancelled()  # keep\r\n"
    new = apply_template("workflow_expression", {path: text}, {}).edits[0].new
    assert new == text.replace("if: !cancelled()", "if: ${{ !cancelled() }}")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("overlay_port_hash", {"port": "../opencv4", "expected": OLD_HASH, "actual": NEW_HASH}),
        ("overlay_port_hash", {"port": "opencv4", "expected": OLD_HASH[:64], "actual": NEW_HASH}),
        ("reusable_input_format", {"input": "run id; rm -rf"}),
        ("xvfb_run", {"step_pattern": "  "}),
        ("workflow_expression", {"file": "x"}),
    ],
)
def test_bad_params_are_rejected_before_any_edit(name, params):
    with pytest.raises(ValueError):
        apply_template(name, load_repo(), params)


def test_overlay_port_hash_never_writes_outside_overlay_portfiles():
    repo = load_repo() | {"ports/opencv4/portfile.cmake": f"SHA512 {OLD_HASH}\n"}
    result = apply_template(
        "overlay_port_hash", repo, {"port": "opencv4", "expected": OLD_HASH, "actual": NEW_HASH}
    )
    assert [e.path for e in result.edits] == [PORTFILE]


def test_repairing_an_unloadable_workflow_is_checked_only_on_the_lines_it_changes():
    path = WF + "build-test.yml"
    broken = repo_with((path, *BANG))[path]
    repaired = broken.replace(BANG[1], BANG[0])
    assert validate_edits([Edit(path=path, old=broken, new=repaired)]).ok
    injected = repaired.replace(
        "        run: cmake --build",
        '        run: echo "${{ github.event.pull_request.title }}" && cmake --build',
    )
    report = validate_edits([Edit(path=path, old=broken, new=injected)])
    assert not report.ok and {f.rule for f in report.new_findings} == {"template-injection"}
