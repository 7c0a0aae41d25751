"""quarantine_test / release_quarantine: each runner's own exclusion, a note with expiry and issue, exact release."""

from __future__ import annotations

import pytest
from fixes_kit import line_changes
from fixes_upstream_kit import WF, upstream_repo

from tools.fixes import NotApplicable, apply_template
from tools.fixes.quarantine import quarantines
from tools.fixes.validate import validate_edits

LIN, CUDA = WF + "build-test-lin.yml", WF + "CI-CUDA-Tests.yml"
NOTE = "devops-agent quarantine: {test} ({fw}) until 2026-12-21 issue #42"
BASE = {"expires": "2026-12-21", "issue": "#42"}


def workflow(run: str) -> dict[str, str]:
    body = "".join(f"          {line}\n" for line in run.splitlines())
    return {".github/workflows/ci.yml": "name: CI\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - uses: actions/checkout@v4\n      - name: Run tests\n        run: |\n" + body}


def applied(files: dict[str, str], name: str, params: dict) -> dict[str, str]:
    result = apply_template(name, files, params)
    return {**files, **{e.path: e.new for e in result.edits}}


def test_boost_quarantine_on_the_real_aprapipes_workflow_appends_run_test_exclusions_and_a_note():
    repo = upstream_repo()
    params = {**BASE, "tests": ["nvmm_tests/encode_hang"], "framework": "boost", "files": [LIN]}
    result = apply_template("quarantine_test", repo, params)
    [edit] = result.edits
    removed, added = line_changes(edit.old, edit.new)
    assert removed == [
        ('          xvfb-run -a --server-args="-screen 0 1920x1080x24" ${{env.TEST_EXE}} --log_format=JUNIT '
         "--log_sink=CI_test_result_${{inputs.flav}}.xml -p -l all"),
        "          ${{env.TEST_EXE}} --log_format=JUNIT --log_sink=CI_test_result_${{inputs.flav}}.xml -p -l all"]
    assert added == [
        "          # " + NOTE.format(test="nvmm_tests/encode_hang", fw="boost"), removed[0] + " --run_test=!nvmm_tests/encode_hang",
        "          # " + NOTE.format(test="nvmm_tests/encode_hang", fw="boost"), removed[1] + " --run_test=!nvmm_tests/encode_hang"]
    report = validate_edits(result.edits)
    assert report.problems == [] and report.new_findings == []


def test_several_boost_tests_become_several_run_test_arguments_in_both_cuda_test_jobs():
    params = {**BASE, "tests": ["a/one", "b/two"], "framework": "boost", "command": "aprapipesut"}
    result = apply_template("quarantine_test", upstream_repo(), params)
    [edit] = result.edits
    assert edit.path == CUDA
    _, added = line_changes(edit.old, edit.new)
    runs = [line for line in added if "aprapipesut" in line]
    assert len(runs) == 2 and all(line.endswith(" -p -l all --run_test=!a/one --run_test=!b/two") for line in runs)
    assert sum("devops-agent quarantine:" in line for line in added) == 4


@pytest.mark.parametrize(("framework", "run", "tests", "expected"), [
    ("ctest", "ctest --test-dir build --output-on-failure", ["net.reconnect"],
     "ctest -E '^net\\.reconnect$' --test-dir build --output-on-failure"),
    ("ctest", "ctest --test-dir build -E '^slow$'", ["a", "b"], "ctest --test-dir build -E '^slow$|^a$|^b$'"),
    ("gtest", "./build/unit --gtest_output=xml:out.xml", ["Net.Reconnect", "Io.Read"],
     "./build/unit --gtest_output=xml:out.xml --gtest_filter=-Net.Reconnect:Io.Read"),
    ("gtest", "./build/unit --gtest_filter=Net.*-Net.Slow", ["Net.Reconnect"],
     "./build/unit --gtest_filter=Net.*-Net.Slow:Net.Reconnect"),
    ("pytest", "python -m pytest tests -q", ["tests/test_net.py::test_reconnect"],
     "python -m pytest tests -q --deselect tests/test_net.py::test_reconnect"),
])
def test_each_runner_gets_its_own_exclusion_and_the_release_restores_the_file_byte_for_byte(framework, run, tests,
                                                                                                   expected):
    files = workflow(f"make build\n{run}\necho done")
    quarantined = applied(files, "quarantine_test", {**BASE, "tests": tests, "framework": framework})
    text = quarantined[".github/workflows/ci.yml"]
    removed, added = line_changes(files[".github/workflows/ci.yml"], text)
    assert removed == [f"          {run}"]
    assert added == [f"          # {NOTE.format(test=t, fw=framework)}" for t in tests] + [f"          {expected}"]
    released = quarantined
    for test in tests:
        released = applied(released, "release_quarantine", {"test": test, "framework": framework})
    assert released == files


def test_release_removes_only_that_tests_exclusion_and_note():
    files = workflow("./build/unit --gtest_output=xml:o.xml")
    both = applied(files, "quarantine_test", {**BASE, "tests": ["A.B", "C.D"], "framework": "gtest"})
    one = applied(both, "release_quarantine", {"test": "A.B", "framework": "gtest"})
    text = one[".github/workflows/ci.yml"]
    assert "--gtest_filter=-C.D" in text and "A.B" not in text
    assert [q["test"] for q in quarantines(one)] == ["C.D"]


def test_quarantine_notes_are_found_with_test_expiry_issue_and_owner():
    files = applied(workflow("pytest -q"), "quarantine_test",
                    {**BASE, "tests": ["t/test_a.py::test_x"], "framework": "pytest", "owner": "dev1"})
    assert quarantines(files) == [{"test": "t/test_a.py::test_x", "framework": "pytest", "until": "2026-12-21",
                                   "issue": "#42", "owner": "dev1", "file": ".github/workflows/ci.yml"}]


def test_quarantining_twice_is_not_applicable():
    once = applied(workflow("ctest"), "quarantine_test", {**BASE, "tests": ["x"], "framework": "ctest"})
    with pytest.raises(NotApplicable):
        apply_template("quarantine_test", once, {**BASE, "tests": ["x"], "framework": "ctest"})


def test_no_runner_command_means_not_applicable():
    with pytest.raises(NotApplicable, match="no gtest test command"):
        apply_template("quarantine_test", workflow("make test"), {**BASE, "tests": ["A.B"], "framework": "gtest"})


@pytest.mark.parametrize("name", ["a; curl x | sh", "$(id)", "a b", "t.py::test[@admin]", "`x`"])
def test_a_test_name_with_shell_characters_is_refused(name):
    with pytest.raises(ValueError):
        apply_template("quarantine_test", workflow("ctest"), {**BASE, "tests": [name], "framework": "ctest"})


def test_releasing_a_test_that_is_not_quarantined_is_not_applicable():
    with pytest.raises(NotApplicable):
        apply_template("release_quarantine", workflow("ctest"), {"test": "x", "framework": "ctest"})
