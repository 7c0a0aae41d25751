"""Choosing the best known issue: all/any, not_patterns, nearness to the failure, specificity, confidence."""

from __future__ import annotations

import pytest

from agent.knowledge import parse_known_issues
from agent.knowledge.matcher import fill
from agent.logs.reader import read_log
from agent.logs.window import failure_window
from evals.synth import StepSpec, run_zip_bytes


def _entry(issue_id: str, patterns: list[str], confidence: float = 0.8, **extra) -> dict:
    return {"id": issue_id, "title": issue_id, "category": extra.pop("category", "dependency_missing"),
            "patterns": patterns, "severity": "medium", "confidence": confidence, **extra}


def _best(entries: list[dict], steps: list[StepSpec]):
    kb = parse_known_issues({"version": 1, "issues": entries})
    run = read_log(run_zip_bytes({"build": steps}, labels="self-hosted, Linux, ARM64"), patterns=kb.patterns)
    return kb.match(run, failure_window(run))


def _failing(*lines: str) -> StepSpec:
    return StepSpec(name="Build", lines=list(lines), noise=100, failed=True)


def test_named_groups_fill_the_fix_params():
    entry = _entry("cmake-old", [r"A suitable version of cmake was not found \(required v(?P<version>[0-9.]+)\)"],
                   fix={"template": "pip_package_add", "params": {"package": "cmake=={version}"}})
    match = _best([entry], [_failing("  A suitable version of cmake was not found (required v3.30.1).")])
    assert match.issue.id == "cmake-old" and match.params == {"package": "cmake==3.30.1"}


def test_an_all_of_entry_needs_every_pattern_somewhere_in_the_run():
    stale = _entry("stale", [r"Restored [1-9][0-9]* package\(s\)", "(?i)hash mismatch"], match="all",
                   category="cache_stale")
    cache = StepSpec(name="actions/cache@v3", uses="actions/cache@v3", lines=["Restored 412 package(s) from cache"])
    assert _best([stale], [cache, _failing("error: ABI hash mismatch for zlib")]).issue.id == "stale"
    assert _best([stale], [_failing("error: ABI hash mismatch for zlib")]) is None


def test_a_not_pattern_hit_rules_the_entry_out():
    generic = _entry("hash", ["unexpected hash"], not_patterns=["arm64-overlay"], category="registry_fetch")
    overlay = _entry("overlay-hash", ["unexpected hash", "thirdparty/arm64-overlay"], match="all",
                     category="registry_fetch")
    line = "error: unexpected hash in thirdparty/arm64-overlay/opencv4/portfile.cmake"
    assert _best([generic, overlay], [_failing(line)]).issue.id == "overlay-hash"
    assert _best([generic, overlay], [_failing("error: unexpected hash in ports/libxml2")]).issue.id == "hash"


def test_a_hit_on_the_root_cause_beats_a_more_confident_hit_in_a_passing_step():
    warning = _entry("node16", ["Node.js 16 actions are deprecated"], 0.99, category="action_deprecated")
    cause = _entry("pkgconf", [r"Could NOT find PkgConfig"], 0.7)
    setup = StepSpec(name="Setup", lines=["##[warning]Node.js 16 actions are deprecated. Please update."])
    match = _best([warning, cause], [setup, _failing("  Could NOT find PkgConfig (missing: PKG_CONFIG_EXECUTABLE)")])
    assert match.issue.id == "pkgconf"


def test_a_hit_outside_the_failure_still_matches_when_nothing_else_does():
    warning = _entry("node16", ["Node.js 16 actions are deprecated"], 0.9, category="action_deprecated")
    setup = StepSpec(name="Setup", lines=["##[warning]Node.js 16 actions are deprecated. Please update."])
    assert _best([warning], [setup, _failing("something went wrong")]).issue.id == "node16"


@pytest.mark.parametrize("entries, expected", [
    ([_entry("short", ["No space left on device"]), _entry("long", ["fatal: write error: No space left on device"])],
     "long"),
    ([_entry("low", ["No space left on device"], 0.6), _entry("high", ["No space left on device"], 0.9)], "high"),
    ([_entry("first", ["No space left on device"]), _entry("second", ["No space left on device"])], "first"),
])
def test_specificity_then_confidence_then_db_order_break_ties(entries, expected):
    assert _best(entries, [_failing("fatal: write error: No space left on device")]).issue.id == expected


def test_an_anchored_pattern_matches_the_clean_line_not_the_timestamp():
    entry = _entry("anchored", [r"^error: no version database entry for (?P<port>[a-z0-9-]+)$"],
                   category="registry_fetch", fix={"template": "vcpkg_baseline", "params": {"baseline": "{port}"}})
    match = _best([entry], [_failing("error: no version database entry for sfml")])
    assert match.params == {"baseline": "sfml"}


def test_fill_leaves_unknown_placeholders_and_workflow_expressions_alone():
    params = {"value": "${{ github.workspace }}/{dir}", "list": ["{version}"], "n": 3}
    assert fill(params, {"version": "1.2"}) == {"value": "${{ github.workspace }}/{dir}", "list": ["1.2"], "n": 3}
