"""Learning from outcomes: a Beta posterior per known issue and per fix template, stats, history re-runs.

A prior confidence c with prior weight n0 is Beta(c·n0, (1−c)·n0). Each fix's verdict adds one
success (α) or one failure (β); the posterior mean is the confidence the tiers are cut from. A
plan's verdict is its latest outcome: ci_passed/merged succeed, ci_failed/reverted/closed_unmerged
fail, so a fix that passed CI and then merged counts once, and a merge later reverted counts as failed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import re2

from agent.knowledge.matcher import KnowledgeBase
from agent.knowledge.schema import KnownIssue

PRIOR_WEIGHT = 20.0
"""n0: how many outcomes the prior is worth. A 0.95 prior drops below 0.90 after two failures."""
TEMPLATE_PRIOR = 0.75
"""The prior of a fix template no known issue uses."""
SUCCESS_OUTCOMES = frozenset({"ci_passed", "merged"})
FAILURE_OUTCOMES = frozenset({"ci_failed", "reverted", "closed_unmerged"})


@dataclass
class Evidence:
    """Fix verdicts for one known issue or template."""

    successes: int = 0
    failures: int = 0

    @property
    def total(self) -> int:
        return self.successes + self.failures


def verdicts(outcomes: list[dict[str, Any]]) -> Evidence:
    """One verdict per plan (its latest outcome); an outcome without a plan counts on its own."""
    latest: dict[Any, str] = {}
    for number, row in enumerate(outcomes):
        latest[row.get("plan_id") or ("row", number)] = row["outcome"]
    evidence = Evidence()
    for outcome in latest.values():
        evidence.successes += outcome in SUCCESS_OUTCOMES
        evidence.failures += outcome in FAILURE_OUTCOMES
    return evidence


def beta(prior: float, evidence: Evidence, weight: float = PRIOR_WEIGHT) -> tuple[float, float]:
    """(α, β) of the posterior: Beta(c·n0 + successes, (1−c)·n0 + failures)."""
    return prior * weight + evidence.successes, (1.0 - prior) * weight + evidence.failures


def posterior(prior: float, evidence: Evidence, weight: float = PRIOR_WEIGHT) -> float:
    """The posterior mean α / (α + β)."""
    alpha, beta_ = beta(prior, evidence, weight)
    return alpha / (alpha + beta_) if alpha + beta_ > 0 else prior


def tier(confidence: float, high: float = 0.90, medium: float = 0.60) -> str:
    """HIGH (auto_fix), MEDIUM (pull_request) or LOW (escalate) for a confidence."""
    return "high" if confidence >= high else "medium" if confidence >= medium else "low"


def effective_confidence(issue_id: str, prior: float, store: Any, weight: float = PRIOR_WEIGHT) -> float:
    """The known issue's confidence after its recorded outcomes (the prior when there are none)."""
    return posterior(prior, verdicts(store.outcomes(known_issue_id=issue_id)), weight)


def template_prior(kb: KnowledgeBase, template: str) -> float:
    """The mean prior of the known issues whose fix uses `template` (TEMPLATE_PRIOR when none does)."""
    priors = [i.confidence for i in kb.issues if i.fix and i.fix.template == template]
    return sum(priors) / len(priors) if priors else TEMPLATE_PRIOR


def template_confidence(template: str, prior: float, store: Any, weight: float = PRIOR_WEIGHT) -> float:
    """A fix template's confidence after the outcomes of every fix that used it."""
    return posterior(prior, verdicts(store.outcomes(template=template)), weight)


@dataclass
class PatternStats:
    """One row of `agent kb stats`."""

    id: str
    category: str
    hits: int
    confirmed: int
    failed: int
    precision: float | None
    fix_success: float | None
    prior: float
    posterior: float
    prior_tier: str
    tier: str


def _hits(store: Any) -> dict[str, int]:
    rows = store.rows("SELECT known_issue_id, COUNT(*) AS n FROM diagnoses WHERE known_issue_id IS NOT NULL "
                      "GROUP BY known_issue_id")
    return {row["known_issue_id"]: int(row["n"]) for row in rows}


