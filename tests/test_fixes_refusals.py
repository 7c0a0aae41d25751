"""Fix templates refuse what they must not do and say so when there is nothing to change."""

from __future__ import annotations

import pytest
from fixes_kit import OWNERSHIP, WF, load_repo
from pydantic import ValidationError

from tools.fixes import NotApplicable, apply_template


@pytest.mark.parametrize("action", ["actions/upload-artifact", "actions/download-artifact"])
def test_action_version_refuses_downgrade_to_artifact_v3(action):
    with pytest.raises(NotApplicable, match="2025-01-30"):
        apply_template("action_version", load_repo(), {"action": action, "version": "v3"})


def test_action_version_refuses_cache_v2():
    with pytest.raises(NotApplicable, match="cache service v2"):
        apply_template("action_version", load_repo(), {"action": "actions/cache", "version": "v2"})


def test_action_version_leaves_a_working_cache_v3_alone():
    with pytest.raises(NotApplicable, match="working refs are left alone"):
        apply_template("action_version", load_repo(), {"action": "actions/cache", "version": "v4"})


def test_action_version_never_downgrades_a_newer_major():
    text = "on: push\njobs:\n  b:\n    runs-on: ubuntu-22.04\n    steps:\n      - uses: actions/checkout@v5\n"
    with pytest.raises(NotApplicable, match="not downgrading"):
        apply_template(
            "action_version", {WF + "x.yml": text}, {"action": "actions/checkout", "version": "v4"}
        )


@pytest.mark.parametrize("missing", ["owner", "expires", "issue"])
def test_test_disable_refuses_without_owner_expiry_and_issue(missing):
    params = {"test": "FrameMetadataTest.CudaDeviceMemory", **OWNERSHIP}
    del params[missing]
    with pytest.raises(ValidationError, match=missing):
        apply_template("test_disable", load_repo(), params)


@pytest.mark.parametrize(("field", "value"), [("owner", ""), ("expires", "soon"), ("issue", "see slack")])
def test_test_disable_refuses_blank_or_malformed_ownership(field, value):
    with pytest.raises(ValueError):
        apply_template("test_disable", load_repo(), {"test": "basic", **OWNERSHIP, field: value})


NOT_APPLICABLE = [
    ("cache_key_bump", {"prefix": "Windows-vcpkg"}, "no actions/cache key"),
    (
        "action_version",
        {"action": "actions/upload-artifact", "version": "v4"},
        "no broken actions/upload-artifact",
    ),
    ("container_image", {"image": "nvidia/cuda:11.8.0-devel-ubuntu22.04"}, "no job container"),
    ("container_image", {"image": "ubuntu:24.04", "match": "ubuntu18"}, "no job container"),
    ("vcpkg_override", {"name": "boost", "version": "1.84.0"}, "already overridden"),
    ("vcpkg_dependency_add", {"name": "sfml"}, "already a dependency"),
    ("vcpkg_baseline", {"baseline": "a1c6d4f053281b8e961c24a0035903f5f9d66329"}, "already"),
    ("apt_package_add", {"package": "libtool"}, "already installed"),
    ("apt_package_add", {"package": "doxygen", "files": [WF + "CI-Linux.yml"]}, "no install command"),
    ("pip_package_add", {"package": "meson"}, "already installed"),
    ("absolute_path", {"files": [WF + "build-test-lin-container.yml"]}, "no relative"),
    ("env_set", {"variable": "CC", "value": "/usr/bin/gcc-11", "job": "build"}, "ambiguous"),
    (
        "env_set",
        {
            "variable": "TEST_EXE",
            "value": "build/aprapipesut",
            "job": "build",
            "files": [WF + "build-test.yml"],
        },
        "already",
    ),
    ("env_set", {"variable": "CC", "value": "gcc", "job": "linux-cuda-docker"}, "no job linux-cuda-docker"),
    ("timeout_minutes", {"minutes": 360, "job": "build"}, "already 360"),
    ("timeout_minutes", {"minutes": 30, "job": "build", "files": [WF + "build-test*.yml"]}, None),
    (
        "test_disable",
        {"test": "ModuleFactoryTest", "framework": "ctest", **OWNERSHIP, "file": WF + "CI-Linux.yml"},
        "not found",
    ),
    ("test_disable", {"test": "NoSuchTest", **OWNERSHIP}, "not found"),
    (
        "test_disable",
        {"test": "FrameMetadataTest.CudaDeviceMemory", "framework": "boost", **OWNERSHIP},
        "not found",
    ),
]


@pytest.mark.parametrize(
    ("name", "params", "why"), NOT_APPLICABLE, ids=[f"{c[0]}-{i}" for i, c in enumerate(NOT_APPLICABLE)]
)
def test_template_says_not_applicable_when_nothing_to_change(name, params, why):
    if why is None:  # several jobs named build: the one that already declares a timeout is meant
        assert [e.path for e in apply_template(name, load_repo(), params).edits] == [WF + "build-test.yml"]
        return
    with pytest.raises(NotApplicable, match=why):
        apply_template(name, load_repo(), params)


def test_deployment_workflow_is_left_alone_unless_named():
    repo = load_repo()
    with pytest.raises(NotApplicable):
        apply_template("apt_package_add", {WF + "doxy.yml": repo[WF + "doxy.yml"]}, {"package": "plantuml"})
    named = apply_template("apt_package_add", repo, {"package": "plantuml", "files": [WF + "doxy.yml"]})
    assert [e.path for e in named.edits] == [WF + "doxy.yml"]


def test_already_disabled_test_is_not_applicable():
    repo = load_repo()
    once = apply_template("test_disable", repo, {"test": "basic", **OWNERSHIP}).edits[0]
    with pytest.raises(NotApplicable, match="already disabled"):
        apply_template("test_disable", {**repo, once.path: once.new}, {"test": "basic", **OWNERSHIP})


def test_unknown_params_and_templates_are_rejected():
    with pytest.raises(ValidationError):
        apply_template("timeout_minutes", load_repo(), {"minutes": 30, "jobs": "build"})
    with pytest.raises(KeyError):
        apply_template("rewrite_everything", load_repo(), {})


def test_container_image_set_by_expression_is_not_applicable():
    text = "on: push\njobs:\n  b:\n    runs-on: ubuntu-22.04\n    container: ${{ inputs.image }}\n    steps:\n      - run: true\n"
    with pytest.raises(NotApplicable, match="expressions"):
        apply_template("container_image", {WF + "x.yml": text}, {"image": "ubuntu:22.04"})


def test_templates_only_see_files_they_may_touch():
    repo = {"README.md": "actions/cache@v3\n", WF + "doxy.yml": load_repo()[WF + "doxy.yml"]}
    with pytest.raises(NotApplicable):
        apply_template("action_version", repo, {"action": "actions/cache"})
