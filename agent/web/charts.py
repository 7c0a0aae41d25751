"""Inline SVG line charts: a daily series with its target drawn as a dashed line. No JavaScript, no library."""

from __future__ import annotations

import json
from html import escape

WIDTH, HEIGHT, PAD = 520, 180, 34


def _points(values: list[float | None], top: float) -> list[tuple[float, float, float]]:
    """(x, y, value) of the days that have a value."""
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    return [(PAD + i * step, HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD), v)
            for i, v in enumerate(values) if v is not None]


def _label(value: float, percent: bool) -> str:
    return f"{value:.0%}" if percent else f"{value:g}"


def line_chart(chart_id: str, title: str, days: list[str], values: list[float | None], target: float,
               better: str, percent: bool = True) -> str:
    """An SVG chart of `values` per day with the target line; the numbers ride along as data attributes."""
    top = max([target, *(v for v in values if v is not None)], default=1.0) * (1.0 if percent else 1.15) or 1.0
    top = max(top, 1.0) if percent else top
    points = _points(values, top)
    target_y = HEIGHT - PAD - (target / top) * (HEIGHT - 2 * PAD)
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _) in enumerate(points))
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(_label(v, percent))}</title></circle>'
                   for x, y, v in points)
    first, last = (days[0], days[-1]) if days else ("", "")
    data = escape(json.dumps({"days": days, "values": values, "target": target}))
    return (
        f'<figure class="chart" id="{escape(chart_id)}" data-series="{data}">'
        f'<figcaption>{escape(title)} <small>(target {better} {escape(_label(target, percent))})</small></figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}"/>'
        f'<line class="target" x1="{PAD}" y1="{target_y:.1f}" x2="{WIDTH - PAD}" y2="{target_y:.1f}"/>'
        f'<text x="{WIDTH - PAD}" y="{target_y - 4:.1f}" text-anchor="end">target</text>'
        f'<path class="series" d="{path}"/>{dots}'
        f'<text x="{PAD}" y="{HEIGHT - 8}">{escape(first)}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" text-anchor="end">{escape(last)}</text>'
        f'</svg></figure>'
    )
