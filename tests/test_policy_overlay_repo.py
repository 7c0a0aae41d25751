"""A watched repository's .github/devops-agent.yml narrows the policy for that repository only."""

from __future__ import annotations

from test_action_entry import agent
from test_executor_kit import REPO, add_glibc_repo, client, issues, pulls, writes

from agent.daemon.wiring import PipelineHandler
from agent.policy import load_policy
from agent.policy.overlay import REPO_POLICY_PATH, RepositoryPolicies
from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

OTHER = "Apra-Labs/other"


def test_a_repository_that_narrows_to_pull_requests_gets_no_auto_merge(sb, home):
    run_id = add_glibc_repo(sb)
    sb.commit_file(REPO, "main", REPO_POLICY_PATH, "tiers:\n  high_min_confidence: 0.99\n", "narrow")
    handler = PipelineHandler(client(sb), Store(home / "agent.db"), load_policy(), verify_timeout=10,
                              poll_interval=0.05)
    result = handler.handle_run(REPO, run_id)
    assert result.status == "pr_open", result.reason
    assert not [path for method, path in writes(sb) if path.endswith("/merge")]


def test_a_repository_file_that_widens_the_policy_stops_every_write_to_that_repository(sb, home):
    run_id = add_glibc_repo(sb)
    sb.commit_file(REPO, "main", REPO_POLICY_PATH, "rate_limits:\n  auto_fixes_per_day: 1000\n", "widen")
    before = len(writes(sb))
    done = agent("fix", str(run_id), "--repo", REPO, "--github-url", sb.url, "--token", sb.token,
                 "--verify-timeout", "5", "--poll-interval", "0.05", AGENT_HOME=str(home))
    assert done.returncode == 0, done.stderr
    assert "dry run" in done.stdout
    assert len(writes(sb)) == before and pulls(sb) == [] and issues(sb) == []


def test_each_repository_keeps_its_own_policy_and_the_central_one_is_untouched(sb, home):
    add_glibc_repo(sb)
    add_glibc_repo(sb, name=OTHER)
    sb.commit_file(REPO, "main", REPO_POLICY_PATH, "dry_run: true\n", "pause this one")
    central = load_policy()
    policies = RepositoryPolicies(client(sb), central)
    assert policies.policy_for(REPO).dry_run is True
    assert policies.policy_for(OTHER) == central and central.dry_run is False
    sb.commit_file(OTHER, "main", REPO_POLICY_PATH, "actors:\n  act_on_forks: true\n", "widen")
    assert RepositoryPolicies(client(sb), central).policy_for(OTHER).dry_run is True
