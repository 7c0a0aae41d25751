"""`agent demo --json` as a process: three webhooks → one merged PR, one open PR, one issue, exit 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AGENT = [sys.executable, "-c", "from agent.cli.app import main; main()"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """(the finished process, its JSON report, its AGENT_HOME): the demo runs once for this module."""
    home = tmp_path_factory.mktemp("demo-home")
    env = {k: v for k, v in os.environ.items() if k not in ("AGENT_HOME", "AGENT_SLACK_WEBHOOK")}
    done = subprocess.run([*AGENT, "demo", "--json", "--home", str(home)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    return done, json.loads(done.stdout or "{}"), home


def events_of(report: dict, key: str) -> list[dict]:
    return next(run for run in report["runs"] if run["key"] == key)["events"]


def first(events: list[dict], kind: str, **fields) -> dict:
    found = [e for e in events if e["kind"] == kind and all(e.get(k) == v for k, v in fields.items())]
    assert found, f"no {kind} {fields} in {[(e['kind'], e['text']) for e in events]}"
    return found[0]


def test_demo_exits_zero_with_a_merged_pr_an_open_pr_and_one_issue(demo):
    done, report, home = demo
    assert done.returncode == 0, done.stderr[-2000:]
    assert report["ok"] and report["missing"] == []
    assert {run["key"]: run["status"] for run in report["runs"]} == {
        "high": "fixed", "medium": "pr_open", "novel": "escalated"}
    outcomes = report["outcomes"]
    assert [len(outcomes[key]) for key in ("merged_prs", "open_prs", "issues")] == [1, 1, 1]
    assert outcomes["merged_prs"][0]["api_url"].startswith(report["sandbox"])
    for run in report["runs"]:
        kinds = [event["kind"] for event in run["events"]]
        assert kinds[0] == "webhook" and "diagnosis" in kinds and kinds[-1] == "outcome"
    assert (home / "agent.db").is_file()


def test_the_links_point_at_the_sandbox_not_github(demo):
    _, report, _ = demo
    links = [item["html_url"] for items in report["outcomes"].values() for item in items]
    links += [url for run in report["runs"] for event in run["events"] for url in event.get("urls") or []]
    assert links and all(url.startswith(report["sandbox"] + "/Apra-Labs/ApraPipes/") for url in links)


def test_the_merge_comes_after_a_successful_ci_run_on_the_fix_branch_head(demo):
    _, report, _ = demo
    events = events_of(report, "high")
    commit, merge = first(events, "commit"), first(events, "merge")
    passed = first(events, "ci", phase="completed", head_sha=commit["ref"], conclusion="success")
    queued = first(events, "ci", phase="queued", ci_run=passed["ci_run"])
    assert passed["branch"].startswith("auto-fix/") and "→ success" in passed["text"]
    assert commit["t"] <= queued["t"] < passed["t"] <= merge["t"]


def test_each_event_is_stamped_when_it_happened_in_order(demo):
    _, report, _ = demo
    for run in report["runs"]:
        times = [event["t"] for event in run["events"]]
        assert times == sorted(times), run["key"]
    events = events_of(report, "high")
    stamps = [first(events, kind)["t"] for kind in ("diagnosis", "branch", "commit", "pull_request", "merge")]
    assert stamps == sorted(stamps) and stamps[0] < stamps[-1]
