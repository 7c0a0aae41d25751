"""Validation of edits: check-jsonschema on workflows and no new zizmor --offline finding."""

from __future__ import annotations

from fixes_kit import OWNERSHIP, WF, load_repo

from agent.models import Edit
from tools.fixes import apply_template
from tools.fixes.validate import Finding, new_findings, validate_edits

BUILD = WF + "build-test.yml"


def edited(path: str, old: str, new: str) -> Edit:
    assert old in load_repo()[path], "the test's anchor text must exist in the fixture"
    text = load_repo()[path]
    return Edit(path=path, old=text, new=text.replace(old, new, 1))


def test_fixture_workflows_pass_the_schema_as_shipped():
    repo = load_repo()
    edits = [Edit(path=p, old=None, new=t) for p, t in repo.items() if p.startswith(WF)]
    report = validate_edits(edits)
    assert report.problems == []
    assert len(edits) == 6


REAL_OUTPUTS = [
    ("cache_key_bump", {}),
    ("container_image", {"image": "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04", "bump_cache_key": True}),
    ("apt_package_add", {"package": "autoconf-archive"}),
    ("pip_package_add", {"package": "cmake>=3.30"}),
    ("absolute_path", {}),
    (
        "env_set",
        {"variable": "CC", "value": "/usr/bin/gcc-11", "job": "build", "files": [WF + "build-test*.yml"]},
    ),
    (
        "env_set",
        {
            "variable": "CUDAHOSTCXX",
            "value": "/usr/bin/g++-11",
            "files": [WF + "build-test-lin-container.yml"],
        },
    ),
    ("timeout_minutes", {"minutes": 120, "job": "build", "files": [WF + "build-test-macosx.yml"]}),
    ("test_disable", {"test": "ModuleFactoryTest", "framework": "ctest", **OWNERSHIP}),
    ("vcpkg_override", {"name": "libjpeg-turbo", "version": "3.0.4"}),
    ("vcpkg_baseline", {"baseline": "c" * 40}),
]


def test_validation_accepts_the_templates_real_outputs():
    edits = []
    for i, (name, params) in enumerate(REAL_OUTPUTS):  # one checker run: each output under its own file name
        for edit in apply_template(name, load_repo(), params).edits:
            folder, _, base = edit.path.rpartition("/")
            edits.append(edit.model_copy(update={"path": f"{folder}/{i}-{base}"}))
    report = validate_edits(edits)
    assert len(edits) >= len(REAL_OUTPUTS)
    assert report.ok, (report.problems, report.new_findings)


def test_validation_rejects_invalid_yaml():
    edit = edited(BUILD, "    timeout-minutes: 360", "    timeout-minutes: [360")
    report = validate_edits([edit])
    assert not report.ok and report.rejected == {BUILD}
    assert report.problems[0].check == "yaml"


def test_validation_rejects_an_unknown_job_key():
    edit = edited(BUILD, "    timeout-minutes: 360", "    timeout-minute: 360")
    report = validate_edits([edit])
    assert not report.ok and [p.check for p in report.problems] == ["schema"]
    assert "timeout-minute" in report.problems[0].message


def test_validation_rejects_a_new_template_injection():
    injected = '        run: git submodule status > submodule_ver.txt && echo "${{ github.event.pull_request.title }}"'
    edit = edited(BUILD, "        run: git submodule status > submodule_ver.txt", injected)
    report = validate_edits([edit])
    assert not report.ok and report.problems == []
    assert [f.rule for f in report.new_findings] == ["template-injection"]
    assert report.rejected == {BUILD}


def test_validation_drops_only_the_failing_file():
    good = apply_template("timeout_minutes", load_repo(), {"minutes": 330, "job": "build"}).edits[0]
    bad = edited(WF + "doxy.yml", "    runs-on: ubuntu-22.04", "    runs-on: ubuntu-22.04\n    stepz: []")
    report = validate_edits([good, bad])
    assert report.rejected == {WF + "doxy.yml"}


def test_validation_rejects_broken_json_but_does_not_schema_check_it():
    text = load_repo()["base/vcpkg.json"]
    report = validate_edits(
        [Edit(path="base/vcpkg.json", old=text, new=text.replace('"overrides": [', '"overrides": [,'))]
    )
    assert [p.check for p in report.problems] == ["json"]


def test_existing_findings_moved_by_an_edit_are_not_new():
    before = [Finding(path="a.yml", rule="artipacked", severity="Medium", route="jobs.b.steps.0")]
    after = [
        Finding(path="a.yml", rule="artipacked", severity="Medium", route="jobs.b.steps.0"),
        Finding(path="a.yml", rule="artipacked", severity="Medium", route="jobs.b.steps.0"),
    ]
    assert new_findings(before, before) == []
    assert new_findings(before, after) == after[1:]


def test_validation_reports_its_timings():
    report = validate_edits(apply_template("cache_key_bump", load_repo(), {}).edits)
    assert report.seconds > 0 and set(report.timings) == {"schema", "zizmor"}
