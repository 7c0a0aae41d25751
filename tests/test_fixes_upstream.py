"""Every workflow/vcpkg fix template on the real ApraPipes tree: only the intended lines, schema-valid, zizmor clean."""

from __future__ import annotations

import pytest
from fixes_kit import line_changes
from fixes_upstream_kit import WF, inject, upstream_repo

from tools.fixes import TEMPLATES, apply_template
from tools.fixes.validate import validate_edits

LIN, BUILD, CONTAINER, MAC = WF + "build-test-lin.yml", WF + "build-test.yml", WF + "build-test-lin-container.yml", \
    WF + "build-test-macosx.yml"
HASH = "${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json', 'submodule_ver.txt') }}"
LIN_HASH = "${{ hashFiles( 'base/vcpkg.json', 'vcpkg/baseline.json', 'submodule_ver.txt') }}"
XVFB_BLOCK = """        # Use xvfb-run for headless display on self-hosted runners (for GTK/EGL tests)
        if command -v xvfb-run &> /dev/null; then
          echo "Using Xvfb virtual display for headless testing"
          xvfb-run -a --server-args="-screen 0 1920x1080x24" ${{env.TEST_EXE}} --log_format=JUNIT --log_sink=CI_test_result_${{inputs.flav}}.xml -p -l all
        else
          ${{env.TEST_EXE}} --log_format=JUNIT --log_sink=CI_test_result_${{inputs.flav}}.xml -p -l all
        fi
"""
XVFB_CALL_PREFIX = 'xvfb-run -a --server-args="-screen 0 1920x1080x24" '
XVFB_RUN_CALL = "          " + XVFB_CALL_PREFIX + "${{env.TEST_EXE}}"
TEST_LINE = "        ${{env.TEST_EXE}} --log_format=JUNIT --log_sink=CI_test_result_${{inputs.flav}}.xml -p -l all"
XDG_LINE = "      XDG_CACHE_HOME: ${{ startsWith(inputs.cache-path, '/data') && '/data/.cache' || '' }}\n"
NOT_ON_THE_REAL_TREE = {"test_disable", "overlay_port_hash", "quarantine_test", "release_quarantine"}
"""The real tree holds no test sources and no overlay ports (tests/test_fixes_templates.py covers them);
the quarantine templates run on the real tree in tests/test_quarantine_templates.py."""


PREP_DEFAULT = next(line for line in upstream_repo()[CONTAINER].splitlines()
                    if line.startswith("        default: 'sudo apt-get"))
"""The container workflow's prep-cmd default (one long apt-get + pip3 line)."""


