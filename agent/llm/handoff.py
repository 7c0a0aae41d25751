"""Diagnosis → the Claude tool loop → PlanDraft → Plan, through the same planner path as the templates.

    plan = llm_plan(diagnosis, ctx, model, limits)       # None: no model, not needed, or no submission

Confidence is computed, never claimed: an edit the model composed (or a template with parameters
no known issue lists) is source `llm`, action pull_request at exactly MEDIUM confidence; a template
proposed exactly as a known issue lists it — an issue whose patterns match this run's log — gets
that issue's calibrated confidence via `build_plan`; a staged issue escalates (with the root-cause
lines quoted); a staged re-run re-runs. The gate decides afterwards, as for every plan.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from agent.drafts import clean, issue_draft
from agent.executor import Executor
from agent.gate_context import gate_context
from agent.knowledge import IssueMatch, load_known_issues
from agent.llm.limits import Limits
from agent.llm.loop import ToolLoop
from agent.llm.prompts import render_task
from agent.logs.green import green_lines
from agent.logs.window import Window, failure_window
from agent.models import Action, Diagnosis, Edit, FixSpec, IssueDraft, KnownIssueRef, Plan, PlanSource
from agent.planner import ANALYSIS_ONLY, attempt_fix, build_plan, plan_id, template_files, validate
from agent.policy import decide
from agent.triage import diagnose as diagnose_window
from agent.triage import propose_action
from tools.base import PlanDraft, ToolContext
from tools.fixes.base import unified_diff
from tools.registry import Registry
from tools.runcache import failure_of, file_at, green_log, head_sha, policy_of, remember, run_log, run_of

LLM_EDIT = "llm_edit"
"""The pseudo template naming a model-composed edit in its plan id (never stored as plan.fix)."""


def needs_model(diagnosis: Diagnosis, medium: float) -> bool:
    """True when no known issue reaches MEDIUM: the template path has nothing safe to offer."""
    return diagnosis.known_issue is None or diagnosis.known_issue.confidence < medium


def untrusted_context(run: dict[str, Any]) -> dict[str, str]:
    """Text from the run that people wrote (title, branch, commit message): fenced into the task."""
    commit = (run.get("head_commit") or {}).get("message") or ""
    found = {"run title": run.get("display_title") or "", "head branch": run.get("head_branch") or "",
             "head commit message": commit}
    return {source: text for source, text in found.items() if text}


def task_for(diagnosis: Diagnosis, ctx: ToolContext) -> str:
    """The first user message: the diagnosis and the run's human-written text, every part fenced."""
    return render_task(diagnosis, ctx.fence, ctx.repo, ctx.run_id, ctx.run_attempt,
                       untrusted=untrusted_context(run_of(ctx)))


def llm_plan(diagnosis: Diagnosis, ctx: ToolContext, model: Any, limits: Limits | None = None,
             registry: Registry | None = None) -> Plan | None:
    """Run the tool loop on a failure no known issue covers at MEDIUM; the Plan its submission makes."""
    if model is None or not needs_model(diagnosis, policy_of(ctx).tiers.medium_min_confidence):
        return None
    ctx.diagnosis = diagnosis
    loop = ToolLoop(model, registry or Registry(), ctx, limits=limits,
                    run_key=f"llm-{ctx.repo}-{ctx.run_id}-{ctx.run_attempt}-{diagnosis.signature}")
    result = loop.run(task_for(diagnosis, ctx))
    if not result.submitted:
        return None
    return plan_from_draft(diagnosis, ctx, result.plan)


# ---- PlanDraft → Plan ---------------------------------------------------------------------------

def run_record(ctx: ToolContext) -> dict[str, Any]:
    """The run as the planner wants it: GitHub's object with this attempt."""
    return {**run_of(ctx), "id": ctx.run_id, "run_attempt": ctx.run_attempt}


def plan_from_draft(diagnosis: Diagnosis, ctx: ToolContext, draft: PlanDraft) -> Plan | None:
    """The staged remedy as a Plan: edits, then a template, then a re-run, then an issue; None if nothing."""
    if draft.edits:
        return edit_plan(diagnosis, ctx, draft)
    if draft.fixes:
        return template_plan(diagnosis, ctx, draft, draft.fixes[0])
    if draft.rerun:
        return _plan(diagnosis, ctx, draft, Action.rerun, None, issue=base_issue(diagnosis, ctx))
    if draft.issue is not None:
        return _plan(diagnosis, ctx, draft, Action.escalate, None, issue=merged_issue(diagnosis, ctx, draft.issue))
    return None


