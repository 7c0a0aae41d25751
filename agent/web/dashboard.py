"""The read-only dashboard at `/`: the KPIs against the seed's targets, recent decisions with their links and
the gate's reason, and the known issues with their calibrated confidence. Server-rendered HTML + SVG."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from agent.web.charts import line_chart

TARGETS = {"green_rate": 0.90, "auto_fix_success": 0.85, "false_escalations": 0.05, "mttr_minutes": 60.0}
TREND_DAYS = 14
TRAILING_DAYS = 7
STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fafbfc}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{background:#fff;border:1px solid #d0d7de;border-radius:6px;
padding:10px 14px;min-width:150px}.tile b{display:block;font-size:22px}.tile.bad b{color:#cf222e}
.tile.good b{color:#1a7f37}.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:0;padding:8px}
.chart svg{width:520px;height:180px}.series{fill:none;stroke:#0969da;stroke-width:2}
.target{stroke:#cf222e;stroke-dasharray:5 4}.axis{stroke:#8c959f}circle{fill:#0969da}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:8px;border-radius:6px}
"""


def trend(runs: list[dict[str, Any]], rows: dict[str, Any], now: datetime) -> dict[str, list]:
    """Per day of the last TREND_DAYS: the KPIs over the TRAILING_DAYS ending that day."""
    from agent.stats import Window, compute

    days, series = [], {name: [] for name in TARGETS}
    for back in range(TREND_DAYS - 1, -1, -1):
        end = (now - timedelta(days=back)).replace(hour=23, minute=59, second=59, microsecond=0)
        end = min(end, now)
        figures = compute(runs, _rows_until(rows, end), Window(end - timedelta(days=TRAILING_DAYS), end))
        days.append(end.date().isoformat())
        series["green_rate"].append(figures["green_rate"]["overall"])
        series["auto_fix_success"].append(figures["auto_fix_success"]["rate"])
        series["false_escalations"].append(figures["false_escalations"]["rate"])
        series["mttr_minutes"].append(figures["mttr_minutes"]["all"]["median"])
    return {"days": days, **series}


