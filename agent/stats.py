"""The KPIs of the seed, computed from GitHub's runs (the truth about green and red) and the store (what the
agent did). Each figure's definition is in FIGURES; `agent stats --help` and the README print them."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

AGENT_BRANCH_PREFIX = "auto-fix/"
"""The agent's fix branches (policies.yaml actors.branch_prefix); their runs are not the repository's."""
MAX_RUNS = 1000
"""Newest runs read per repository."""
RED = frozenset({"failure", "timed_out", "startup_failure"})
COUNTED = RED | {"success"}
"""Conclusions that count towards the green rate; cancelled, skipped, neutral and action_required do not."""

FIGURES = {
    "green_rate": "successful runs / runs that ended success, failure, timed_out or startup_failure, per workflow "
                  "and branch (cancelled, skipped and action_required runs, and the agent's own fix branches, "
                  "are left out)",
    "mttr_minutes": "per red streak of a workflow on a branch: from the first failed run's start to the end of the "
                    "next successful run; median and p90, split by who ended it: the agent (it merged a fix or "
                    "re-ran a run of the streak) or a human",
    "auto_fix_success": "agent auto-fixes merged and not later reverted / agent auto-fixes merged",
    "false_escalations": "escalations whose failure was later ended by a re-run that passed or by a known-template "
                         "fix the agent merged for the same signature / escalations",
    "reverts": "agent fixes reverted after the same failure came back on the default branch",
    "rerun_recoveries": "re-runs the agent requested whose run then ended in success / re-runs requested",
    "llm": "model input and output tokens and dollars, per analysis (mean) and per day (sum), as the API reported",
    "runner_incidents": "runner incidents the monitor opened (offline runners, stuck queues), by kind",
    "quarantined_tests": "flaky tests quarantined now (not yet released): test, until when, tracking issue",
}


@dataclass(frozen=True)
class Window:
    """The period the figures cover."""

    since: datetime
    now: datetime

    def holds(self, stamp: str | None) -> bool:
        at = parse_time(stamp)
        return at is not None and self.since <= at <= self.now


def parse_time(stamp: str | None) -> datetime | None:
    """An ISO-8601 time (GitHub's `Z` or an offset); None for a missing or unreadable one."""
    try:
        return datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None


def parse_since(text: str, now: datetime) -> datetime:
    """`30d`, `12h`, `90m` or an ISO date → the start of the window; ValueError otherwise."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text and text[-1] in units and text[:-1].isdigit():
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    start = datetime.fromisoformat(text)
    return start if start.tzinfo else start.replace(tzinfo=now.tzinfo)


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def green_rates(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Green rate per (workflow, branch), most runs first."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for run in runs:
        if run.get("conclusion") in COUNTED:
            key = (run.get("name") or run.get("path") or "?", run.get("head_branch") or "?")
            counts[key][0] += run.get("conclusion") == "success"
            counts[key][1] += 1
    rows = [{"workflow": wf, "branch": br, "green": g, "runs": n, "rate": ratio(g, n)}
            for (wf, br), (g, n) in counts.items()]
    return sorted(rows, key=lambda row: (-row["runs"], row["workflow"], row["branch"]))


def red_streaks(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each red streak that ended green: its failed run ids, start, end and minutes."""
    lanes: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        if run.get("conclusion") in COUNTED:
            lanes[(run.get("path") or run.get("name") or "?", run.get("head_branch") or "?")].append(run)
    streaks = []
    for lane in lanes.values():
        failed: list[dict[str, Any]] = []
        for run in sorted(lane, key=lambda r: r.get("created_at") or ""):
            if run.get("conclusion") in RED:
                failed.append(run)
            elif failed:
                start, end = parse_time(failed[0].get("created_at")), parse_time(run.get("updated_at"))
                if start and end:
                    streaks.append({"runs": {int(r["id"]) for r in failed} | {int(run["id"])},
                                    "minutes": (end - start).total_seconds() / 60})
                failed = []
    return streaks


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (p90: share 0.9); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, -(-int(share * 100) * len(ordered) // 100) - 1)], 2)


def repair_times(runs: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """MTTR median and p90, in all and split by who ended each red streak."""
    acted = {int(a["run_id"]) for a in actions
             if a.get("kind") in ("merge", "rerun") and a.get("status") == "done" and a.get("run_id") is not None}
    split: dict[str, list[float]] = {"agent": [], "human": []}
    for streak in red_streaks(runs):
        split["agent" if streak["runs"] & acted else "human"].append(streak["minutes"])
    every = split["agent"] + split["human"]

    def summary(values: list[float]) -> dict[str, Any]:
        middle = round(statistics.median(values), 2) if values else None
        return {"streaks": len(values), "median": middle, "p90": percentile(values, 0.9)}

    return {"all": summary(every), "agent": summary(split["agent"]), "human": summary(split["human"])}


def auto_fix_success(plans: dict[str, dict[str, Any]], outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Auto-fix plans merged, and how many of them were not reverted."""
    merged = {o["plan_id"] for o in outcomes if o.get("outcome") == "merged"
              and (plans.get(o.get("plan_id")) or {}).get("action") == "auto_fix"}
    reverted = {o["plan_id"] for o in outcomes if o.get("outcome") == "reverted"} & merged
    return {"merged": len(merged), "reverted": len(reverted), "rate": ratio(len(merged - reverted), len(merged))}


def false_escalations(actions: list[dict[str, Any]], outcomes: list[dict[str, Any]],
                      plans: dict[str, dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Escalations later ended by a passing re-run of their run or a merged template fix of their signature."""
    issues = [a for a in actions if a.get("kind") == "issue" and a.get("status") == "done"]
    fixed_signatures = {(plans.get(o.get("plan_id")) or {}).get("signature") for o in outcomes
                        if o.get("outcome") == "merged" and (plans.get(o.get("plan_id")) or {}).get("template")}
    recovered = {int(r["id"]) for r in runs if r.get("conclusion") == "success" and int(r.get("run_attempt") or 1) > 1}
    false = [a for a in issues if a.get("signature") in fixed_signatures
             or (a.get("run_id") is not None and int(a["run_id"]) in recovered)]
    return {"escalations": len(issues), "false": len(false), "rate": ratio(len(false), len(issues))}


def rerun_recoveries(actions: list[dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Re-runs the agent requested, and how many of those runs then passed."""
    latest = {int(r["id"]): r for r in runs}
    reruns = [a for a in actions if a.get("kind") == "rerun" and a.get("status") == "done"]
    passed = [a for a in reruns if (latest.get(int(a["run_id"] or 0)) or {}).get("conclusion") == "success"]
    return {"reruns": len(reruns), "recovered": len(passed), "rate": ratio(len(passed), len(reruns))}


def llm_spend(llm_runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Tokens and dollars per analysis (mean) and per day (sum), from the usage the API returned."""
    per_day: dict[str, dict[str, float]] = defaultdict(lambda: {"input_tokens": 0, "output_tokens": 0, "usd": 0.0})
    for row in llm_runs:
        usage = row.get("usage") or {}
        day = per_day[(row.get("updated_at") or "")[:10]]
        day["input_tokens"] += int(usage.get("input_tokens") or 0)
        day["output_tokens"] += int(usage.get("output_tokens") or 0)
        day["usd"] = round(day["usd"] + float(usage.get("cost_usd") or 0.0), 6)
    count = len(llm_runs)
    total = {key: sum(day[key] for day in per_day.values()) for key in ("input_tokens", "output_tokens", "usd")}
    mean = {key: round(value / count, 4) for key, value in total.items()} if count else None
    return {"analyses": count, "per_analysis": mean, "per_day": dict(sorted(per_day.items()))}


def incident_counts(incidents: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in incidents:
        counts[row.get("kind") or "?"] += 1
    return dict(sorted(counts.items()))


def store_rows(store: Any, repos: list[str], window: Window) -> dict[str, Any]:
    """The store's actions, outcomes, plans, model runs and incidents in the window for `repos`."""
    marks = ",".join("?" for _ in repos)
    low = [repo.lower() for repo in repos]
    since = window.since.isoformat()

    def rows(sql: str) -> list[dict[str, Any]]:
        return store.rows(sql.format(marks=marks), (*low, since))

    plans = rows("SELECT id, action, signature, template, repo FROM plans WHERE lower(repo) IN ({marks}) "
                 "AND created_at >= ?")
    quarantines = [{"repo": repo, "framework": framework, "test": test, "until": record.get("until"),
                    "issue": record.get("issue"), "status": record.get("status")}
                   for repo in repos for (framework, test), record in (
                       store.quarantine_records(repo).items() if hasattr(store, "quarantine_records") else [])
                   if not record.get("released")]
    return {
        "actions": rows("SELECT * FROM actions WHERE lower(repo) IN ({marks}) AND created_at >= ?"),
        "outcomes": rows("SELECT * FROM outcomes WHERE lower(repo) IN ({marks}) AND at >= ?"),
        "plans": {plan["id"]: plan for plan in plans},
        "llm_runs": rows("SELECT * FROM llm_runs WHERE lower(repo) IN ({marks}) AND updated_at >= ?"),
        "incidents": rows("SELECT * FROM incidents WHERE lower(repo) IN ({marks}) AND created_at >= ?"),
        "quarantines": quarantines,
    }


def compute(runs: list[dict[str, Any]], rows: dict[str, Any], window: Window,
            agent_prefix: str = AGENT_BRANCH_PREFIX) -> dict[str, Any]:
    """Every KPI for the runs (GitHub) and rows (store) of the window; runs on the agent's own fix branches
    are left out (their CI is the agent's verification, not the repository's health)."""
    runs = [run for run in runs if window.holds(run.get("created_at"))
            and not str(run.get("head_branch") or "").startswith(agent_prefix)]
    actions, outcomes, plans = rows["actions"], rows["outcomes"], rows["plans"]
    green = green_rates(runs)
    total_green, total = sum(row["green"] for row in green), sum(row["runs"] for row in green)
    return {
        "since": window.since.isoformat(), "until": window.now.isoformat(),
        "green_rate": {"overall": ratio(total_green, total), "runs": total, "by_workflow": green},
        "mttr_minutes": repair_times(runs, actions),
        "auto_fix_success": auto_fix_success(plans, outcomes),
        "false_escalations": false_escalations(actions, outcomes, plans, runs),
        "reverts": sum(1 for o in outcomes if o.get("outcome") == "reverted"),
        "rerun_recoveries": rerun_recoveries(actions, runs),
        "llm": llm_spend(rows["llm_runs"]),
        "runner_incidents": incident_counts(rows["incidents"]),
        "quarantined_tests": rows.get("quarantines", []),
    }


def collect_stats(gh: Any, store: Any, repos: list[str], since: str, now: datetime | None = None) -> dict[str, Any]:
    """The KPIs of `repos` over the window (`since`: 30d, 12h or an ISO date)."""
    now = now or datetime.now(UTC)
    window = Window(parse_since(since, now), now)
    runs = []
    for repo in repos:
        runs += gh.list_runs(repo, status="completed", created=f">={window.since.date().isoformat()}", limit=MAX_RUNS)
    figures = compute(runs, store_rows(store, repos, window), window)
    return {"repos": repos, **figures}
