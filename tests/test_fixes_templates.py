"""Workflow fix templates on the ApraPipes-shaped fixtures: only the intended lines change."""

from __future__ import annotations

import pytest
from fixes_kit import APT_LINE, WF, changes_by_file, load_repo

from tools.fixes import TEMPLATES, apply_template

CASES = [
    (
        "cache_key_bump",
        {"prefix": "vcpkg", "files": [WF + "build-test.yml"]},
        {
            WF + "build-test.yml": (
                [
                    "          key: ${{ runner.os }}-vcpkg-4-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json', 'submodule_ver.txt') }}",
                    "            ${{ runner.os }}-vcpkg-4-",
                ],
                [
                    "          key: ${{ runner.os }}-vcpkg-5-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json', 'submodule_ver.txt') }}",
                    "            ${{ runner.os }}-vcpkg-5-",
                ],
            )
        },
    ),
    (
        "cache_key_bump",
        {"prefix": "LinuxD-vcpkg"},
        {
            WF + "build-test-lin-container.yml": (
                [
                    "        key: LinuxD-vcpkg-2-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json') }}",
                    "        restore-keys: LinuxD-vcpkg-2-",
                ],
                [
                    "        key: LinuxD-vcpkg-3-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json') }}",
                    "        restore-keys: LinuxD-vcpkg-3-",
                ],
            )
        },
    ),
    (
        "cache_key_bump",
        {"files": [WF + "build-test-macosx.yml"]},
        {
            WF + "build-test-macosx.yml": (
                [
                    "          key: \"${{ runner.os }}-vcpkg-3-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json') }}\"",
                    '          restore-keys: "${{ runner.os }}-vcpkg-3-"',
                ],
                [
                    "          key: \"${{ runner.os }}-vcpkg-4-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json') }}\"",
                    '          restore-keys: "${{ runner.os }}-vcpkg-4-"',
                ],
            )
        },
    ),
    (
        "container_image",
        {"image": "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04", "bump_cache_key": True},
        {
            WF + "build-test-lin-container.yml": (
                [
                    "    container: nvidia/cuda:11.8.0-devel-ubuntu22.04",
                    "        key: LinuxD-vcpkg-2-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json') }}",
                    "        restore-keys: LinuxD-vcpkg-2-",
                ],
                [
                    "    container: nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04",
                    "        key: LinuxD-vcpkg-3-${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json') }}",
                    "        restore-keys: LinuxD-vcpkg-3-",
                ],
            )
        },
    ),
    (
        "apt_package_add",
        {"package": "autoconf-archive", "files": [WF + "build-test.yml"]},
        {
            WF + "build-test.yml": (
                ["            python3-pip  # python3-venv comes with the image"],
                ["            python3-pip autoconf-archive  # python3-venv comes with the image"],
            )
        },
    ),
    (
        "apt_package_add",
        {"package": "autoconf-archive", "files": [WF + "build-test-lin-container.yml"]},
        {
            WF + "build-test-lin-container.yml": (
                [APT_LINE.format(extra="")],
                [APT_LINE.format(extra=" autoconf-archive")],
            )
        },
    ),
    (
        "pip_package_add",
        {"package": "cmake==3.30.1", "files": [WF + "build-test-lin-container.yml"]},
        {
            WF + "build-test-lin-container.yml": (
                ["        pip3 install cmake==3.29.6 meson"],
                ["        pip3 install cmake==3.30.1 meson"],
            )
        },
    ),
    (
        "pip_package_add",
        {"package": "cmake>=3.30", "files": [WF + "build-test.yml"]},
        {
            WF + "build-test.yml": (
                ["          pip3 install meson ninja"],
                ["          pip3 install meson ninja 'cmake>=3.30'"],
            )
        },
    ),
    (
        "absolute_path",
        {"files": [WF + "CI-CUDA-Tests.yml", WF + "build-test-macosx.yml"]},
        {
            WF + "CI-CUDA-Tests.yml": (
                ["      VCPKG_DEFAULT_BINARY_CACHE: ~/.cache/vcpkg   # self-hosted: must become absolute"],
                [
                    "      VCPKG_DEFAULT_BINARY_CACHE: ${{ github.workspace }}/../.cache/vcpkg   # self-hosted: must become absolute"
                ],
            ),
            WF + "build-test-macosx.yml": (
                ["  VCPKG_DEFAULT_BINARY_CACHE: $HOME/.cache/vcpkg"],
                ["  VCPKG_DEFAULT_BINARY_CACHE: ${{ github.workspace }}/../.cache/vcpkg"],
            ),
        },
    ),
    (
        "env_set",
        {"variable": "CC", "value": "/usr/bin/gcc-11", "job": "build", "files": [WF + "build-test.yml"]},
        {WF + "build-test.yml": ([], ["      CC: /usr/bin/gcc-11"])},
    ),
    (
        "env_set",
        {
            "variable": "TEST_EXE",
            "value": "build/aprapipesut2",
            "job": "build",
            "files": [WF + "build-test.yml"],
        },
        {
            WF + "build-test.yml": (
                ["      TEST_EXE: build/aprapipesut"],
                ["      TEST_EXE: build/aprapipesut2"],
            )
        },
    ),
    (
        "env_set",
        {
            "variable": "CUDAHOSTCXX",
            "value": "/usr/bin/g++-11",
            "files": [WF + "build-test-lin-container.yml"],
        },
        {WF + "build-test-lin-container.yml": ([], ["", "env:", "  CUDAHOSTCXX: /usr/bin/g++-11"])},
    ),
    (
        "env_set",
        {
            "variable": "XDG_CACHE_HOME",
            "value": "/data/.cache",
            "job": "build",
            "files": [WF + "build-test-macosx.yml"],
        },
        {WF + "build-test-macosx.yml": ([], ["    env:", "      XDG_CACHE_HOME: /data/.cache"])},
    ),
    (
        "timeout_minutes",
        {"minutes": 330, "job": "build"},
        {
            WF + "build-test.yml": (
                ["    timeout-minutes: 360   # hosted runners stop at 6 hours anyway"],
                ["    timeout-minutes: 330   # hosted runners stop at 6 hours anyway"],
            )
        },
    ),
    (
        "timeout_minutes",
        {"minutes": 120, "job": "build", "files": [WF + "build-test-macosx.yml"]},
        {WF + "build-test-macosx.yml": ([], ["    timeout-minutes: 120"])},
    ),
]


