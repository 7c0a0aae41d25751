"""Logs + known issues → Diagnosis: what failed, why, and what to do about it (ARCHITECTURE 3.3)."""

from __future__ import annotations

from pathlib import Path

from agent.knowledge import IssueMatch, KnowledgeBase, load_known_issues
from agent.knowledge.resolve import resolve_fix
from agent.logs.clean import clip
from agent.logs.excerpt import EXCERPT_LINE_CHARS
from agent.logs.model import DEFAULT_LIMITS, Limits, RunLog
from agent.logs.reader import Source, read_log
from agent.logs.signature import failure_signature
from agent.logs.window import Window, failure_window
from agent.models import TRANSIENT_CATEGORIES, Action, Category, Diagnosis, FixSpec, KnownIssueRef

AUTO_FIX_CONFIDENCE = 0.90
PULL_REQUEST_CONFIDENCE = 0.60


def propose_action(category: Category, confidence: float, fix: FixSpec | None,
                   high: float = AUTO_FIX_CONFIDENCE, medium: float = PULL_REQUEST_CONFIDENCE) -> Action:
    """Transient → rerun; else the confidence tier (`high`/`medium` thresholds) of a known fix; no fix → escalate."""
    if category in TRANSIENT_CATEGORIES:
        return Action.rerun
    if fix is None:
        return Action.escalate
    if confidence >= high:
        return Action.auto_fix
    return Action.pull_request if confidence >= medium else Action.escalate


def _fix_of(match: IssueMatch | None, repo_dir: str | Path | None) -> FixSpec | None:
    if match is None or match.issue.fix is None:
        return None
    fix = FixSpec(template=match.issue.fix.template, params=match.params)
    if repo_dir is not None:
        fix = resolve_fix(fix, repo_dir)
    wrong = {(w.template, repr(sorted(w.params.items()))) for w in match.issue.known_wrong_fixes}
    return None if (fix.template, repr(sorted(fix.params.items()))) in wrong else fix


def _title(match: IssueMatch | None, window: Window, category: Category) -> str:
    if match:
        return match.issue.title
    where = f" in {window.failed_steps[-1].job} / {window.failed_steps[-1].step}" if window.failed_steps else ""
    return f"{category.value.replace('_', ' ')}{where}"


def root_cause_lines(run: RunLog, window: Window, match: IssueMatch | None) -> list[str]:
    """The window's root-cause lines plus the known issue's evidence lines, in log order."""
    if match is None:
        return window.root_cause_lines
    order = {id(step): n for n, step in enumerate(run.steps)}
    found = {(id(c.step), c.index): (order[id(c.step)], c.index, text)
             for c, text in zip(window.causes, window.root_cause_lines)}
    for hit in match.hits:
        found.setdefault((id(hit.step), hit.index), (order[id(hit.step)], hit.index, clip(hit.text, EXCERPT_LINE_CHARS)))
    return [text for _, _, text in sorted(found.values())]


def diagnose(run: RunLog, window: Window, match: IssueMatch | None, repo_dir: str | Path | None = None) -> Diagnosis:
    """The diagnosis for a run's failure window and its best known-issue match (if any)."""
    category = match.issue.category if match else window.category
    fix = _fix_of(match, repo_dir)
    confidence = match.issue.confidence if match else 0.0
    causes = root_cause_lines(run, window, match)
    return Diagnosis(
        signature=failure_signature(causes),
        category=category,
        known_issue=KnownIssueRef(id=match.issue.id, confidence=confidence) if match else None,
        title=_title(match, window, category),
        proposed_action=Action(match.issue.action) if match and match.issue.action else propose_action(category, confidence, fix),
        fix=fix,
        known_wrong_fixes=[FixSpec(template=w.template, params=w.params) for w in match.issue.known_wrong_fixes]
        if match else [],
        root_cause_lines=causes,
        excerpt=window.excerpt,
        failed_steps=window.failed_steps,
        redactions=window.redactions,
        truncated_bytes=window.truncated_bytes,
    )


def triage(source: Source, repo_dir: str | Path | None = None, kb: KnowledgeBase | None = None,
           limits: Limits = DEFAULT_LIMITS, engine: str = "auto") -> Diagnosis:
    """Read `source` (zip, run-log directory, job log, `gh run view --log` output, bytes or "-") and diagnose it.

    `engine` is the raw-log scanner ("auto": hyperscan when installed, else "re2"); both give the same diagnosis.
    """
    kb = kb if kb is not None else load_known_issues()
    run = read_log(source, patterns=kb.patterns, limits=limits, engine=engine)
    window = failure_window(run)
    return diagnose(run, window, kb.match(run, window), repo_dir)