def issue_stats(issue: KnownIssue, hits: int, store: Any, tiers: tuple[float, float]) -> PatternStats:
    evidence = verdicts(store.outcomes(known_issue_id=issue.id))
    after = posterior(issue.confidence, evidence)
    return PatternStats(
        id=issue.id, category=issue.category.value, hits=hits, confirmed=evidence.successes,
        failed=evidence.failures, precision=round(min(1.0, evidence.successes / hits), 4) if hits else None,
        fix_success=round(evidence.successes / evidence.total, 4) if evidence.total else None,
        prior=issue.confidence, posterior=round(after, 4), prior_tier=tier(issue.confidence, *tiers),
        tier=tier(after, *tiers))


def kb_stats(kb: KnowledgeBase, store: Any, tiers: tuple[float, float] = (0.90, 0.60)) -> dict[str, Any]:
    """Per known issue and per fix template: hits, precision, fix success, prior vs posterior, tier."""
    hits = _hits(store)
    issues = [asdict(issue_stats(issue, hits.get(issue.id, 0), store, tiers)) for issue in kb.issues]
    names = sorted({i.fix.template for i in kb.issues if i.fix} | {r["template"] for r in store.outcomes()
                                                                    if r.get("template")})
    templates = []
    for name in names:
        evidence, prior = verdicts(store.outcomes(template=name)), template_prior(kb, name)
        after = posterior(prior, evidence)
        templates.append({"template": name, "successes": evidence.successes, "failures": evidence.failures,
                          "prior": round(prior, 4), "posterior": round(after, 4), "prior_tier": tier(prior, *tiers),
                          "tier": tier(after, *tiers)})
    unknown = sorted(set(hits) - {i.id for i in kb.issues})
    return {"issues": issues, "templates": templates, "unknown_ids": unknown,
            "diagnoses": int(store.scalar("SELECT COUNT(*) FROM diagnoses") or 0)}


def stored_lines(diagnosis: dict[str, Any]) -> list[str]:
    """The text a stored diagnosis kept: its root-cause lines and its excerpt, line by line."""
    return [*diagnosis.get("root_cause_lines", []), *str(diagnosis.get("excerpt", "")).splitlines()]


def first_match(issue: KnownIssue, lines: list[str]) -> str | None:
    """The first line that makes `issue` match (any/all patterns, no not_pattern), or None."""
    compiled = [re2.compile(p) for p in issue.patterns]
    hits = [next((line for line in lines if regex.search(line)), None) for regex in compiled]
    found = [h for h in hits if h is not None]
    if not found or (issue.match == "all" and len(found) < len(hits)):
        return None
    vetoes = [re2.compile(p) for p in issue.not_patterns]
    if any(regex.search(line) for regex in vetoes for line in lines):
        return None
    return found[0]


STORED = "stored"
"""`old` for against_history: compare with what matched when the run was diagnosed."""


def _matched_before(old: KnownIssue | str | None, issue_id: str, row: dict[str, Any], lines: list[str]) -> bool:
    if old == STORED:
        return row["known_issue_id"] == issue_id
    return old is not None and first_match(old, lines) is not None


def against_history(issue_id: str, new: KnownIssue | None, store: Any,
                    old: KnownIssue | str | None = STORED) -> dict[str, Any]:
    """Re-run an entry over every stored diagnosis: which runs newly match, which stop matching.

    `old` is the entry to compare with (STORED: the known_issue_id each diagnosis recorded; None: no entry);
    `new` None means the entry is removed.
    """
    rows = store.rows("SELECT repo, run_id, run_attempt, signature, known_issue_id, diagnosis FROM diagnoses "
                      "ORDER BY id")
    newly, stopped, still = [], [], 0
    for row in rows:
        lines = stored_lines(row["diagnosis"] or {})
        was = _matched_before(old, issue_id, row, lines)
        line = first_match(new, lines) if new is not None else None
        ref = {"repo": row["repo"], "run_id": row["run_id"], "run_attempt": row["run_attempt"],
               "signature": row["signature"], "matched_then": row["known_issue_id"]}
        if line is not None and not was:
            newly.append({**ref, "line": line})
        elif was and line is None:
            stopped.append(ref)
        elif was:
            still += 1
    return {"id": issue_id, "scanned": len(rows), "newly_matching": newly, "stop_matching": stopped,
            "still_matching": still}