def base_issue(diagnosis: Diagnosis, ctx: ToolContext) -> IssueDraft:
    """The agent's own issue text: root-cause lines, failed steps, redacted excerpt, marker."""
    return issue_draft(diagnosis, ctx.repo, run_record(ctx), ctx.kb)


def merged_issue(diagnosis: Diagnosis, ctx: ToolContext, proposed: IssueDraft) -> IssueDraft:
    """The model's analysis on top of the agent's issue (which quotes the root-cause lines, ends with the marker)."""
    base = base_issue(diagnosis, ctx)
    analysis = f"### Analysis (drafted by the model; verify before acting)\n{clean(proposed.body)[:20000]}\n\n"
    title = clean(f"CI failure: {proposed.title} [{diagnosis.signature[:8]}]")[:200]
    return IssueDraft(title=title, body=analysis + base.body, labels=base.labels)


def rationale_of(draft: PlanDraft, note: str = "") -> str:
    """The model's rationale as advice, with what the agent made of it."""
    advice = draft.recommended_action.value if draft.recommended_action else "none"
    text = f"model proposal (advised {advice}; advisory only): {clean(draft.rationale) or '-'}"
    return f"{text}; {note}" if note else text


def _plan(diagnosis: Diagnosis, ctx: ToolContext, draft: PlanDraft, action: Action, key: FixSpec | None,
          note: str = "", **fields: Any) -> Plan:
    """A Plan for this run with the diagnosis's identity (id from repo, run, attempt, signature, key)."""
    values = {"repo": ctx.repo, "run_id": int(ctx.run_id), "run_attempt": ctx.run_attempt,
              "signature": diagnosis.signature, "category": diagnosis.category, "action": action,
              "known_issue_id": None, "rationale": rationale_of(draft, note), **fields}
    return Plan(id=plan_id(ctx.repo, int(ctx.run_id), ctx.run_attempt, diagnosis.signature, key), **values)


def edit_plan(diagnosis: Diagnosis, ctx: ToolContext, draft: PlanDraft) -> Plan:
    """Model-composed edits: validated like template edits, then a pull request at MEDIUM at most."""
    report = validate(draft.edits)
    kept = [edit for edit in draft.edits if edit.path not in report.rejected]
    issue = base_issue(diagnosis, ctx)
    if not kept:
        dropped = "; ".join(f"{p.path}: {p.check}: {p.message}" for p in report.problems)
        return _plan(diagnosis, ctx, draft, Action.escalate, None, issue=issue,
                     note=f"{ANALYSIS_ONLY} every edit failed validation ({dropped})")
    key = FixSpec(template=LLM_EDIT, params={"digest": edits_digest(kept)})
    return _plan(diagnosis, ctx, draft, Action.pull_request, key, source=PlanSource.llm, edits=kept,
                 diff=unified_diff(kept), confidence=policy_of(ctx).tiers.medium_min_confidence, issue=issue)


