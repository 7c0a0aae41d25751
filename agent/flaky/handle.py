"""The pipeline's flaky-test step: record results, judge, quarantine the flaky (issue + PR) or escalate the broken."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.drafts import clean
from agent.executor.escalate import CODEOWNERS_PATHS
from agent.flaky.collect import record_attempt, record_history
from agent.flaky.detect import Observation, Verdict, judge_all
from agent.github.errors import GitHubError
from agent.models import Action, Category, Diagnosis, FixSpec, IssueDraft, KnownIssueRef, Plan
from agent.planner import plan_id
from tools.fixes.quarantine import TEST_NAME

log = logging.getLogger(__name__)
TEST_CATEGORIES = frozenset({Category.test_failure, Category.flaky_test, Category.timeout})
QUARANTINE_ID = "flaky-test-quarantine"
"""The known-issue id quarantine plans carry (their confidence comes from the evidence rule, not a prior)."""


def codeowners_text(gh: Any, full_name: str, ref: str) -> str | None:
    for path in CODEOWNERS_PATHS:
        found = gh.get_file(full_name, path, ref or "HEAD")
        if found is not None:
            return found[0]
    return None


def verdicts_for(pipe: Any, full_name: str, run: dict[str, Any]) -> tuple[list[Verdict], set[tuple[str, str]]]:
    """Record this run's (and the workflow's recent) results; → verdicts of every test, the failing ones now."""
    record_history(pipe.gh, pipe.store, full_name, run, pipe.policy.flaky.history_runs)
    record_attempt(pipe.gh, pipe.store, full_name, run, True, {})
    rows = pipe.store.test_observations(full_name, workflow=run.get("path"))
    failing = {(r["framework"], r["test_id"]) for r in rows
               if r["run_id"] == run["id"] and r["run_attempt"] == run["run_attempt"] and r["status"] != "passed"}
    flaky = pipe.policy.flaky
    ref = run.get("head_sha") or ""
    verdicts = judge_all([Observation.from_row(r) for r in rows], flaky.history_runs, flaky.min_flips,
                         codeowners_text(pipe.gh, full_name, ref), pipe.gh.list_files(full_name, ref) if ref else None)
    return verdicts, failing


def judge_tests(pipe: Any, full_name: str, run: dict[str, Any], diagnosis: Diagnosis) -> tuple[Diagnosis, Any]:
    """Quarantine the failing tests that are flaky on evidence; → (diagnosis, the quarantine's result) when that
    was all, else (the diagnosis — escalated when a failing test is broken — to go on as planned, None)."""
    if diagnosis.category not in TEST_CATEGORIES or not hasattr(pipe.store, "record_test_results"):
        return diagnosis, None
    try:
        verdicts, failing = verdicts_for(pipe, full_name, run)
    except GitHubError as exc:  # no results, no verdict: the failure is handled as before
        log.info("test results of run %s unavailable: %s", run.get("id"), exc)
        return diagnosis, None
    propose_releases(pipe, full_name, run, diagnosis)
    now_failing = [v for v in verdicts if (v.framework, v.test_id) in failing]
    if not now_failing:
        return diagnosis, None
    flaky = [v for v in now_failing if v.kind == "flaky" and v.framework != "junit" and re.match(TEST_NAME, v.test_id)]
    quarantined = quarantine(pipe, full_name, run, diagnosis, flaky) if flaky else None
    broken = [v for v in now_failing if v.kind == "broken" and len(v.evidence) > 1]
    if len(flaky) == len(now_failing) or not broken:
        return diagnosis, quarantined  # None: too little evidence yet, the usual handling (e.g. one re-run)
    lines = [f"{v.test_id}: broken ({v.reason}; runs {', '.join(map(str, v.evidence))})" for v in broken]
    return diagnosis.model_copy(update={"proposed_action": Action.escalate, "fix": None,
                                        "root_cause_lines": lines + diagnosis.root_cause_lines}), None


def evidence_text(verdicts: list[Verdict]) -> str:
    return "\n".join(f"- `{v.test_id}` ({v.framework}): {v.reason}; flip rate {v.flip_rate:.0%}; runs "
                     f"{', '.join(map(str, v.evidence))}; owner {', '.join(v.owners) or 'none in CODEOWNERS'}"
                     for v in verdicts)


def issue_plan(full_name: str, run: dict[str, Any], verdicts: list[Verdict], until: str) -> Plan:
    """The quarantine's tracking issue (one per set of tests), assigned through CODEOWNERS of the test file."""
    names = ", ".join(v.test_id for v in verdicts)
    signature = "flaky-" + hashlib.sha256(f"{verdicts[0].framework}:{names}".encode()).hexdigest()[:12]
    body = (f"These tests failed and passed without a related change, so the agent proposes to quarantine them "
            f"until {until} (then it proposes the release; earlier once they pass again):\n\n"
            f"{evidence_text(verdicts)}\n\nFix the test, then close this issue.")
    return Plan(id=plan_id(full_name, run["id"], run["run_attempt"], signature, None), repo=full_name,
                run_id=int(run["id"]), run_attempt=int(run["run_attempt"]), signature=signature,
                category=Category.flaky_test, action=Action.escalate,
                issue=IssueDraft(title=clean(f"Flaky test quarantined: {names}")[:200], body=clean(body),
                                 labels=["devops-agent", "flaky-test"]),
                rationale=f"flaky on evidence: {names}")


def quarantine(pipe: Any, full_name: str, run: dict[str, Any], diagnosis: Diagnosis, verdicts: list[Verdict]):
    """The tracking issue first (its number goes into the quarantine note), then the quarantine PR."""
    verdicts = [v for v in verdicts if v.framework == verdicts[0].framework]
    until = (pipe.now().astimezone(UTC) + timedelta(days=pipe.policy.flaky.quarantine_days)).date().isoformat()
    trial = quarantine_plan(pipe, full_name, run, diagnosis, verdicts, until, 0)[1]
    if trial.action not in (Action.pull_request, Action.auto_fix):  # e.g. no runner command to exclude it in
        log.info("flaky %s not quarantined: %s", [v.test_id for v in verdicts], trial.rationale)
        return None
    plan = issue_plan(full_name, run, verdicts, until)
    owner_run = {**run, "path": next((v.file for v in verdicts if v.file), run.get("path"))}  # CODEOWNERS of the test
    tracked = pipe.gate_and_execute(full_name, owner_run, diagnosis, plan)
    issues = pipe.store.actions(kind="issue", repo=full_name, signature=plan.signature, status="done")
    if not issues:
        return tracked
    number = int(issues[-1]["ref"])
    quarantined = pipe.gate_and_execute(full_name, run, *quarantine_plan(pipe, full_name, run, diagnosis, verdicts,
                                                                         until, number))
    records = pipe.store.quarantine_records(full_name)
    for v in verdicts:
        earlier = records.get((v.framework, v.test_id)) or {}
        keep = {} if earlier.get("released") else earlier  # a repeat keeps its first date and expiry
        pipe.store.save_quarantine(full_name, v.test_id, v.framework, {
            "until": keep.get("until", until), "issue": number, "since": keep.get("since", pipe.now().isoformat()),
            "urls": quarantined.urls, "owners": v.owners, "status": quarantined.status})
    quarantined.urls = list(dict.fromkeys(tracked.urls + quarantined.urls))
    return quarantined


def quarantine_plan(pipe: Any, full_name: str, run: dict[str, Any], diagnosis: Diagnosis, verdicts: list[Verdict],
                    until: str, issue: int) -> tuple[Diagnosis, Plan]:
    """The diagnosis and plan of the quarantine PR: auto-merged only when the policy says so."""
    tiers, auto = pipe.policy.tiers, pipe.policy.flaky.auto_merge_quarantine
    owners = [o for v in verdicts for o in v.owners]
    params = {"tests": [v.test_id for v in verdicts], "framework": verdicts[0].framework, "expires": until,
              "issue": f"#{issue}", **({"owner": owners[0]} if owners else {})}
    confidence = tiers.high_min_confidence if auto else tiers.medium_min_confidence
    quarantined = diagnosis.model_copy(update={
        "category": Category.flaky_test, "proposed_action": Action.auto_fix if auto else Action.pull_request,
        "fix": FixSpec(template="quarantine_test", params=params),
        "known_issue": KnownIssueRef(id=QUARANTINE_ID, confidence=confidence),
        "root_cause_lines": [f"{v.test_id}: flaky ({v.reason})" for v in verdicts] + diagnosis.root_cause_lines})
    return quarantined, pipe.plan_for(full_name, run, quarantined)


def releases_due(store: Any, full_name: str, now: datetime, green_runs: int) -> list[dict[str, Any]]:
    """Quarantines to release: expired, or with `green_runs` passing runs of the test since (and no failure)."""
    due = []
    for (framework, test), record in store.quarantine_records(full_name).items():
        if record.get("released"):
            continue
        seen = store.test_observations(full_name, test_id=test, framework=framework, since=record["since"])
        passes = {r["run_id"] for r in seen if r["status"] == "passed"}
        failed = any(r["status"] != "passed" for r in seen)
        why = ("expired" if now.date().isoformat() > record["until"]
               else "green" if len(passes) >= green_runs and not failed else None)
        if why:
            due.append({"test": test, "framework": framework, "why": why, "issue": record.get("issue"),
                        "green_runs": len(passes)})
    return due


def release_on_green(pipe: Any, full_name: str, run: dict[str, Any]) -> list[Any]:
    """A green run of the default branch: with a quarantine in force, record the workflow's recent test results
    (the quarantined test still runs elsewhere, e.g. on release branches) and propose the releases due.

    A quarantined test no longer fails the default branch, so without this the release would wait for some
    other test failure to be handled; expiry is checked here too."""
    if not hasattr(pipe.store, "quarantine_records"):
        return []
    if all(record.get("released") for record in pipe.store.quarantine_records(full_name).values()):
        return []
    try:
        record_history(pipe.gh, pipe.store, full_name, run, pipe.policy.flaky.history_runs)
    except GitHubError as exc:  # expiry needs no results
        log.info("test results around run %s unavailable: %s", run.get("id"), exc)
    base = Diagnosis(signature=f"quarantine-release-{run.get('path') or 'workflow'}", category=Category.flaky_test,
                     proposed_action=Action.pull_request, title="release quarantined tests")
    return propose_releases(pipe, full_name, run, base)


def propose_releases(pipe: Any, full_name: str, run: dict[str, Any], diagnosis: Diagnosis) -> list[Any]:
    """A `release_quarantine` PR for each quarantine due (through the gate like every write)."""
    results = []
    for due in releases_due(pipe.store, full_name, pipe.now(), pipe.policy.flaky.release_after_green_runs):
        tiers = pipe.policy.tiers
        released = diagnosis.model_copy(update={
            "category": Category.flaky_test, "proposed_action": Action.pull_request,
            "fix": FixSpec(template="release_quarantine", params={"test": due["test"], "framework": due["framework"]}),
            "known_issue": KnownIssueRef(id=QUARANTINE_ID, confidence=tiers.medium_min_confidence),
            "root_cause_lines": [f"{due['test']}: quarantine {due['why']} ({due['green_runs']} green runs)"]})
        plan = pipe.plan_for(full_name, run, released)
        record = pipe.store.quarantine_records(full_name)[(due["framework"], due["test"])]
        if plan.action not in (Action.pull_request, Action.auto_fix):  # not in force: its PR was never merged
            if due["why"] == "expired":
                pipe.store.save_quarantine(full_name, due["test"], due["framework"], {**record, "released": "expired"})
            continue
        result = pipe.gate_and_execute(full_name, run, released, plan)
        if result.status in ("pr_open", "merged"):
            pipe.store.save_quarantine(full_name, due["test"], due["framework"],
                                       {**record, "released": result.urls or True})
        results.append(result)
    return results
