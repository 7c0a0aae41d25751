"""`agent demo` ends with its run's stats and the dashboard URL, which answers while the demo serves it."""

from __future__ import annotations

import urllib.request

from agent.demo import render, run_demo


def test_demo_serves_its_dashboard_and_reports_the_stats_of_its_run(tmp_path):
    pages: dict[str, bytes] = {}

    def hold(url: str) -> None:
        for path in ("", "metrics"):
            with urllib.request.urlopen(url + path, timeout=30) as answer:
                pages[path] = answer.read()

    report = run_demo(tmp_path / "home", timeout=90, hold=hold)
    assert report.ok, report.missing
    assert b"<h1>devops-agent" in pages[""] and b'id="kpi-green-rate"' in pages[""]
    assert b"agent_gate_decisions_total" in pages["metrics"]
    assert report.stats["auto_fix_success"] == {"merged": 1, "reverted": 0, "rate": 1.0}
    assert report.stats["false_escalations"]["escalations"] == 1
    assert all(not row["branch"].startswith("auto-fix/") for row in report.stats["green_rate"]["by_workflow"])
    text = render(report)
    assert report.dashboard in text and "auto-fix success" in text
