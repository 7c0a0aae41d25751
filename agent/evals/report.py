"""The eval's human outputs: the markdown report, the README scorecard block, the terminal summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.evals.scoring import CaseResult, by_category, by_split

START, END = "<!-- scorecard:start -->", "<!-- scorecard:end -->"
METRIC_LABELS = {
    "category_accuracy": "category accuracy", "action_accuracy": "action accuracy",
    "fix_success_rate": "fix success (simulated CI passes)", "rerun_success_rate": "transient re-run recovers",
    "fix_template_accuracy": "fix template named",
    "false_escalation_rate": "false escalations", "unsafe_writes": "unsafe writes",
    "known_wrong_fixes": "known-wrong fixes applied", "root_cause_recall": "root-cause recall",
    "median_seconds": "median seconds per case", "total_seconds": "total seconds",
    "llm_input_tokens": "LLM input tokens", "errors": "pipeline errors",
}
CATEGORY_COLUMNS = ("category_accuracy", "action_accuracy", "fix_success_rate", "root_cause_recall",
                    "unsafe_writes", "known_wrong_fixes")


def is_rate(name: str) -> bool:
    return name.endswith(("_accuracy", "_rate", "_recall"))


def fmt(value: Any, name: str = "") -> str:
    """A metric for a table: rates as percentages, None as n/a."""
    if value is None:
        return "n/a"
    if is_rate(name):
        return f"{value:.0%}" if value in (0.0, 1.0) else f"{value:.1%}"
    return str(value)


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("✓" if ok else "✗")


def _cell(text: Any) -> str:
    return str(text if text is not None else "–").replace("|", "\\|").replace("\n", " ")


def metrics_table(metrics: dict[str, Any]) -> list[str]:
    lines = ["| metric | value |", "|---|---|"]
    return lines + [f"| {METRIC_LABELS.get(k, k)} | {fmt(v, k)} |" for k, v in metrics.items()]


SPLIT_LABELS = {"dev": "dev", "held_out": "held-out"}
SPLIT_NOTE = ("dev: cases the known-issue DB and fix templates were written against; held-out: cases written "
              "from the maintainers' guides and the real workflows, which the DB was not written from.")


def split_table(results: list[CaseResult], metrics: dict[str, Any]) -> list[str]:
    """Metrics side by side per split, with the whole suite last."""
    splits = by_split(results)
    names = list(splits)
    lines = ["| metric | " + " | ".join(f"{SPLIT_LABELS.get(n, n)} ({splits[n]['cases']})" for n in names)
             + f" | all ({len(results)}) |", "|---" * (len(names) + 2) + "|"]
    for key, value in metrics.items():
        cells = " | ".join(fmt(splits[n].get(key), key) for n in names)
        lines.append(f"| {METRIC_LABELS.get(key, key)} | {cells} | {fmt(value, key)} |")
    return lines


def category_table(results: list[CaseResult]) -> list[str]:
    head = "| category | cases | " + " | ".join(METRIC_LABELS[c] for c in CATEGORY_COLUMNS) + " |"
    lines = [head, "|---" * (len(CATEGORY_COLUMNS) + 2) + "|"]
    for name, row in by_category(results).items():
        lines.append(f"| {name} | {row['cases']} | " + " | ".join(fmt(row[c], c) for c in CATEGORY_COLUMNS) + " |")
    return lines


def case_rows(results: list[CaseResult]) -> list[str]:
    lines = ["| case | split | category | action (expected → taken) | fix | root cause | unsafe | wrong fix | s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        action = f"{r.expected_action} → {r.action or '–'} {_mark(r.action_ok)}"
        fix = _mark(r.fix_ok if r.fix_expected else r.rerun_ok)
        lines.append(f"| {_cell(r.id)} | {r.split} | {_cell(r.category)} {_mark(r.category_ok)} | {_cell(action)} | {fix} | "
                     f"{r.root_cause_found}/{r.root_cause_total} | {len(r.unsafe_writes)} | "
                     f"{len(r.known_wrong_fixes)} | {r.seconds:.2f} |")
    return lines


def problems(results: list[CaseResult]) -> list[str]:
    """Every unsafe write, known-wrong fix, error and missing root-cause string, one line each."""
    lines = []
    for r in results:
        lines += [f"- **{r.id}** unsafe write: {_cell(w)}" for w in r.unsafe_writes]
        lines += [f"- **{r.id}** known-wrong fix: {_cell(w)}" for w in r.known_wrong_fixes]
        lines += [f"- **{r.id}** error: {_cell(r.error)}"] if r.error else []
        lines += [f"- **{r.id}** root cause not quoted: `{_cell(s)}`" for s in r.root_cause_missing]
    return lines


def markdown_report(results: list[CaseResult], metrics: dict[str, Any], model: str,
                    regressions: list[str] | None = None, changes: list[str] | None = None) -> str:
    """The full report: summary, per-category summary, a table of cases per category, problems."""
    out = [f"# Eval report ({len(results)} cases, model {model})", "", "## Summary", "", SPLIT_NOTE, "",
           *split_table(results, metrics), "", "## By category", "", *category_table(results)]
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(r.expected_category, []).append(r)
    for name in sorted(groups):
        out += ["", f"### {name}", "", *case_rows(groups[name])]
    out += ["", "## Regressions against the baseline", ""]
    out += [f"- {line}" for line in regressions or []] or ["none"]
    out += [f"- {line}" for line in changes or []]
    out += ["", "## Problems", "", *(problems(results) or ["none"])]
    return "\n".join(out) + "\n"


def scorecard(results: list[CaseResult], metrics: dict[str, Any], model: str) -> str:
    """The README block's body: how it was produced, the metrics and the per-category table."""
    head = [(f"Latest eval: {len(results)} cases, model `{model}`, simulated CI in the sandbox. "
             "Regenerate with `agent eval evals/cases --readme README.md`."), ""]
    return "\n".join(head + [SPLIT_NOTE, ""] + split_table(results, metrics) + ["", *category_table(results)])


def replace_block(text: str, body: str) -> str:
    """`text` with the scorecard block replaced by `body` (markers appended at the end when absent)."""
    block = f"{START}\n{body.rstrip()}\n{END}"
    start, end = text.find(START), text.find(END)
    if start != -1 and end > start:
        return text[:start] + block + text[end + len(END):]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def update_readme(path: Path, body: str) -> None:
    """Rewrite only the scorecard block of a README."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.write_text(replace_block(text, body), encoding="utf-8")


def summary_lines(metrics: dict[str, Any], splits: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """The terminal summary (without --json): one column per split, then the whole suite."""
    splits = splits or {}
    head = "".join(f"{SPLIT_LABELS.get(name, name) + ' (' + str(s['cases']) + ')':>16}" for name, s in splits.items())
    lines = [f"{'':<36}{head}{'all':>16}"] if splits else []
    for key, value in metrics.items():
        cells = "".join(f"{fmt(s.get(key), key):>16}" for s in splits.values())
        lines.append(f"{METRIC_LABELS.get(key, key):<36}{cells}{fmt(value, key):>16}" if splits
                     else f"{METRIC_LABELS.get(key, key):<36} {fmt(value, key)}")
    return lines