def _rows_until(rows: dict[str, Any], end: datetime) -> dict[str, Any]:
    """The store rows recorded up to `end` (each table's own time column)."""
    stamp = end.isoformat()

    def before(items: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
        return [row for row in items if (row.get(column) or "") <= stamp]

    return {**rows, "actions": before(rows["actions"], "created_at"), "outcomes": before(rows["outcomes"], "at"),
            "llm_runs": before(rows["llm_runs"], "updated_at"), "incidents": before(rows["incidents"], "created_at")}


def _tile(tile_id: str, title: str, value: float | None, target: float, lower_is_better: bool,
          percent: bool = True) -> str:
    if value is None:
        shown, state = "n/a", ""
    else:
        shown = f"{value:.0%}" if percent else f"{value:.0f} min"
        state = "good" if (value <= target if lower_is_better else value >= target) else "bad"
    goal = f"{'≤' if lower_is_better else '≥'} {target:.0%}" if percent else f"< {target:.0f} min"
    return (f'<div class="tile {state}" id="{tile_id}" data-value="{escape(json.dumps(value))}">{escape(title)}'
            f"<b>{escape(shown)}</b><small>target {escape(goal)}</small></div>")


def tiles(figures: dict[str, Any]) -> str:
    """The headline KPIs of the whole window, each against its target."""
    mttr = figures["mttr_minutes"]["all"]["median"]
    return '<div class="tiles">' + "".join([
        _tile("kpi-green-rate", "Green builds", figures["green_rate"]["overall"], TARGETS["green_rate"], False),
        _tile("kpi-auto-fix-success", "Auto-fix success", figures["auto_fix_success"]["rate"],
              TARGETS["auto_fix_success"], False),
        _tile("kpi-false-escalations", "False escalations", figures["false_escalations"]["rate"],
              TARGETS["false_escalations"], True),
        _tile("kpi-mttr", "MTTR (median)", mttr, TARGETS["mttr_minutes"], True, percent=False),
    ]) + "</div>"


def charts(series: dict[str, list]) -> str:
    days = series["days"]
    return '<div class="charts">' + "".join([
        line_chart("chart-green-rate", "Green builds (7-day)", days, series["green_rate"], 0.90, "≥"),
        line_chart("chart-auto-fix-success", "Auto-fix success (7-day)", days, series["auto_fix_success"], 0.85, "≥"),
        line_chart("chart-false-escalations", "False escalations (7-day)", days, series["false_escalations"],
                   0.05, "≤"),
        line_chart("chart-mttr", "MTTR median, minutes (7-day)", days, series["mttr_minutes"], 60.0, "<",
                   percent=False),
    ]) + "</div>"


def decisions_table(rows: list[dict[str, Any]]) -> str:
    """The latest gate decisions: when, which run, the plan, what the gate said and why, and the links."""
    body = "".join(
        f"<tr><td>{escape((row.get('at') or '')[:16])}</td><td>{escape(row.get('repo') or '')} "
        f"#{escape(str(row.get('run_id') or ''))}</td><td>{escape(row.get('action') or '')}</td>"
        f"<td>{escape(row.get('kind') or '')}</td><td>{escape(_reason(row))}</td><td>{_links(row)}</td></tr>"
        for row in rows)
    return ("<table id=\"decisions\"><tr><th>when</th><th>run</th><th>plan</th><th>gate</th><th>why</th>"
            f"<th>links</th></tr>{body}</table>")


def _reason(row: dict[str, Any]) -> str:
    decision = row.get("decision") or {}
    return str(decision.get("reason") or decision.get("message") or row.get("rule") or "")[:240]


def _links(row: dict[str, Any]) -> str:
    urls = [u for u in row.get("urls") or [] if isinstance(u, str) and u.startswith(("http://", "https://"))]
    return " ".join(f'<a href="{escape(u)}">{escape(u.rsplit("/", 2)[-2])} {escape(u.rsplit("/", 1)[-1])}</a>'
                    for u in urls)


def issues_table(stats: list[dict[str, Any]]) -> str:
    """Known issues with prior and calibrated (posterior) confidence and the tier it gives."""
    body = "".join(f"<tr><td>{escape(s['id'])}</td><td>{escape(s['category'])}</td><td>{s['hits']}</td>"
                   f"<td>{s['prior']:.2f}</td><td>{s['posterior']:.2f}</td><td>{escape(s['tier'])}</td></tr>"
                   for s in sorted(stats, key=lambda s: (-s["hits"], s["id"])))
    return ("<table id=\"known-issues\"><tr><th>known issue</th><th>category</th><th>hits</th><th>prior</th>"
            f"<th>calibrated</th><th>tier</th></tr>{body}</table>")


def page(figures: dict[str, Any], series: dict[str, list], decisions: list[dict[str, Any]],
         issue_stats: list[dict[str, Any]], budget_note: dict[str, Any] | None, now: datetime | None = None) -> str:
    """The whole dashboard as one HTML document."""
    now = now or datetime.now(UTC)
    note = (f'<p class="note" id="budget">LLM budget: {escape(str(budget_note.get("reason")))} '
            f'({escape(str(budget_note.get("at"))[:16])})</p>') if budget_note else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>devops-agent</title>'
        f"<style>{STYLE}</style></head><body><h1>devops-agent — {escape(', '.join(figures['repos']))}</h1>"
        f"<p>{escape(figures['since'][:10])} → {escape(figures['until'][:16])} UTC · generated "
        f"{escape(now.isoformat()[:19])}</p>{note}{tiles(figures)}<h2>Trends</h2>{charts(series)}"
        f"<h2>Recent decisions</h2>{decisions_table(decisions)}<h2>Known issues</h2>{issues_table(issue_stats)}"
        f"</body></html>"
    )