def edits_digest(edits: list[Edit]) -> str:
    text = json.dumps([edit.model_dump() for edit in edits], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def template_plan(diagnosis: Diagnosis, ctx: ToolContext, draft: PlanDraft, fix: FixSpec) -> Plan:
    """A known (template, params) the log supports → build_plan at that issue's confidence; else llm, ≤ MEDIUM."""
    if any(w.template == fix.template and w.params == fix.params for w in diagnosis.known_wrong_fixes):
        return _plan(diagnosis, ctx, draft, Action.escalate, None, issue=base_issue(diagnosis, ctx),
                     note=f"the proposed fix {fix.template} is a known wrong fix for this failure")
    files = template_inputs(ctx, fix)
    match = known_match(ctx, fix)
    if match is not None:
        known = known_diagnosis(diagnosis, match, fix)
        plan = build_plan(known, ctx.repo, run_record(ctx), files, policy=policy_of(ctx), kb=ctx.kb)
        return plan.model_copy(update={"rationale": f"{rationale_of(draft)}; {plan.rationale}"})
    result = attempt_fix(fix, files, policy_of(ctx).blast_radius)
    if not result.edits:
        note = (ANALYSIS_ONLY + " " if result.analysis_only else "") + result.failure
        return _plan(diagnosis, ctx, draft, Action.escalate, None, issue=base_issue(diagnosis, ctx), note=note)
    return _plan(diagnosis, ctx, draft, Action.pull_request, fix, source=PlanSource.llm, fix=fix, edits=result.edits,
                 diff=result.diff, confidence=policy_of(ctx).tiers.medium_min_confidence,
                 issue=base_issue(diagnosis, ctx), note=f"template {fix.template} with the model's parameters")


def known_match(ctx: ToolContext, fix: FixSpec) -> IssueMatch | None:
    """The known issue whose patterns match this run's log and whose fix is exactly `fix`."""
    if ctx.kb is None:
        ctx.kb = load_known_issues()
    matches = remember(ctx, "kb_matches", lambda: ctx.kb.matches(run_log(ctx), failure_of(ctx)))
    for match in matches:
        listed = match.issue.fix
        if listed and listed.template == fix.template and fix.params in (match.params, listed.params):
            return match
    return None


def known_diagnosis(diagnosis: Diagnosis, match: IssueMatch, fix: FixSpec) -> Diagnosis:
    """The diagnosis as if triage had picked `match`: its category, confidence, fix and wrong fixes."""
    issue = match.issue
    return diagnosis.model_copy(update={
        "category": issue.category, "known_issue": KnownIssueRef(id=issue.id, confidence=issue.confidence),
        "title": issue.title, "fix": fix, "proposed_action": propose_action(issue.category, issue.confidence, fix),
        "known_wrong_fixes": [FixSpec(template=w.template, params=w.params) for w in issue.known_wrong_fixes]})


def template_inputs(ctx: ToolContext, fix: FixSpec) -> dict[str, str]:
    """The files at the head commit the template may see (its globs, inside the blast radius)."""
    listing = remember(ctx, "file_list", lambda: ctx.gh.list_files(ctx.repo, head_sha(ctx)))
    paths = template_files(fix.template, fix.params, dict.fromkeys(listing, ""), policy_of(ctx).blast_radius)
    return {path: text for path in paths if (text := file_at(ctx, path)) is not None}


# ---- one run's session: context, diagnosis, gate, execution (shared by chat, MCP and the pipeline) --

def tool_context(gh: Any, repo: str, run_id: int, run_attempt: int | None = None, **services: Any) -> ToolContext:
    """A ToolContext on one run (services: store, kb, index, policy, diagnosis, head_sha, repo_dir)."""
    ctx = ToolContext(repo=repo, run_id=int(run_id), gh=gh, **services)
    ctx.run_attempt = int(run_attempt or run_of(ctx).get("run_attempt") or 1)
    return ctx


def diagnose(ctx: ToolContext) -> Diagnosis:
    """Triage of the run's logs (downloaded once), stored on the context and in the store."""
    if ctx.diagnosis is None:
        if ctx.kb is None:
            ctx.kb = load_known_issues()
        window = remember(ctx, "green_window", lambda: green_window(ctx)) or failure_of(ctx)
        ctx.diagnosis = diagnose_window(run_log(ctx), window, ctx.kb.match(run_log(ctx), window))
        if ctx.store is not None:
            ctx.store.save_diagnosis(ctx.repo, ctx.run_id, ctx.run_attempt, ctx.diagnosis)
    return ctx.diagnosis


def green_window(ctx: ToolContext) -> Window | None:
    """The failure window with the lines the last green run also printed ranked down (None: no green run)."""
    found = green_log(ctx) if ctx.gh is not None else None
    green = green_lines(found.data) if found is not None else None
    return failure_window(run_log(ctx), green=green) if green else None


def decide_plan(ctx: ToolContext, plan: Plan) -> Any:
    """The gate's decision on `plan` now (rate limits and closed fixes read from the store)."""
    view = SimpleNamespace(store=ctx.store, policy=policy_of(ctx), gh=ctx.gh, now=lambda: datetime.now(UTC))
    return decide(plan, gate_context(view, ctx.repo, run_record(ctx), plan))


def carry_out(ctx: ToolContext, plan: Plan, decision: Any, verify_timeout: float = 1800.0,
              poll_interval: float = 10.0) -> Any:
    """Store the plan and decision, then let the executor do what the decision allows (ExecResult)."""
    ctx.store.save_plan(plan)
    ctx.store.save_decision(plan.id, decision, policy_of(ctx).version)
    executor = Executor(ctx.gh, ctx.store, policy_of(ctx), ctx.kb, verify_timeout, poll_interval)
    return executor.execute(plan, decision, run_record(ctx), ctx.diagnosis)
