"""The dashboard in a real headless Chromium (Debian's, driven by Playwright): it loads without a console
error and its tiles and charts hold the numbers `agent stats --json` prints for the same repository."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from test_action_entry import agent
from test_executor_kit import CONTAINER_WF, REPO, add_glibc_repo, client, pipeline, repo_files

from agent.daemon.intake import Intake
from agent.daemon.receiver import WebhookReceiver
from agent.knowledge import load_known_issues
from agent.policy.schema import Actors
from agent.store import Store
from agent.web.pages import WebPages

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT_ENV = "AGENT_SCREENSHOT_DIR"
"""Where to keep the page's screenshot (the README's image is made with it)."""


def history(sb, home) -> Store:
    """A failed run the agent fixed (auto-fix merged), then a later red run a human fixed by hand."""
    fixed = add_glibc_repo(sb)
    result = pipeline(sb, home).handle_run(REPO, fixed)
    assert result.status == "fixed", result.reason
    sb.commit_file(REPO, "main", CONTAINER_WF, repo_files()[CONTAINER_WF], "Back to 18.04 (breaks the build)")
    sb.commit_file(REPO, "main", CONTAINER_WF, repo_files(old_image=False)[CONTAINER_WF], "Fix the image by hand")
    sb.wait_for_runs(REPO)
    return Store(home / "agent.db")


def stats_json(sb, home, since: str) -> dict:
    done = agent("stats", "--repo", REPO, "--github-url", sb.url, "--token", sb.token, "--since", since, "--json",
                 AGENT_HOME=str(home))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                    reason="Debian's chromium is not installed (.ci/run installs it, so CI never skips)")
def test_dashboard_loads_in_chromium_and_its_charts_hold_the_stats_numbers(sb, home, tmp_path):
    from playwright.sync_api import sync_playwright

    store = history(sb, home)
    receiver = WebhookReceiver(Intake(store, Actors(), repos=[REPO]), "secret")
    receiver.pages = WebPages(client(sb), store, [REPO], load_known_issues())
    receiver.start()
    month, week = stats_json(sb, home, "30d"), stats_json(sb, home, "7d")
    errors: list[str] = []
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(receiver.url, wait_until="load")
            tiles = {tile: json.loads(page.get_attribute(f"#{tile}", "data-value"))
                     for tile in ("kpi-green-rate", "kpi-auto-fix-success", "kpi-false-escalations", "kpi-mttr")}
            series = {chart: json.loads(page.get_attribute(f"#{chart}", "data-series"))
                      for chart in ("chart-green-rate", "chart-auto-fix-success", "chart-mttr")}
            circles = page.locator("#chart-green-rate circle").count()
            rows = page.locator("#decisions tr").count()
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            browser.close()
    finally:
        receiver.stop()
    if os.environ.get(SCREENSHOT_ENV):
        shutil.copy(tmp_path / "dashboard.png", Path(os.environ[SCREENSHOT_ENV]) / "dashboard.png")
    assert errors == []
    assert tiles["kpi-green-rate"] == month["green_rate"]["overall"] and month["green_rate"]["runs"] >= 3
    assert tiles["kpi-auto-fix-success"] == month["auto_fix_success"]["rate"] == 1.0
    assert tiles["kpi-false-escalations"] == month["false_escalations"]["rate"]
    assert tiles["kpi-mttr"] == month["mttr_minutes"]["all"]["median"]
    assert series["chart-green-rate"]["values"][-1] == week["green_rate"]["overall"]
    assert series["chart-auto-fix-success"]["values"][-1] == week["auto_fix_success"]["rate"]
    assert series["chart-mttr"]["values"][-1] == week["mttr_minutes"]["all"]["median"]
    assert series["chart-green-rate"]["target"] == 0.9 and series["chart-mttr"]["target"] == 60.0
    assert circles >= 1 and rows >= 2
