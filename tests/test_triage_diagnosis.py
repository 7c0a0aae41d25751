"""triage(): category, known issue, proposed action, fix params resolved against a checkout."""

from __future__ import annotations

import pytest

from agent.knowledge import parse_known_issues
from agent.models import Action, Category, FixSpec
from agent.triage import propose_action, triage
from evals.samples.generate import glibc_container_steps
from evals.synth import StepSpec, run_zip_bytes

WORKFLOW = """name: CI-Linux
on: push
jobs:
  build:
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/cache@v3
        with:
          path: ${{ env.VCPKG_DEFAULT_BINARY_CACHE }}
          key: ${{ runner.os }}-vcpkg-4-${{ hashFiles('base/vcpkg.json') }}
"""
GLIBC = {
    "id": "glibc-node20-old-container", "title": "Node 20 in an old container", "category": "container_incompatible",
    "patterns": ["version `GLIBC_2\\.28' not found"], "severity": "high", "confidence": 0.95,
    "fix": {"template": "container_image", "params": {"image": "nvidia/cuda:11.8.0-devel-ubuntu22.04"}},
    "known_wrong_fixes": [{"template": "action_version",
                           "params": {"action": "actions/upload-artifact", "version": "v3"}, "why": "rejected"}],
}
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
STALE = {"id": "stale-cache", "title": "stale", "category": "cache_stale", "patterns": ["(?i)hash mismatch"],
         "confidence": 0.9, "fix": {"template": "cache_key_bump", "params": {"prefix": "vcpkg", "mode": "key"}}}


def _kb(*entries):
    return parse_known_issues({"version": 1, "issues": list(entries)})


def _zip(*lines: str) -> bytes:
    return run_zip_bytes({"build": [StepSpec(name="Build", lines=list(lines), noise=50, failed=True)]})


def test_glibc_in_an_old_container_proposes_a_new_image_never_upload_artifact_v3():
    diagnosis = triage(run_zip_bytes(glibc_container_steps(), container="nvidia/cuda:11.8.0-devel-ubuntu18.04"),
                       kb=_kb(GLIBC))
    assert diagnosis.category == Category.container_incompatible
    assert diagnosis.known_issue.id == "glibc-node20-old-container"
    assert diagnosis.proposed_action == Action.auto_fix
    assert diagnosis.fix == FixSpec(template="container_image", params={"image": "nvidia/cuda:11.8.0-devel-ubuntu22.04"})
    assert diagnosis.known_wrong_fixes == [FixSpec(template="action_version",
                                                   params={"action": "actions/upload-artifact", "version": "v3"})]
    assert "upload-artifact" not in diagnosis.fix.model_dump_json()


def test_the_shipped_sample_and_db_diagnose_the_glibc_failure(repo_root):
    diagnosis = triage(repo_root / "evals" / "samples" / "glibc-container")
    assert diagnosis.category == Category.container_incompatible
    assert any("GLIBC_2.28' not found" in line for line in diagnosis.root_cause_lines)
    assert diagnosis.fix == FixSpec(template="container_image", params={"image": "nvidia/cuda:11.8.0-devel-ubuntu22.04"})


def test_the_glibc_sample_cites_the_containers_guide_section_first(repo_root):
    diagnosis = triage(repo_root / "evals" / "samples" / "glibc-container")
    cited = [(guide.guide, guide.anchor) for guide in diagnosis.guides]
    assert cited[0] == ("troubleshooting.containers.md", "glibc-228-not-found")
    assert 1 <= len(cited) <= 3 and len(set(cited)) == len(cited)


def test_without_a_known_issue_the_guides_come_from_the_root_cause_lines():
    diagnosis = triage(_zip("fatal: write error: No space left on device"), kb=_kb())
    assert diagnosis.guides and "space" in " ".join(g.title.lower() for g in diagnosis.guides)


def test_the_step_that_failed_the_job_leads_the_root_cause_before_a_continue_on_error_step(repo_root):
    diagnosis = triage(repo_root / "evals" / "cases" / "boost-missing-behind-continue-on-error")
    assert diagnosis.known_issue.id == "boost-missing-after-earlier-error"
    assert "Could NOT find Boost (missing: Boost_INCLUDE_DIR" in diagnosis.root_cause_lines[0]
    assert [step.step for step in diagnosis.failed_steps] == ["Configure CMake", "Configure CMake (prep phase)"]
    prep = next(i for i, line in enumerate(diagnosis.root_cause_lines) if "Prep phase" in line)
    assert all("Prep phase" not in line and "base/CMakeLists.txt:26" not in line
               for line in diagnosis.root_cause_lines[:prep - 1])


