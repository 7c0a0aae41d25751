"""Diagnosis → Plan: apply the fix template to the allowed files, validate, or draft the issue instead."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from agent.drafts import issue_draft
from agent.knowledge import KnowledgeBase
from agent.models import Action, Diagnosis, Edit, FixSpec, Plan, PlanSource
from agent.policy import classify
from agent.policy.schema import BlastRadius, Policy
from tools.fixes import TEMPLATES, NotApplicable, apply_template
from tools.fixes.base import CI_GLOBS, matches_any, unified_diff
from tools.fixes.callchain import call_chain, entry_path
from tools.fixes.validate import validate_edits

ANALYSIS_ONLY = "analysis_only:"
"""Rationale prefix of a plan whose fix was dropped because no edit passed validation (fault #20)."""

UNVALIDATED = "validator unavailable for this file:"
"""Marks, in a plan's rationale and PR body, a validator that fails on the unmodified file too."""

_VALIDATED: dict[str, Any] = {}
"""Validation reports by the hash of the edits: the checks are deterministic and take ~1 s."""


def plan_id(repo: str, run_id: int, attempt: int, signature: str, fix: FixSpec | None) -> str:
    """A deterministic id, so a restart finds the plan (and its actions) again."""
    payload = {"repo": repo, "run_id": int(run_id), "attempt": int(attempt), "signature": signature,
               "fix": fix.model_dump(mode="json") if fix else None}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def is_analysis_only(plan: Plan) -> bool:
    """True when the plan escalates only because its fix's edits all failed validation."""
    return plan.action == Action.escalate and plan.rationale.startswith(ANALYSIS_ONLY)


def template_files(template_name: str, params: dict[str, Any], files: dict[str, str],
                   radius: BlastRadius, workflow: str | None = None) -> dict[str, str]:
    """The files a template may see: its touches, inside the blast radius, and on the run's call chain."""
    template = TEMPLATES.get(template_name)
    if template is None:
        return {}
    globs = template.touches + tuple(v for k, v in params.items() if k in ("manifest", "config")
                                     and isinstance(v, str))
    zones = ("allowed", "test") if template_name == "test_disable" else ("allowed",)
    chain = run_chain(workflow, files)
    return {path: text for path, text in files.items()
            if matches_any(path, globs) and classify(path, radius).zone in zones
            and (chain is None or path in chain or not matches_any(path, CI_GLOBS))}


def run_chain(workflow: str | None, files: dict[str, str]) -> set[str] | None:
    """The workflow files the run reaches (call_chain), or None when its workflow is unknown or unread."""
    entry = entry_path(workflow)
    if not entry or not files.get(entry):
        return None
    return call_chain(entry, files.get)


@dataclass
class FixAttempt:
    """What applying and validating a template produced: kept edits, or why there are none."""

    edits: list[Edit]
    diff: str = ""
    resolved: dict[str, Any] | None = None
    notes: str = ""
    failure: str = ""
    analysis_only: bool = False
    unvalidated: list[str] = field(default_factory=list)
    """`check: path` of validators unavailable for a kept edit (they crash on the unmodified file too)."""


def validate(edits: list[Edit]):
    """validate_edits, memoised by content."""
    key = hashlib.sha256(json.dumps([e.model_dump() for e in edits], sort_keys=True).encode("utf-8")).hexdigest()
    if key not in _VALIDATED:
        _VALIDATED[key] = validate_edits(edits)
    return _VALIDATED[key]


def attempt_fix(fix: FixSpec, files: dict[str, str], radius: BlastRadius, workflow: str | None = None) -> FixAttempt:
    """Apply the template to the allowed files on the run's call chain and keep only the edits that validate."""
    try:
        seen = template_files(fix.template, fix.params, files, radius, workflow)
        result = apply_template(fix.template, seen, fix.params)
    except NotApplicable as exc:
        return FixAttempt([], failure=f"fix template {fix.template} does not apply: {exc.reason}")
    except (KeyError, ValueError) as exc:
        return FixAttempt([], failure=f"fix template {fix.template} cannot run: {exc}")
    report = validate(result.edits)
    kept = [edit for edit in result.edits if edit.path not in report.rejected]
    dropped = [f"{p.path}: {p.check}: {p.message}" for p in report.problems]
    dropped += [f"{f.path}: new zizmor finding {f.rule} at {f.route}" for f in report.new_findings]
    if not kept:
        return FixAttempt([], notes="validation: dropped " + "; ".join(dropped), analysis_only=True,
                          failure=f"every edit failed validation ({'; '.join(dropped)})")
    unvalidated = report.degraded({edit.path for edit in kept})
    return FixAttempt(kept, unified_diff(kept), result.params, validation_notes(report, dropped, unvalidated),
                      unvalidated=unvalidated)


def validation_notes(report, dropped: list[str], unvalidated: list[str]) -> str:
    """One line for the rationale (and so the PR body): what passed, what was dropped, what could not run."""
    advisories = "".join(f"; zizmor notes {f.rule} ({f.severity}) at {f.path}:{f.route}"
                         for f in report.advisories)
    if not unvalidated and report.ok:
        return "validation: passed (schema, zizmor)" + advisories
    parts = ["dropped " + "; ".join(dropped)] if dropped else ["passed where available"]
    if unvalidated:
        why = "; ".join(f"{u.check} on {u.path}: {u.message}" for u in report.unavailable
                        if f"{u.check}: {u.path}" in unvalidated)
        parts.append(f"{UNVALIDATED} {', '.join(unvalidated)} ({why}); checked by the remaining validator "
                     "and the gate's content rules")
    return "validation: " + "; ".join(parts) + advisories


def _is_known_wrong(fix: FixSpec, diagnosis: Diagnosis) -> bool:
    return any(w.template == fix.template and w.params == fix.params for w in diagnosis.known_wrong_fixes)


def _base(diagnosis: Diagnosis, repo: str, run: dict, action: Action, fix: FixSpec | None) -> dict[str, Any]:
    attempt = int(run.get("run_attempt") or 1)
    return {
        "id": plan_id(repo, run["id"], attempt, diagnosis.signature, fix), "repo": repo, "run_id": int(run["id"]),
        "run_attempt": attempt, "signature": diagnosis.signature, "category": diagnosis.category,
        "action": action, "confidence": diagnosis.known_issue.confidence if diagnosis.known_issue else 0.0,
        "source": PlanSource.template, "known_issue_id": diagnosis.known_issue.id if diagnosis.known_issue else None,
        "fix": fix,
    }


def build_plan(diagnosis: Diagnosis, repo: str, run: dict, files: dict[str, str], policy: Policy | None = None,
               kb: KnowledgeBase | None = None) -> Plan:
    """The plan for one diagnosed run: a fix (auto_fix / pull_request), a rerun, an issue, or ignore."""
    action = diagnosis.proposed_action
    draft = issue_draft(diagnosis, repo, run, kb)
    if action == Action.ignore:
        return Plan(**_base(diagnosis, repo, run, action, None), rationale="nothing to do for this run")
    if action == Action.rerun:
        return Plan(**_base(diagnosis, repo, run, Action.rerun, None), issue=draft,
                    rationale=f"{diagnosis.category} failures are usually transient: re-run the failed jobs once")
    if action == Action.escalate or diagnosis.fix is None:
        why = "no known fix for this failure" if diagnosis.fix is None else "confidence is below MEDIUM"
        return Plan(**_base(diagnosis, repo, run, Action.escalate, None), issue=draft, rationale=why)
    return _fix_plan(diagnosis, repo, run, files, policy, draft)


def _fix_plan(diagnosis: Diagnosis, repo: str, run: dict, files: dict[str, str], policy: Policy | None,
              draft) -> Plan:
    fix = diagnosis.fix
    if _is_known_wrong(fix, diagnosis):
        return Plan(**_base(diagnosis, repo, run, Action.escalate, None), issue=draft,
                    rationale=f"the proposed fix {fix.template} is a known wrong fix for this failure")
    radius = policy.blast_radius if policy else BlastRadius()
    result = attempt_fix(fix, files, radius, run.get("path"))
    if not result.edits:
        prefix = ANALYSIS_ONLY + " " if result.analysis_only else ""
        return Plan(**_base(diagnosis, repo, run, Action.escalate, fix if result.analysis_only else None),
                    issue=draft, rationale=prefix + result.failure)
    why = (f"known issue {diagnosis.known_issue.id if diagnosis.known_issue else '-'}: apply {fix.template} "
           f"with {json.dumps(fix.params, sort_keys=True)}; {result.notes}")
    return Plan(**_base(diagnosis, repo, run, diagnosis.proposed_action, fix), edits=result.edits,
                diff=result.diff, rationale=why, issue=draft, unvalidated=result.unvalidated)
