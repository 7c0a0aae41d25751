"""Where runner alerts go: one GitHub issue per offline runner (found again by its marker), or Slack."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

ALERT_LABELS = ("devops-agent", "runner-offline")


def runner_marker(full_name: str, runner: str) -> str:
    """The hidden marker that makes the runner's issue findable after a restart."""
    return f"<!-- devops-agent:runner-offline repo={full_name.lower()} runner={runner} -->"


def offline_text(full_name: str, runner: str, labels: list[str], runs: list[int]) -> str:
    waiting = ", ".join(f"#{run_id}" for run_id in runs[:10]) or "none listed"
    return (f"Self-hosted runner `{runner}` of {full_name} is offline while runs wait for the labels "
            f"`{', '.join(sorted(labels))}` (queued runs: {waiting}). Bring the runner back, or check its "
            f"service and network; this alert clears itself when it is online again.")


class Alerter(Protocol):
    """Opens one alert per offline runner and clears it; returns a reference kept on the incident."""

    def open(self, full_name: str, runner: str, labels: list[str], runs: list[int]) -> dict[str, Any]: ...

    def clear(self, full_name: str, runner: str, ref: dict[str, Any]) -> None: ...


class IssueAlerter:
    """An issue with a hidden marker; cleared with a comment and closed."""

    def __init__(self, gh: Any):
        self.gh = gh

    def open(self, full_name: str, runner: str, labels: list[str], runs: list[int]) -> dict[str, Any]:
        marker = runner_marker(full_name, runner)
        issue = self.gh.find_issue(full_name, marker, state="open")
        if issue is None:
            body = f"{offline_text(full_name, runner, labels, runs)}\n\n{marker}"
            issue = self.gh.create_issue(full_name, f"Self-hosted runner {runner} is offline", body,
                                         labels=ALERT_LABELS)
        return {"issue": issue["number"], "url": issue.get("html_url")}

    def clear(self, full_name: str, runner: str, ref: dict[str, Any]) -> None:
        number = ref.get("issue")
        if number is None:
            return
        self.gh.comment_issue(full_name, number, f"Runner `{runner}` is online again; closing this alert.")
        self.gh.request("PATCH", f"/repos/{full_name}/issues/{number}", body={"state": "closed"},
                        idempotent=True)


class GatedAlerter:
    """Another alerter whose GitHub writes wait while the kill switch is set (`agent pause`, label, env, file)."""

    def __init__(self, inner: Alerter, stop_reason: Callable[[str], str | None]):
        self.inner, self.stop_reason = inner, stop_reason

    def open(self, full_name: str, runner: str, labels: list[str], runs: list[int]) -> dict[str, Any]:
        reason = self.stop_reason(full_name)
        return {"held": reason} if reason else self.inner.open(full_name, runner, labels, runs)

    def clear(self, full_name: str, runner: str, ref: dict[str, Any]) -> None:
        if not self.stop_reason(full_name):
            self.inner.clear(full_name, runner, ref)


def kill_switch_reason(store: Any, policy: Any, gh: Any) -> Callable[[str], str | None]:
    """The gate's kill-switch rule for one repository, read fresh on every call (None: writes may go)."""
    from agent.policy import GateContext
    from agent.policy.rules import kill_switch

    def reason(full_name: str) -> str | None:
        ctx = GateContext(policy=policy, repo_labels=gh.repo_labels(full_name), paused=store.paused(full_name))
        stop = kill_switch(ctx)
        return stop[1] if stop else None

    return reason


class SlackAlerter:
    """A POST to a Slack incoming webhook (AGENT_SLACK_WEBHOOK) for each alert and each recovery."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url, self.timeout = url, timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def open(self, full_name: str, runner: str, labels: list[str], runs: list[int]) -> dict[str, Any]:
        self._post(f":warning: {offline_text(full_name, runner, labels, runs)}")
        return {"slack": True}

    def clear(self, full_name: str, runner: str, ref: dict[str, Any]) -> None:
        self._post(f":white_check_mark: Self-hosted runner `{runner}` of {full_name} is online again.")

    def _post(self, text: str) -> None:
        data = json.dumps({"text": text}).encode("utf-8")
        request = urllib.request.Request(self.url, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        with self._opener.open(request, timeout=self.timeout) as answer:
            answer.read()