@pytest.mark.parametrize("category, confidence, has_fix, expected", [
    (Category.network, 0.0, False, Action.rerun),
    (Category.runner, 0.95, True, Action.rerun),
    (Category.cache_stale, 0.95, True, Action.auto_fix),
    (Category.cache_stale, 0.90, True, Action.auto_fix),
    (Category.cache_stale, 0.89, True, Action.pull_request),
    (Category.cache_stale, 0.60, True, Action.pull_request),
    (Category.cache_stale, 0.59, True, Action.escalate),
    (Category.toolchain, 0.99, False, Action.escalate),
    (Category.unknown, 0.0, False, Action.escalate),
])
def test_the_proposed_action_follows_transience_then_confidence_tiers(category, confidence, has_fix, expected):
    fix = FixSpec(template="cache_key_bump") if has_fix else None
    assert propose_action(category, confidence, fix) == expected


def test_without_a_known_issue_the_error_shapes_give_the_category():
    diagnosis = triage(_zip("##[error]The runner has received a shutdown signal."), kb=_kb())
    assert diagnosis.category == Category.runner and diagnosis.proposed_action == Action.rerun
    assert diagnosis.known_issue is None and diagnosis.fix is None
    unknown = triage(_zip("something odd happened"), kb=_kb())
    assert unknown.category == Category.unknown and unknown.proposed_action == Action.escalate


def test_a_repo_dir_resolves_the_cache_key_number(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "CI-Linux.yml").write_text(WORKFLOW, encoding="utf-8")
    diagnosis = triage(_zip("error: ABI hash mismatch for zlib"), repo_dir=tmp_path, kb=_kb(STALE))
    assert diagnosis.fix.template == "cache_key_bump"
    assert (diagnosis.fix.params["from"], diagnosis.fix.params["to"]) == (4, 5)


def test_a_fix_that_does_not_apply_keeps_its_unresolved_params(tmp_path):
    diagnosis = triage(_zip("error: ABI hash mismatch for zlib"), repo_dir=tmp_path, kb=_kb(STALE))
    assert diagnosis.fix == FixSpec(template="cache_key_bump", params={"prefix": "vcpkg", "mode": "key"})


def test_the_signature_is_stable_across_runs_of_the_same_failure():
    first = triage(_zip("/src/A.cpp:3:1: error: 'x' was not declared"), kb=_kb())
    again = triage(run_zip_bytes({"build": [StepSpec(name="Build", lines=["/src/A.cpp:3:1: error: 'x' was not declared"],
                                                     noise=400, failed=True)]}, seed=9), kb=_kb())
    other = triage(_zip("/src/B.cpp:3:1: error: 'y' was not declared"), kb=_kb())
    assert first.signature == again.signature != other.signature


def _quiet_run(last_lines: list[str], seed: int) -> bytes:
    """A run with no error line anywhere and no failed step marker."""
    return run_zip_bytes({"build": [StepSpec(name="Package", lines=last_lines, noise=0, exit_code=None)]}, seed=seed)


def test_without_cause_lines_the_same_failure_in_two_runs_shares_a_signature():
    first = triage(_quiet_run(["packaging stopped", "waited 12.5 s for /tmp/tmpab12cd34/lock"], seed=1), kb=_kb())
    again = triage(_quiet_run(["packaging stopped", "waited 9 s for /tmp/tmpzz98yy76/lock"], seed=2), kb=_kb())
    assert first.root_cause_lines == [] == again.root_cause_lines
    assert first.signature == again.signature != EMPTY_SHA256[:16]


def test_without_cause_lines_different_failures_get_different_signatures():
    one = triage(_quiet_run(["packaging stopped", "lock held by another job"], seed=1), kb=_kb())
    other = triage(_quiet_run(["upload finished", "artifact list is empty"], seed=1), kb=_kb())
    assert one.root_cause_lines == [] == other.root_cause_lines
    assert len({one.signature, other.signature, EMPTY_SHA256[:16]}) == 3


def test_known_issue_evidence_outside_the_failed_step_joins_the_root_cause_lines_in_log_order():
    abi = {"id": "abi-rebuild", "title": "cache reused nothing", "category": "cache_stale", "confidence": 0.62,
           "patterns": ["Cache restored from key: ", r"Restored 0 package\(s\) from"], "match": "all"}
    cache = StepSpec(name="Restore vcpkg cache", lines=["Cache restored from key: Linux-vcpkg-4-abc",
                                                        "Restored 0 package(s) from /home/runner/.cache/vcpkg"])
    build = StepSpec(name="Build", failed=True, exit_code=None,
                     lines=[("##[error]The job running on runner GitHub Actions 7 has exceeded the maximum execution "
                             "time of 360 minutes.")])
    diagnosis = triage(run_zip_bytes({"build": [cache, build]}), kb=_kb(abi))
    assert diagnosis.known_issue.id == "abi-rebuild" and diagnosis.category == Category.cache_stale
    lines = diagnosis.root_cause_lines
    assert lines.index("Restored 0 package(s) from /home/runner/.cache/vcpkg") < \
        next(i for i, line in enumerate(lines) if "exceeded the maximum execution time" in line)