# (case id, template, params, fault (path, old, new) or None, {path: (removed lines, added lines)})
CASES = [
    ("stale arm64 cache: -5- becomes -6- in all three steps", "cache_key_bump", {"files": [LIN]}, None,
     {LIN: ([f"          key:  ${{{{ inputs.flav }}}}-5-{LIN_HASH}"] * 2 + [f"        key: ${{{{ inputs.flav }}}}-5-{HASH}"],
            [f"          key:  ${{{{ inputs.flav }}}}-6-{LIN_HASH}"] * 2 + [f"        key: ${{{{ inputs.flav }}}}-6-{HASH}"])}),
    ("a key without a version gets one, restore-keys too", "cache_key_bump", {"prefix": "vcpkg", "files": [BUILD]},
     None, {BUILD: ([f"        key: ${{{{ runner.os }}}}-vcpkg-{HASH}", "        restore-keys: ${{ runner.os }}-vcpkg-"],
                    [f"        key: ${{{{ runner.os }}}}-vcpkg-1-{HASH}",
                     "        restore-keys: ${{ runner.os }}-vcpkg-1-"])}),
    ("the manifest's own $comment is extended", "cache_key_bump", {"mode": "vcpkg_comment"}, None,
     {"base/vcpkg.json": (['  "$comment": "Cache bust: libarchive 3.5.2 fix - 2025-12-08",'],
                          ['  "$comment": "Cache bust: libarchive 3.5.2 fix - 2025-12-08; cache bust 1",'])}),
    ("cache v2 in the arm64 build moves to v4, the v3 steps stay", "action_version",
     {"action": "actions/cache", "version": "v4"}, (LIN, "uses: actions/cache@v3", "uses: actions/cache@v2"),
     {LIN: (["      uses: actions/cache@v2"], ["      uses: actions/cache@v4"])}),
    ("upload-artifact v3 moves with its download companion", "action_version",
     {"action": "actions/upload-artifact", "files": [BUILD, WF + "CI-CUDA-Tests.yml"]},
     (BUILD, "actions/upload-artifact@v4", "actions/upload-artifact@v3"),
     {BUILD: (["      uses: actions/upload-artifact@v3"], ["      uses: actions/upload-artifact@v4"])}),
    ("glibc: the image moves and the container's cache key gets a version", "container_image",
     {"image": "nvidia/cuda:11.8.0-devel-ubuntu22.04"},
     (CONTAINER, "nvidia/cuda:11.8.0-devel-ubuntu22.04", "nvidia/cuda:11.8.0-devel-ubuntu18.04"),
     {CONTAINER: (["      image: nvidia/cuda:11.8.0-devel-ubuntu18.04"]
                  + [f"          key: LinuxD-vcpkg-{HASH}", "          restore-keys: LinuxD-vcpkg-"] * 2
                  + [f"        key: LinuxD-vcpkg-{HASH}"],
                  ["      image: nvidia/cuda:11.8.0-devel-ubuntu22.04"]
                  + [f"          key: LinuxD-vcpkg-1-{HASH}", "          restore-keys: LinuxD-vcpkg-1-"] * 2
                  + [f"        key: LinuxD-vcpkg-1-{HASH}"])}),
    ("an override is appended to the real overrides", "vcpkg_override", {"name": "libjpeg-turbo", "version": "3.0.4"},
     None, {"base/vcpkg.json": ([], ["    },", "    {", '      "name": "libjpeg-turbo",', '      "version": "3.0.4"'])}),
    ("a dropped dependency comes back", "vcpkg_dependency_add", {"name": "pkgconf"},
     ("base/vcpkg.json", '    "pkgconf",\n', ""), {"base/vcpkg.json": (["    }"], ["    },", '    "pkgconf"'])}),
    ("the registry baseline moves", "vcpkg_baseline", {"baseline": "c" * 40}, None,
     {"base/vcpkg-configuration.json": (['    "baseline": "3011303ba1f6586e8558a312d0543271fca072c6"'],
                                        ['    "baseline": "' + "c" * 40 + '"'])}),
    ("apt: the container's installs get autoconf-archive", "apt_package_add",
     {"package": "autoconf-archive", "files": [CONTAINER]}, None,
     {CONTAINER: ([PREP_DEFAULT, "        apt-get install -y python3-pip libcudnn8-dev"],
                  [PREP_DEFAULT.replace("python3-jinja2 &&", "python3-jinja2 autoconf-archive &&"),
                   "        apt-get install -y python3-pip libcudnn8-dev autoconf-archive"])}),
    ("pip: cmake is pinned where meson is installed", "pip_package_add",
     {"package": "cmake==3.30.1", "files": [CONTAINER]}, None,
     {CONTAINER: ([PREP_DEFAULT], [PREP_DEFAULT.replace("pip3 install meson'", "pip3 install meson cmake==3.30.1'")])}),
    ("a ~ binary cache becomes absolute", "absolute_path", {"value": "${{ github.workspace }}/.cache/vcpkg"},
     (MAC, "VCPKG_DEFAULT_BINARY_CACHE: ${{ github.workspace }}/.cache/vcpkg", "VCPKG_DEFAULT_BINARY_CACHE: ~/.cache/vcpkg"),
     {MAC: (["      VCPKG_DEFAULT_BINARY_CACHE: ~/.cache/vcpkg"],
            ["      VCPKG_DEFAULT_BINARY_CACHE: ${{ github.workspace }}/.cache/vcpkg"])}),
    ("the jetson cache variable comes back", "env_set",
     {"variable": "XDG_CACHE_HOME", "value": "/data/.cache", "job": "build", "files": [LIN]}, (LIN, XDG_LINE, ""),
     {LIN: ([], ["      XDG_CACHE_HOME: /data/.cache"])}),
    ("the windows cuda job gets 330 minutes", "timeout_minutes", {"minutes": 330, "job": "build", "files": [BUILD]},
     None, {BUILD: (["    timeout-minutes: 360  # 6 hour max for cloud runners"],
                    ["    timeout-minutes: 330  # 6 hour max for cloud runners"])}),
    ("a bare !expression is wrapped", "workflow_expression", {},
     (LIN, "if: ${{!inputs.is-prep-phase}}", "if: !inputs.is-prep-phase"),
     {LIN: (["      if: !inputs.is-prep-phase"], ["      if: ${{ !inputs.is-prep-phase }}"])}),
    ("run_id goes to the reusable call as a string", "reusable_input_format", {"input": "run_id"},
     (BUILD, "run_id: ${{ format('{0}', github.run_id) }}", "run_id: ${{ github.run_id }}"),
     {BUILD: (["      run_id: ${{ github.run_id }}"], ["      run_id: ${{ format('{0}', github.run_id) }}"])}),
    ("the jetson test run goes under xvfb-run", "xvfb_run", {"files": [LIN], "step_pattern": "(?i)^run tests$"},
     (LIN, XVFB_BLOCK, TEST_LINE + "\n"), {LIN: ([TEST_LINE], [TEST_LINE.replace("${{env", "xvfb-run -a ${{env", 1)])}),
    ("a dropped xvfb-run inside the if-branch comes back there", "xvfb_run",
     {"files": [LIN], "step_pattern": "(?i)^run tests$"},
     (LIN, XVFB_RUN_CALL, "          ${{env.TEST_EXE}}"),
     {LIN: (["  " + TEST_LINE], ["  " + TEST_LINE.replace("${{env", "xvfb-run -a ${{env", 1)])}),
]


