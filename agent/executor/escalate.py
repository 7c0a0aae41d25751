"""Escalation (one issue per failure signature, repeats comment), CODEOWNERS assignees, Slack, re-runs."""

from __future__ import annotations

import fnmatch
import logging
import os
from typing import Any

import requests

from agent.drafts import clean, escalation_body, issue_marker, repeat_comment, run_link
from agent.executor.journal import ExecResult, Journal, Stop
from agent.executor.recheck import ask
from agent.models import Action, Plan

log = logging.getLogger(__name__)
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
SLACK_ENV = "AGENT_SLACK_WEBHOOK"


def codeowners_rule_matches(pattern: str, path: str) -> bool:
    """gitignore-style CODEOWNERS matching for the patterns people write: `*`, `/dir/`, `*.yml`, `a/b.yml`."""
    anchored, pattern = pattern.startswith("/"), pattern.lstrip("/")
    if pattern.endswith("/"):
        return path.startswith(pattern) if anchored else f"/{pattern}" in f"/{path}"
    if "/" not in pattern and not anchored:
        return any(fnmatch.fnmatchcase(part, pattern) for part in path.split("/"))
    if pattern.endswith("/**"):
        pattern = pattern[:-3]
        return path.startswith(pattern + "/")
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("/") + "/")


def codeowners_for(text: str, path: str) -> list[str]:
    """User logins of the last rule matching `path` (teams and e-mails cannot be assignees)."""
    owners: list[str] = []
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 1 and codeowners_rule_matches(parts[0], path):
            owners = parts[1:]
    return [o[1:] for o in owners if o.startswith("@") and "/" not in o]


def post_slack(text: str) -> bool:
    """POST to the incoming webhook in $AGENT_SLACK_WEBHOOK; a failure is logged, never raised."""
    url = os.environ.get(SLACK_ENV, "").strip()
    if not url:
        return False
    try:
        response = requests.post(url, json={"text": clean(text)}, timeout=5)
        return response.status_code < 300
    except requests.RequestException as exc:
        log.warning("slack webhook failed: %s", type(exc).__name__)
        return False


class Escalation:
    """Files the one issue for a signature, or comments the new run on it."""

    def __init__(self, ex: Any, plan: Plan, run: dict[str, Any], reason: str):
        self.ex, self.gh, self.plan, self.run, self.reason = ex, ex.gh, plan, run, reason
        self.repo, self.journal = plan.repo, Journal(ex.store, plan)

    def run_flow(self) -> ExecResult:
        issue = self.existing_issue()
        if issue is not None:
            return self.comment_repeat(issue)
        try:
            ask(self.ex, self.plan, self.run, "issue", Action.escalate)
        except Stop as stop:
            return ExecResult(stop.status, self.journal.summary(), [], stop.reason)
        row = self.journal.intent("issue", self.journal.last("issue"), marker=issue_marker(self.plan.signature))
        draft = self.plan.issue
        issue = self.gh.create_issue(self.repo, draft.title if draft else f"CI failure [{self.plan.signature}]",
                                     escalation_body(self.plan, self.reason),
                                     labels=draft.labels if draft else ["devops-agent", "ci-failure"],
                                     assignees=self.assignees())
        self.journal.done(row, str(issue["number"]), number=issue["number"], url=issue.get("html_url"))
        self.notify(issue)
        return ExecResult("escalated", self.journal.summary(), [issue.get("html_url", "")])

    def existing_issue(self) -> dict[str, Any] | None:
        """The signature's issue: from the store, else by its marker on GitHub (then recorded)."""
        done = self.ex.store.actions(kind="issue", repo=self.repo, signature=self.plan.signature, status="done")
        if done:
            number = int(done[-1]["ref"])
            return self.gh.request("GET", f"/repos/{self.repo}/issues/{number}")[2]
        issue = self.gh.find_issue(self.repo, issue_marker(self.plan.signature))
        if issue is not None:
            row = self.journal.intent("issue", self.journal.last("issue"), marker=issue_marker(self.plan.signature))
            self.journal.done(row, str(issue["number"]), number=issue["number"], url=issue.get("html_url"))
        return issue

    def comment_repeat(self, issue: dict[str, Any]) -> ExecResult:
        """A repeat of the signature: one comment per run (none when the issue is about this very run)."""
        url = [issue.get("html_url", "")]
        link = self.run.get("html_url") or ""
        if link and link in (issue.get("body") or ""):
            return ExecResult("escalated", self.journal.summary(), url)
        try:
            self.ex.comment_once(self.journal, issue["number"], repeat_comment(self.run, None), key=link, run=self.run)
        except Stop as stop:
            return ExecResult(stop.status, self.journal.summary(), url, stop.reason)
        return ExecResult("commented", self.journal.summary(), url)

    def assignees(self) -> list[str]:
        """Owners of the failing workflow from CODEOWNERS (last matching rule), where present."""
        for path in CODEOWNERS_PATHS:
            found = self.gh.get_file(self.repo, path, self.run.get("head_sha") or "HEAD")
            if found is not None:
                return codeowners_for(found[0], self.run.get("path") or "")[:10]
        return []

    def notify(self, issue: dict[str, Any]) -> None:
        """One Slack message for a new issue (recorded like every other side effect)."""
        if not os.environ.get(SLACK_ENV):
            return
        row = self.journal.intent("slack", self.journal.last("slack"))
        text = f"devops-agent escalated a CI failure in {self.repo}: {issue.get('title')} {issue.get('html_url')}"
        sent = post_slack(text)
        (self.journal.done(row, issue.get("html_url")) if sent else self.journal.failed(row, "webhook failed"))


class Rerun:
    """Re-run the failed jobs of a run once (the gate counts the limit)."""

    def __init__(self, ex: Any, plan: Plan, run: dict[str, Any]):
        self.ex, self.gh, self.plan, self.run = ex, ex.gh, plan, run
        self.journal = Journal(ex.store, plan)

    def run_flow(self) -> ExecResult:
        row = self.journal.last("rerun")
        links = [run_link(self.run)]
        if row is not None and row["status"] == "done":
            return ExecResult("rerun", self.journal.summary(), links)
        if row is not None:
            latest = self.gh.get_run(self.plan.repo, self.plan.run_id)
            if int(latest.get("run_attempt") or 1) > self.plan.run_attempt:
                self.journal.done(row, str(latest["run_attempt"]))
                return ExecResult("rerun", self.journal.summary(), links)
        try:
            ask(self.ex, self.plan, self.run, "rerun", Action.rerun)
        except Stop as stop:
            return ExecResult(stop.status, self.journal.summary(), links, stop.reason)
        row = self.journal.intent("rerun", row, attempt=self.plan.run_attempt)
        self.gh.rerun_failed_jobs(self.plan.repo, self.plan.run_id)
        self.journal.done(row, str(self.plan.run_attempt + 1))
        return ExecResult("rerun", self.journal.summary(), links)
