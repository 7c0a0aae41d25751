"""`agent demo --json` as a process: three webhooks → one merged PR, one open PR, one issue, exit 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AGENT = [sys.executable, "-c", "from agent.cli.app import main; main()"]


def test_demo_exits_zero_with_a_merged_pr_an_open_pr_and_one_issue(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("AGENT_HOME", "AGENT_SLACK_WEBHOOK")}
    done = subprocess.run([*AGENT, "demo", "--json", "--home", str(tmp_path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["ok"] and report["missing"] == []
    assert {run["key"]: run["status"] for run in report["runs"]} == {
        "high": "fixed", "medium": "pr_open", "novel": "escalated"}
    outcomes = report["outcomes"]
    assert [len(outcomes[key]) for key in ("merged_prs", "open_prs", "issues")] == [1, 1, 1]
    assert outcomes["merged_prs"][0]["api_url"].startswith(report["sandbox"])
    for run in report["runs"]:
        kinds = [event["kind"] for event in run["events"]]
        assert kinds[0] == "webhook" and "diagnosis" in kinds and kinds[-1] == "outcome"
    assert (tmp_path / "agent.db").is_file()
