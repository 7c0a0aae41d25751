"""Stateless runs (the GitHub Action): limits and closed fixes are counted from the agent's own PRs on GitHub."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml
from test_action_entry import action_env, agent, event_file
from test_executor_kit import REPO, add_sfml_repo, client, failure_logs, pulls, repo_files

from agent.github.record import closed_fix_keys, fix_key_marker, merged_counts, usage_counts

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SIG, OTHER = "a" * 16, "b" * 16


def pull(signature: str, created: timedelta, state: str = "open", merged: timedelta | None = None,
         closed: timedelta | None = None, labels: tuple[str, ...] = (), title: str = "devops-agent: fix x",
         key: str = "0" * 16) -> dict:
    stamp = lambda delta: (NOW - delta).isoformat().replace("+00:00", "Z") if delta is not None else None
    return {"state": state, "title": title, "created_at": stamp(created), "merged_at": stamp(merged),
            "closed_at": stamp(closed if closed is not None else merged), "labels": [{"name": n} for n in labels],
            "head": {"ref": "auto-fix/x"},
            "body": f"why\n{fix_key_marker(key)}\n<!-- devops-agent:plan={'c' * 20} signature={signature} -->"}


def test_usage_counts_read_the_agents_pull_requests_like_the_store_would():
    pulls_seen = [
        pull(SIG, timedelta(minutes=10)),
        pull(OTHER, timedelta(minutes=50), state="closed", merged=timedelta(minutes=40)),
        pull(OTHER, timedelta(hours=5), state="closed", merged=timedelta(hours=4), labels=("needs-human",)),
        pull(SIG, timedelta(hours=30), state="closed", closed=timedelta(minutes=90)),
    ]
    counts = usage_counts(pulls_seen, SIG, {"run_attempt": 2}, NOW)
    assert counts == {"auto_fixes_today": 1, "attempts_for_signature": 2, "minutes_since_failed_fix": 90.0,
                      "prs_last_hour": 2, "open_agent_prs": 1, "reruns_for_run": 1}


def test_a_revert_of_the_signatures_fix_counts_as_a_failed_fix():
    revert = pull(SIG, timedelta(hours=2), state="closed", merged=timedelta(minutes=30), title="x (revert)")
    assert usage_counts([revert], SIG, {}, NOW)["minutes_since_failed_fix"] == 30.0


def test_closed_fix_keys_come_only_from_pull_requests_closed_without_a_merge():
    seen = [pull(SIG, timedelta(hours=1), state="closed", closed=timedelta(minutes=5), key="1" * 16),
            pull(SIG, timedelta(hours=1), state="closed", merged=timedelta(minutes=5), key="2" * 16),
            pull(SIG, timedelta(hours=1), key="3" * 16)]
    assert closed_fix_keys(seen) == {"1" * 16}


def test_merged_counts_keep_the_more_restrictive_value_of_each_counter():
    stored = {"prs_last_hour": 3, "open_agent_prs": 0, "minutes_since_failed_fix": None, "attempts_for_signature": 1}
    seen = {"prs_last_hour": 1, "open_agent_prs": 2, "minutes_since_failed_fix": 12.0, "attempts_for_signature": 0}
    assert merged_counts(stored, seen) == {"prs_last_hour": 3, "open_agent_prs": 2, "minutes_since_failed_fix": 12.0,
                                           "attempts_for_signature": 1}


def policy_file(home, **limits) -> str:
    path = home / "policies.yaml"
    path.write_text(yaml.safe_dump({"version": "test", "rate_limits": limits}), encoding="utf-8")
    return str(path)


def test_a_pull_request_limit_holds_across_stateless_runs_counted_from_github(sb, home):
    first = add_sfml_repo(sb)
    policies = policy_file(home, prs_per_hour=1)
    one = agent("action", "--verify-timeout", "5", "--poll-interval", "0.05",
                **action_env(sb, home, event_file(sb, home, first), "one"), AGENT_POLICIES=policies)
    assert one.returncode == 0, one.stderr
    assert len(pulls(sb)) == 1
    sb.commit_file(REPO, "main", "base/vcpkg.json", repo_files(old_image=False)["base/vcpkg.json"], "reset")
    lines = ["CMake Error at vcpkg_installed/x64-windows/share/sfml/SFMLConfig.cmake:139 (message):",
             "  Unsupported SFML component: system", "one more line"]
    second = sb.add_failed_run(REPO, workflow=".github/workflows/CI-Windows.yml", name="CI-Windows",
                               logs=failure_logs(lines, labels="windows-latest", seed=11),
                               actor={"login": "dev1", "association": "MEMBER"})
    two = agent("action", "--json", **action_env(sb, home, event_file(sb, home, second), "two"),
                AGENT_POLICIES=policies)
    assert two.returncode == 0, two.stderr
    assert len(pulls(sb)) == 1
    assert "prs_per_hour" in two.stdout


def test_a_fix_a_human_closed_is_not_proposed_again_by_a_later_stateless_run(sb, home):
    first = add_sfml_repo(sb)
    one = agent("action", **action_env(sb, home, event_file(sb, home, first), "one"))
    assert one.returncode == 0 and len(pulls(sb)) == 1, one.stderr
    client(sb).close_pull(REPO, pulls(sb)[0].number)
    second = sb.add_failed_run(REPO, workflow=".github/workflows/CI-Windows.yml", name="CI-Windows",
                               logs=sb.repo(REPO).runs[first].latest.logs,
                               actor={"login": "dev1", "association": "MEMBER"})
    two = agent("action", "--json", **action_env(sb, home, event_file(sb, home, second), "two"))
    assert two.returncode == 0, two.stderr
    assert len(pulls(sb)) == 1
    assert "closed" in two.stdout