@pytest.mark.parametrize(
    ("name", "params", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_template_changes_only_the_intended_lines(name, params, expected):
    assert changes_by_file(name, params) == expected


def test_every_workflow_template_is_exercised_on_the_fixtures():
    source_templates = {"vcpkg_override", "vcpkg_dependency_add", "vcpkg_baseline", "test_disable"}
    config_row_templates = {"overlay_port_hash", "workflow_expression", "reusable_input_format", "xvfb_run"}
    real_tree_templates = {"action_version"}  # nothing is broken in the stand-ins: tests/test_fixes_upstream.py
    real_tree_templates |= {"quarantine_test", "release_quarantine"}  # tests/test_quarantine_templates.py
    assert {name for name, _, _ in CASES} == set(TEMPLATES) - source_templates - config_row_templates - real_tree_templates


def test_cache_key_bump_without_prefix_bumps_each_workflow_and_resolves_numbers():
    result = apply_template("cache_key_bump", load_repo(), {})
    bumps = {(b["file"], b["from"], b["to"]) for b in result.params["bumps"]}
    assert bumps == {
        (WF + "build-test.yml", 4, 5),
        (WF + "build-test-lin-container.yml", 2, 3),
        (WF + "build-test-macosx.yml", 3, 4),
    }
    assert result.params["from"] in (2, 3, 4) and result.params["to"] == result.params["from"] + 1


def test_crlf_workflow_keeps_crlf_line_endings():
    path = WF + "build-test.yml"
    crlf = {path: load_repo()[path].replace("\n", "\r\n")}
    new = (
        apply_template("env_set", crlf, {"variable": "CC", "value": "/usr/bin/gcc-11", "job": "build"})
        .edits[0]
        .new
    )
    assert "      CC: /usr/bin/gcc-11\r\n" in new and "\n" not in new.replace("\r\n", "")


def test_apt_package_in_single_quoted_input_default_keeps_yaml_quoting():
    text = (
        "on:\n  workflow_call:\n    inputs:\n      prep-cmd:\n        type: string\n"
        "        default: 'sudo apt-get update && sudo apt-get -y install curl zip && pip3 install meson'\n"
        "jobs:\n  build:\n    runs-on: ubuntu-22.04\n    steps:\n      - run: ${{ inputs.prep-cmd }}\n"
    )
    new = apply_template("apt_package_add", {WF + "x.yml": text}, {"package": "python3-pip"}).edits[0].new
    assert "install curl zip python3-pip && pip3 install meson'" in new


def test_resolved_params_include_the_call_params():
    repo = load_repo()
    for path in (WF + "build-test.yml", WF + "build-test-macosx.yml"):
        repo[path] = repo[path].replace("actions/cache@v3", "actions/cache@v2").replace("/restore@v3", "/restore@v2")
    result = apply_template("action_version", repo, {"action": "actions/cache"})
    assert result.params["action"] == "actions/cache" and result.params["version"] == "v4"
    assert [(m["from"], m["to"]) for m in result.params["moved"]] == [
        ("actions/cache/restore@v2", "actions/cache/restore@v4"),
        ("actions/cache@v2", "actions/cache@v4"),
    ]
