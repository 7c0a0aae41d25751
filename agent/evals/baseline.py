"""evals/baseline.json: the last accepted scorecard, and the regression check against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.errors import BadInput
from agent.evals.cases import SPLITS
from agent.evals.scoring import CaseResult, aggregate

HIGHER_IS_BETTER = ("category_accuracy", "action_accuracy", "fix_success_rate", "fix_template_accuracy",
                    "rerun_success_rate", "root_cause_recall")
LOWER_IS_BETTER = ("false_escalation_rate", "errors")
ZERO_TOLERANCE = ("unsafe_writes", "known_wrong_fixes")
"""Any non-zero value is a regression, whatever the baseline says."""
TOLERANCE = 0.005
"""How much a rate may get worse before it counts (absolute)."""
TOKEN_TOLERANCE = 0.10
"""How much LLM input tokens may grow (relative) under the same model before it counts."""
COMPACT_FIELDS = ("split", "expected_category", "expected_action", "category_ok", "action_ok", "fix_expected", "fix_ok",
                  "fix_template_ok",
                  "rerun_expected", "rerun_ok", "false_escalation", "root_cause_found", "root_cause_total",
                  "llm_input_tokens", "seconds")


def compact(result: CaseResult) -> dict[str, Any]:
    """The per-case fields the baseline keeps: enough to recompute every metric over any subset."""
    record = {name: getattr(result, name) for name in COMPACT_FIELDS}
    record.update(unsafe_writes=len(result.unsafe_writes), known_wrong_fixes=len(result.known_wrong_fixes),
                  error=bool(result.error))
    return record


def baseline_record(results: list[CaseResult], model: str) -> dict[str, Any]:
    """The document `--update-baseline` writes."""
    return {"version": 1, "model": model, "cases": len(results), "metrics": aggregate(results),
            "results": {r.id: compact(r) for r in results}}


def load_baseline(path: Path) -> dict[str, Any] | None:
    """The baseline document, or None when the file does not exist."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BadInput(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise BadInput(f"{path}: not an eval baseline (no 'metrics')")
    return data


def write_baseline(path: Path, results: list[CaseResult], model: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(baseline_record(results, model), indent=2, sort_keys=True)
    path.write_text(text + "\n", encoding="utf-8")


def comparable_metrics(baseline: dict[str, Any], case_ids: list[str]) -> dict[str, Any]:
    """The baseline's metrics over the cases this run shares with it (all of them when it has no per-case data)."""
    per_case = baseline.get("results")
    if not isinstance(per_case, dict) or not per_case:
        return dict(baseline["metrics"])
    shared = [per_case[i] for i in case_ids if i in per_case]
    return aggregate(shared) if shared else {}


def _worse(name: str, now: Any, then: Any) -> bool:
    if now is None or then is None:
        return False
    if name in HIGHER_IS_BETTER:
        return now < then - TOLERANCE
    return now > then + TOLERANCE


def _metric_regressions(metrics: dict[str, Any], then: dict[str, Any], prefix: str = "") -> list[str]:
    return [f"{prefix}{name} {then.get(name)} → {metrics.get(name)}" for name in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER)
            if _worse(name, metrics.get(name), then.get(name))]


def split_regressions(results: list[CaseResult], baseline: dict[str, Any]) -> list[str]:
    """Per split, so a held-out drop cannot hide behind a dev gain (needs a baseline with per-case splits)."""
    per_case = baseline.get("results") if isinstance(baseline.get("results"), dict) else {}
    if len({(r.get("split") or "dev") for r in per_case.values() if isinstance(r, dict)}) < 2:
        return []
    found = []
    for name in SPLITS:
        group = [r for r in results if r.split == name]
        if group:
            found += _metric_regressions(aggregate(group), comparable_metrics(baseline, [r.id for r in group]), f"{name}: ")
    return found


def regressions(results: list[CaseResult], metrics: dict[str, Any], baseline: dict[str, Any] | None,
                model: str) -> list[str]:
    """Every way this run is worse than the baseline, as sentences (empty: no regression)."""
    found = [f"{name} = {metrics[name]} (must be 0)" for name in ZERO_TOLERANCE if metrics.get(name)]
    if baseline is None:
        return found
    then = comparable_metrics(baseline, [r.id for r in results])
    found += _metric_regressions(metrics, then) + split_regressions(results, baseline)
    tokens_then, tokens_now = then.get("llm_input_tokens") or 0, metrics.get("llm_input_tokens") or 0
    if baseline.get("model") == model and tokens_now > tokens_then * (1 + TOKEN_TOLERANCE) and tokens_now:
        found.append(f"llm_input_tokens {tokens_then} → {tokens_now}")
    return found


def case_changes(results: list[CaseResult], baseline: dict[str, Any] | None) -> list[str]:
    """Cases that passed a check in the baseline and fail it now (informational)."""
    per_case = (baseline or {}).get("results") or {}
    changes = []
    for result in results:
        before = per_case.get(result.id)
        if not before:
            continue
        lost = [name for name in ("category_ok", "action_ok", "fix_ok", "fix_template_ok", "rerun_ok")
                if before.get(name) and not getattr(result, name)]
        if lost:
            changes.append(f"{result.id}: {', '.join(lost)} now false")
    return changes