def faulted(fault) -> dict[str, str]:
    return inject(upstream_repo(), *fault) if fault else upstream_repo()


@pytest.mark.parametrize(("case", "name", "params", "fault", "expected"), CASES, ids=[c[0] for c in CASES])
def test_template_on_the_real_tree_changes_only_the_intended_lines(case, name, params, fault, expected):
    repo = faulted(fault)
    result = apply_template(name, repo, params)
    assert all(edit.old == repo[edit.path] for edit in result.edits)
    assert {e.path: line_changes(e.old, e.new) for e in result.edits} == expected


def test_every_workflow_and_vcpkg_template_is_tried_on_the_real_tree():
    assert {c[1] for c in CASES} == set(TEMPLATES) - NOT_ON_THE_REAL_TREE


def test_real_tree_outputs_pass_the_schema_and_add_no_zizmor_finding_or_record_zizmor_unavailable():
    edits = []
    for i, (_, name, params, fault, _) in enumerate(CASES):  # one checker run: each output under its own name
        for edit in apply_template(name, faulted(fault), params).edits:
            folder, _, base = edit.path.rpartition("/")
            edits.append(edit.model_copy(update={"path": f"{folder}/{i}-{base}"}))
    report = validate_edits(edits)
    assert report.problems == [] and report.new_findings == [], (report.problems, report.new_findings)
    lin_copies = {e.path for e in edits if e.path.endswith("-build-test-lin.yml")}
    assert lin_copies and {u.path for u in report.unavailable} == lin_copies
    assert all(u.check == "zizmor" and "template-injection" in u.message for u in report.unavailable)
    assert [(a.path.rpartition("-")[2], a.rule, a.severity) for a in report.advisories] == [
        ("macosx.yml", "template-injection", "Low")]  # ${{ env.X }} in a run: once X is an expression again
