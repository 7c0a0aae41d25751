"""`agent stats`: each KPI computed by hand on a small fixture, and the command end to end on the sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from test_action_entry import agent
from test_executor_kit import REPO, add_novel_run

from agent.stats import Window, compute, parse_since, percentile
from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

WINDOW = Window(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC))
LINUX, WINDOWS = ".github/workflows/CI-Linux.yml", ".github/workflows/CI-Windows.yml"


def run(run_id: int, path: str, conclusion: str, created: str, updated: str | None = None, attempt: int = 1) -> dict:
    return {"id": run_id, "name": path.rsplit("/", 1)[1][:-4], "path": path, "head_branch": "main",
            "conclusion": conclusion, "run_attempt": attempt, "created_at": f"2026-12-{created}:00Z",
            "updated_at": f"2026-12-{updated or created}:00Z"}


RUNS = [
    run(1, LINUX, "success", "01T10:00", "01T10:30"),
    run(2, LINUX, "failure", "02T10:00"),
    run(3, LINUX, "failure", "02T11:00"),
    run(4, LINUX, "success", "02T12:00", "02T12:40"),   # ends a 160-minute streak; the agent merged a fix for run 3
    run(5, LINUX, "failure", "03T09:00"),
    run(6, LINUX, "success", "03T09:00", "03T09:20"),   # ends a 20-minute streak a human fixed
    run(7, WINDOWS, "success", "04T08:00", "04T08:50", attempt=2),  # recovered by the agent's re-run
    run(8, WINDOWS, "cancelled", "04T09:00"),           # not counted
    {**run(9, LINUX, "failure", "01T00:00"), "created_at": "2026-11-20T00:00:00Z"},  # before the window
]
ACTIONS = [
    {"kind": "merge", "status": "done", "run_id": 3, "signature": "s1"},
    {"kind": "rerun", "status": "done", "run_id": 7, "signature": "s9"},
    {"kind": "issue", "status": "done", "run_id": 5, "signature": "s3"},
    {"kind": "issue", "status": "done", "run_id": 7, "signature": "s9"},
    {"kind": "issue", "status": "done", "run_id": 99, "signature": "s7"},
    {"kind": "issue", "status": "failed", "run_id": 98, "signature": "s8"},
]
PLANS = {"p1": {"action": "auto_fix", "signature": "s1", "template": "container_image"},
         "p2": {"action": "auto_fix", "signature": "s2", "template": "cache_key"},
         "p3": {"action": "pull_request", "signature": "s3", "template": "vcpkg_override"}}
OUTCOMES = [{"plan_id": "p1", "outcome": "merged"}, {"plan_id": "p2", "outcome": "merged"},
            {"plan_id": "p2", "outcome": "reverted"}, {"plan_id": "p3", "outcome": "merged"},
            {"plan_id": "p1", "outcome": "ci_passed"}]
LLM = [{"updated_at": "2026-12-03T10:00:00+00:00", "usage": {"input_tokens": 1000, "output_tokens": 200, "cost_usd": 0.01}},
       {"updated_at": "2026-12-03T11:00:00+00:00", "usage": {"input_tokens": 3000, "output_tokens": 100, "cost_usd": 0.02}}]
INCIDENTS = [{"kind": "runner_offline"}, {"kind": "runner_offline"}, {"kind": "queue_stuck"}]


def figures() -> dict:
    rows = {"actions": ACTIONS, "outcomes": OUTCOMES, "plans": PLANS, "llm_runs": LLM, "incidents": INCIDENTS}
    return compute(RUNS, rows, WINDOW)


def test_green_rate_counts_finished_runs_in_the_window_per_workflow_and_branch():
    green = figures()["green_rate"]
    assert green["runs"] == 7 and green["overall"] == round(4 / 7, 4)
    rows = {(row["workflow"], row["branch"]): (row["green"], row["runs"]) for row in green["by_workflow"]}
    assert rows == {("CI-Linux", "main"): (3, 6), ("CI-Windows", "main"): (1, 1)}


def test_mttr_is_split_by_who_ended_each_red_streak():
    mttr = figures()["mttr_minutes"]
    assert mttr["all"] == {"streaks": 2, "median": 90.0, "p90": 160.0}
    assert mttr["agent"] == {"streaks": 1, "median": 160.0, "p90": 160.0}
    assert mttr["human"] == {"streaks": 1, "median": 20.0, "p90": 20.0}


def test_auto_fix_success_excludes_reverted_merges_and_pull_requests():
    assert figures()["auto_fix_success"] == {"merged": 2, "reverted": 1, "rate": 0.5}
    assert figures()["reverts"] == 1


def test_false_escalations_are_those_later_ended_by_a_rerun_or_a_template_fix():
    assert figures()["false_escalations"] == {"escalations": 3, "false": 2, "rate": round(2 / 3, 4)}


def test_rerun_recoveries_and_llm_spend_and_incidents():
    result = figures()
    assert result["rerun_recoveries"] == {"reruns": 1, "recovered": 1, "rate": 1.0}
    assert result["llm"]["analyses"] == 2
    assert result["llm"]["per_analysis"] == {"input_tokens": 2000.0, "output_tokens": 150.0, "usd": 0.015}
    assert result["llm"]["per_day"] == {"2026-12-03": {"input_tokens": 4000, "output_tokens": 300, "usd": 0.03}}
    assert result["runner_incidents"] == {"queue_stuck": 1, "runner_offline": 2}


def test_percentile_is_nearest_rank_and_window_parsing_takes_units_and_dates():
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9 and percentile([], 0.9) is None
    now = datetime(2026, 12, 8, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_since("2026-12-01", now) == datetime(2026, 12, 1, tzinfo=UTC)


def test_stats_command_reads_sandbox_runs_and_the_store_as_json(sb, home):
    run_id = add_novel_run(sb)
    store = Store(home / "agent.db")
    store.record_action("issue", REPO, "done", signature="abc", run_id=run_id)
    done = agent("stats", "--repo", REPO, "--github-url", sb.url, "--token", sb.token, "--json",
                 AGENT_HOME=str(home))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["green_rate"]["runs"] == 1 and result["green_rate"]["overall"] == 0.0
    assert result["false_escalations"] == {"escalations": 1, "false": 0, "rate": 0.0}


def test_stats_with_a_bad_window_is_one_error_line(home):
    done = agent("stats", "--repo", REPO, "--since", "last week", AGENT_HOME=str(home))
    assert done.returncode == 2 and "--since" in done.stderr and "Traceback" not in done.stderr
