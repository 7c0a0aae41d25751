"""Building a daemon from the environment: secret, GitHub credentials, alerter, the pipeline handler."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agent.daemon.alerts import Alerter, IssueAlerter, SlackAlerter
from agent.errors import ConfigError

POLL_RETRY_WAIT = 5.0
"""The poller's GitHub client sleeps at most this long inside a call; longer limits come back to the
poller as RateLimited, which then sleeps until the reset itself (fault #23)."""
WORK_RETRY_WAIT = 120.0
"""The pipeline's client honours retry-after up to this long (fault #22); beyond, the job is re-queued."""


def webhook_secret(secret_file: Path | None = None) -> str | None:
    """The webhook secret from --webhook-secret-file, else AGENT_WEBHOOK_SECRET; None when neither is set."""
    if secret_file is not None:
        try:
            text = secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{secret_file}: cannot read the webhook secret ({exc.strerror or exc})") from None
        if not text:
            raise ConfigError(f"{secret_file}: the webhook secret file is empty")
        return text
    return os.environ.get("AGENT_WEBHOOK_SECRET") or None


def github_client(base_url: str, max_wait: float, token: str | None = None) -> Any:
    """GitHub with the CLI's credentials (token, $GITHUB_TOKEN/$GH_TOKEN, else the App in $AGENT_APP_*),
    whose calls sleep at most `max_wait` seconds for limits before raising. The daemon's PRs must trigger
    CI, so a workflow's own GITHUB_TOKEN will not do: use a PAT or the App."""
    from agent.cli.options import github_client as configured
    from agent.github import RetryPolicy

    return configured(base_url, token, retry=RetryPolicy(max_total_wait=max_wait))


def alerter_for(gh: Any) -> Alerter:
    """Slack when AGENT_SLACK_WEBHOOK is set, else one GitHub issue per offline runner."""
    url = os.environ.get("AGENT_SLACK_WEBHOOK")
    return SlackAlerter(url) if url else IssueAlerter(gh)


class PipelineHandler:
    """agent.pipeline.Pipeline, built on `load()` so start-up stays light and the lock is checked first."""

    def __init__(self, gh: Any, store: Any, policy: Any, **options: Any):
        from agent.policy.overlay import RepositoryPolicies

        self.gh, self.store, self.policy, self.options = gh, store, policy, options
        self.pipeline: Any = None
        self.policies = RepositoryPolicies(gh, policy)
        """Each repository's policy: the central one narrowed by its .github/devops-agent.yml."""

    def load(self) -> PipelineHandler:
        try:
            from agent.pipeline import Pipeline
        except ImportError as exc:
            raise ConfigError(f"the pipeline is not available ({exc})") from None
        self.pipeline = Pipeline(self.gh, self.store, self.policy, **self.options)
        return self

    def pipeline_for(self, full_name: str) -> Any:
        """The pipeline deciding by the repository's own (narrowed) policy."""
        return (self.pipeline or self.load().pipeline).with_policy(self.policies.policy_for(full_name))

    def handle_run(self, full_name: str, run_id: int, run_attempt: int | None = None) -> Any:
        return self.pipeline_for(full_name).handle_run(full_name, run_id, run_attempt)

    def handle_default_branch_outcome(self, full_name: str, run: dict[str, Any]) -> Any:
        return self.pipeline_for(full_name).handle_default_branch_outcome(full_name, run)
