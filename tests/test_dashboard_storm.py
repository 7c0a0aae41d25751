"""Fault #32: a storm held back by rate limits is listed on ONE dashboard issue per repo, edited in place."""

from __future__ import annotations

import pytest
from test_executor_kit import (
    CONTAINER_WF,
    GLIBC_FIXED,
    MEMBER,
    add_glibc_repo,
    glibc_logs,
    issues,
    pipeline,
    policy_with,
    pulls,
    writes,
)

from agent.executor.dashboard import DASHBOARD_MARKER, MAX_ROWS, Dashboard, render_body
from agent.models import Action, Plan
from agent.pipeline import HandleResult
from agent.policy import Deny

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

HELD = "Apra-Labs/ApraPipes-held"
GLOBAL = {"scope": "global"}
"""Fault #32 is about caps across repositories: the storm runs with limits counted globally."""


def storm(sb, p) -> dict[str, list[int]]:
    """Two repos take the hour's two PRs; then three runs in HELD and one each in two more repos are held."""
    for n in range(2):
        name = f"Apra-Labs/ApraPipes-{n}"
        assert p.handle_run(name, add_glibc_repo(sb, name)).status == "fixed"
    held = {HELD: [add_glibc_repo(sb, HELD), add_held_run(sb, seed=8), add_held_run(sb, seed=9)]}
    held |= {name: [add_glibc_repo(sb, name)] for name in ("Apra-Labs/ApraPipes-2", "Apra-Labs/ApraPipes-3")}
    for name, run_ids in held.items():
        assert [p.handle_run(name, run_id).status for run_id in run_ids] == ["denied"] * len(run_ids)
    return held


def run_url(sb, name: str, run_id: int) -> str:
    return f"{sb.url}/{name}/actions/runs/{run_id}"


def comments(sb, names) -> list:
    return [c for name in names for issue in sb.repo(name).issues.values() for c in issue.comments]


def posted_issues(sb, name: str) -> list:
    return [path for method, path in writes(sb) if method == "POST" and path == f"/repos/{name}/issues"]


def test_storm_leaves_two_prs_and_one_dashboard_issue_per_held_repo_listing_its_runs(sb, home):
    p = pipeline(sb, home, policy=policy_with(rate_limits=GLOBAL), dashboard=True)
    held = storm(sb, p)
    assert sum(len(pulls(sb, name)) for name in [*held, "Apra-Labs/ApraPipes-0", "Apra-Labs/ApraPipes-1"]) == 2
    for name, run_ids in held.items():
        [dashboard] = issues(sb, name)
        assert DASHBOARD_MARKER in dashboard.body and len(posted_issues(sb, name)) == 1
        assert all(run_url(sb, name, run_id) in dashboard.body for run_id in run_ids)
        assert dashboard.body.count("`prs_per_hour`") == len(run_ids)
    assert comments(sb, held) == []


def test_handling_held_runs_later_removes_them_from_the_dashboard_body(sb, home):
    held = storm(sb, pipeline(sb, home, policy=policy_with(rate_limits=GLOBAL), dashboard=True))
    later = pipeline(sb, home, policy=policy_with(rate_limits={**GLOBAL, "prs_per_hour": 50}), dashboard=True)
    statuses = [later.handle_run(HELD, run_id).status for run_id in held[HELD]]
    assert "denied" not in statuses
    [dashboard] = issues(sb, HELD)
    assert not any(run_url(sb, HELD, run_id) in dashboard.body for run_id in held[HELD])
    assert "Nothing is held back" in dashboard.body and len(posted_issues(sb, HELD)) == 1
    assert all(run_url(sb, "Apra-Labs/ApraPipes-2", run_id) in issues(sb, "Apra-Labs/ApraPipes-2")[0].body
               for run_id in held["Apra-Labs/ApraPipes-2"])
    assert comments(sb, [HELD]) == []


def add_held_run(sb, seed: int = 11) -> int:
    return sb.add_failed_run(HELD, workflow=CONTAINER_WF, name="CI-Linux-CUDA-Docker", logs=glibc_logs(seed=seed),
                             fixed_when=GLIBC_FIXED, actor=MEMBER)


def test_a_dashboard_found_by_its_marker_is_edited_not_duplicated(sb, home, tmp_path):
    storm(sb, pipeline(sb, home, policy=policy_with(rate_limits=GLOBAL), dashboard=True))
    elsewhere = tmp_path / "another-store"
    elsewhere.mkdir()
    run_id = add_held_run(sb)
    other = pipeline(sb, elsewhere, policy=policy_with(rate_limits={"prs_per_hour": 0}), dashboard=True)
    assert other.handle_run(HELD, run_id).status == "denied"
    [dashboard] = issues(sb, HELD)
    assert run_url(sb, HELD, run_id) in dashboard.body and len(posted_issues(sb, HELD)) == 1


def held_result(run_id: int) -> HandleResult:
    plan = Plan(id=f"plan-{run_id}", repo=HELD, run_id=run_id, signature="feedfacecafebeef",
                category="container_incompatible", action=Action.auto_fix)
    deny = Deny("rate limit reached: prs_per_hour: 2 of 2", rule="rate_limit.prs_per_hour", policy_version="t")
    return HandleResult(None, plan, deny, status="denied", reason="rate_limit.prs_per_hour")


@pytest.mark.parametrize("switch", ["kill_env", "kill_file", "dry_run"])
def test_kill_switch_or_dry_run_blocks_the_dashboard_write_until_lifted(sb, home, monkeypatch, switch):
    run_id = add_glibc_repo(sb, HELD)
    if switch == "kill_env":
        monkeypatch.setenv("AGENT_KILL_SWITCH", "1")
    if switch == "kill_file":
        (home / "kill-switch").write_text("stop\n", encoding="utf-8")
    p = pipeline(sb, home, policy=policy_with(dry_run=True) if switch == "dry_run" else None)
    run = {**p.gh.get_run(HELD, run_id), "run_attempt": 1}
    assert Dashboard(p).record(HELD, run, held_result(run_id)) is None
    assert writes(sb) == [] and issues(sb, HELD) == []
    monkeypatch.delenv("AGENT_KILL_SWITCH", raising=False)
    (home / "kill-switch").unlink(missing_ok=True)
    Dashboard(pipeline(sb, home)).record(HELD, run, held_result(run_id))
    [dashboard] = issues(sb, HELD)
    assert run_url(sb, HELD, run_id) in dashboard.body


@pytest.mark.parametrize(("rows", "says"), [
    (0, "Nothing is held back right now."),
    (MAX_ROWS + 3, "… and 3 more."),
])
def test_dashboard_body_says_when_nothing_is_held_and_caps_its_rows(rows, says):
    entries = [{"run_id": n, "attempt": 1, "url": "", "workflow": "CI | Linux", "signature": "ab", "category": "x",
                "limit": "prs_per_hour", "reason": "r", "since": "2025-01-01T00:00:00+00:00"} for n in range(rows)]
    body = render_body(HELD, entries)
    assert body.startswith(DASHBOARD_MARKER) and says in body
    assert body.count("CI \\| Linux") == min(rows, MAX_ROWS)


def test_update_issue_edits_the_body_and_reopens_in_place(sb, home):
    sb.add_repo(HELD, files={"README.md": "x\n"})
    gh = pipeline(sb, home).gh
    issue = gh.create_issue(HELD, "t", "old")
    gh.update_issue(HELD, issue["number"], state="closed")
    edited = gh.update_issue(HELD, issue["number"], body="new", state="open")
    assert (edited["body"], edited["state"]) == ("new", "open") and sb.repo(HELD).issues[issue["number"]].body == "new"
