"""A fix as a pull request: branch → one commit → PR → labels → (HIGH) verify on the fix branch → merge."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from agent.drafts import clean, pr_body, pr_marker, pr_title
from agent.executor.journal import ExecResult, Journal, Stop
from agent.executor.recheck import ask
from agent.executor.untrusted import head_spec, is_untrusted
from agent.github import Conflict, HeadMoved
from agent.logs.redact import redact
from agent.models import ACTION_RANK, Action, Plan

REVERT_TEMPLATE = "revert"
"""The FixSpec template name of a rollback plan: it merges without waiting for green (it undoes)."""


class FixFlow:
    """Carries out one allowed fix plan; every step reconciles with GitHub before it writes."""

    def __init__(self, ex: Any, plan: Plan, run: dict[str, Any], action: Action, needs_human: bool,
                 decision_text: str, diagnosis: Any = None):
        self.ex, self.gh, self.plan, self.run = ex, ex.gh, plan, run
        self.repo, self.action, self.needs_human = plan.repo, action, needs_human
        self.decision_text, self.diagnosis = decision_text, diagnosis
        self.journal = Journal(ex.store, plan)
        self.untrusted, self.head_repo = is_untrusted(plan), plan.repo
        """An untrusted plan's branch lives in the agent's fork (head_repo) and is never merged."""
        if self.untrusted:
            self.action, self.needs_human = Action.pull_request, True

    def result(self, status: str, urls: list[str], reason: str = "") -> ExecResult:
        return ExecResult(status, self.journal.summary(), urls, reason)

    def run_flow(self) -> ExecResult:
        """Branch, commit, PR, labels; auto_fix then verifies and merges, pull_request stops at the PR."""
        base = self.gh.repo_info(self.repo)["default_branch"]
        try:
            branch, base_sha = self.ensure_branch(base)
            head = self.ensure_commit(branch, base_sha)
            pull = self.ensure_pull(branch, base)
        except Stop as stop:
            return self.result(stop.status, [], stop.reason)
        urls = [pull.get("html_url", "")]
        try:
            return self.after_pull(pull, branch, head, urls)
        except Stop as stop:
            return self.result(stop.status, urls, stop.reason)

    def after_pull(self, pull: dict[str, Any], branch: str, head: str, urls: list[str]) -> ExecResult:
        """Labels; an auto_fix then waits for CI on the fix branch and merges (each write re-asks the gate)."""
        self.ensure_labels(pull, self.needs_human)
        if self.action != Action.auto_fix or self.needs_human:
            return self.result("pr_open", urls)
        if self.ex.store.outcomes(plan_id=self.plan.id, outcome="ci_failed"):
            return self.result("needs_human", urls, "the fix branch already failed CI")
        if not self.is_revert():
            verdict = self.verify(branch, head)
            if verdict != "success":
                return self.fail_verification(pull, verdict, urls)
        return self.merge(pull, head, urls)

    def reask(self, write: str) -> None:
        """The gate again, with a fresh context, right before `write`: a refusal stops the flow (Stop); a
        lower answer lowers the flow (an auto_fix the gate now wants reviewed is never merged)."""
        if write == "label":
            ask(self.ex, self.plan, self.run, write, Action.escalate)
            return
        wanted = Action.auto_fix if write in ("merge", "verify") else self.action
        allowed, needs_human = ask(self.ex, self.plan, self.run, "merge" if write == "verify" else write, wanted)
        if write in ("merge", "verify") and (allowed != Action.auto_fix or needs_human):
            raise Stop("pr_open", f"not merged: the gate now answers {allowed}"
                                  f"{' for a human' if needs_human else ''} before the {write}")
        if ACTION_RANK[allowed] < ACTION_RANK[self.action] or needs_human:
            self.action, self.needs_human = allowed, self.needs_human or needs_human

    def is_revert(self) -> bool:
        return self.plan.fix is not None and self.plan.fix.template == REVERT_TEMPLATE

    # ---- branch and commit --------------------------------------------------------------------

    def ensure_branch(self, base: str) -> tuple[str, str]:
        """The plan's branch (its name stored with the intent, so a restart reuses it), created if absent."""
        row = self.journal.last("branch")
        if row is None:
            self.head_repo = self.fork() if self.untrusted else self.repo
            base_sha = self.gh.branch_sha(self.repo, base)
            row = self.journal.intent("branch", branch=self.free_branch_name(), base_sha=base_sha,
                                      repo=self.head_repo)
        name, base_sha = row["detail"]["branch"], row["detail"]["base_sha"]
        self.head_repo = row["detail"].get("repo") or self.repo
        if row["status"] != "done":
            if self.gh.branch_sha(self.head_repo, name) is None:
                self.reask("branch")
                self.gh.create_branch(self.head_repo, name, base_sha)
            self.journal.done(row, name)
        return name, base_sha

    def fork(self) -> str:
        """The agent's fork of the repository (created or brought up to date; a write, so the gate is asked)."""
        self.reask("branch")
        return self.gh.fork_of(self.repo)

    def free_branch_name(self) -> str:
        """`auto-fix/<known-issue-id>-<YYYYmmddHHMMSS>`, one second later while the name is taken."""
        what = self.plan.known_issue_id or str(self.plan.category).replace("_", "-")
        moment = self.ex.now()
        for _ in range(60):
            name = f"{self.ex.policy.actors.branch_prefix}{what}-{moment:%Y%m%d%H%M%S}"
            if self.gh.branch_sha(self.head_repo, name) is None:
                return name
            moment += timedelta(seconds=1)
        raise Stop("needs_human", f"no free branch name for {what}")

    def ensure_commit(self, branch: str, base_sha: str) -> str:
        """One commit with every edit; if the branch already holds the edits, that commit is ours."""
        row = self.journal.last("commit")
        if row is not None and row["status"] == "done":
            return row["ref"]
        head = self.gh.branch_sha(self.head_repo, branch)
        if head != base_sha:
            if self.edits_landed(branch):
                return self.journal.done(row or self.journal.intent("commit", branch=branch), head)["ref"]
            raise Stop("needs_human", f"{branch} moved to {str(head)[:7]} and does not hold the planned edits")
        self.refuse_secrets()
        self.reask("commit")
        row = self.journal.intent("commit", row, branch=branch)
        try:
            sha = self.gh.commit_files(self.head_repo, branch, self.plan.edits, self.commit_message())
        except Conflict as exc:
            self.journal.failed(row, str(exc))
            raise Stop("needs_human", f"the edits no longer apply: {exc}") from exc
        return self.journal.done(row, sha)["ref"]

    def edits_landed(self, branch: str) -> bool:
        """Does the branch already hold every planned edit (a commit made before a crash)?"""
        for edit in self.plan.edits:
            found = self.gh.get_file(self.head_repo, edit.path, branch)
            if found is None or found[0] != edit.new:
                return False
        return True

    def refuse_secrets(self) -> None:
        """No edit may add text the redactor would hide: that would publish a secret."""
        for edit in self.plan.edits:
            if redact(edit.new)[1] > redact(edit.old or "")[1]:
                raise Stop("needs_human", f"the edit of {edit.path} would add a secret-like value")

    def commit_message(self) -> str:
        title = pr_title(self.plan)
        return clean(f"{title}\n\nPlan {self.plan.id}, failure signature {self.plan.signature}.\n"
                     f"{self.plan.rationale[:1000]}")

    # ---- pull request ---------------------------------------------------------------------------

    def ensure_pull(self, branch: str, base: str) -> dict[str, Any]:
        """The plan's PR: found by head branch or marker first, created only when there is none."""
        row, head = self.journal.last("pull_request"), head_spec(self.repo, self.head_repo, branch)
        pull = self.gh.find_pull(self.repo, head, state="all") or self.find_pull_by_marker()
        if pull is None:
            self.reask("pull_request")
            row = self.journal.intent("pull_request", row, branch=branch)
            body = pr_body(self.plan, self.diagnosis, self.decision_text, self.run, self.ex.kb)
            pull = self.gh.create_pull(self.repo, head, base, pr_title(self.plan), body)
        if row is None or row["status"] != "done":
            row = self.journal.intent("pull_request", row, branch=branch)
            self.journal.done(row, str(pull["number"]), number=pull["number"], url=pull.get("html_url"),
                              branch=branch)
        return pull

    def find_pull_by_marker(self) -> dict[str, Any] | None:
        """The agent's PR whose body carries this plan's marker (any state)."""
        marker = pr_marker(self.plan.id, self.plan.signature)
        _, _, pulls = self.gh.request("GET", f"/repos/{self.repo}/pulls", {"state": "all", "per_page": 100})
        return next((p for p in pulls or [] if marker in (p.get("body") or "")), None)

    def ensure_labels(self, pull: dict[str, Any], needs_human: bool) -> None:
        """`devops-agent`, plus `needs-human` when a human must decide."""
        labels = ["devops-agent"] + (["needs-human"] if needs_human else [])
        have = {label.get("name") for label in pull.get("labels") or []}
        missing = [label for label in labels if label not in have]
        if not missing:
            return
        self.reask("label")
        row = self.journal.intent("label", labels=missing)
        self.gh.add_labels(self.repo, pull["number"], missing)
        self.journal.done(row, str(pull["number"]), labels=missing)

    # ---- verification and merge ------------------------------------------------------------------

    def verify(self, branch: str, head: str) -> str:
        """Wait for the original failing workflow on the fix branch head: success, failure or timeout."""
        path, deadline = self.run.get("path"), time.monotonic() + self.ex.verify_timeout
        while True:
            runs = [r for r in self.gh.list_runs(self.repo, branch=branch)
                    if r.get("path") == path and r.get("head_sha") == head]
            if getattr(self.ex, "on_ci_state", None) is not None:
                self.ex.on_ci_state(branch, runs)
            if any(r.get("conclusion") == "action_required" for r in runs):
                return "approval"  # the workflows wait for a maintainer: not a CI failure
            if any(r.get("status") == "completed" and r.get("conclusion") != "success" for r in runs):
                return "failure"
            if runs and all(r.get("status") == "completed" for r in runs):
                return "success"
            if time.monotonic() >= deadline:
                return "timeout"
            self.ex.sleep(self.ex.poll_interval)
            self.reask("verify")

    def fail_verification(self, pull: dict[str, Any], verdict: str, urls: list[str]) -> ExecResult:
        """Never merged: the PR is left for a human, the outcome ci_failed starts the cool-down (not for
        workflows that wait for approval: that is no failure of the fix)."""
        if verdict == "approval":
            return self.await_approval(pull, urls)
        self.ex.store.record_outcome(self.plan.id, "ci_failed")
        self.ensure_labels(pull, needs_human=True)
        why = ("the original workflow failed on the fix branch" if verdict == "failure"
               else f"the original workflow did not report within {self.ex.verify_timeout:g} s")
        self.ex.comment_once(self.journal, pull["number"], f"Not merging: {why}. Left for a human.", run=self.run)
        return self.result("needs_human", urls, why)

    def await_approval(self, pull: dict[str, Any], urls: list[str]) -> ExecResult:
        """The fix branch's workflows wait for a maintainer's approval (action_required): say so, merge nothing."""
        why = "the workflows on the fix branch wait for a maintainer's approval (action_required)"
        self.ensure_labels(pull, needs_human=True)
        self.ex.comment_once(self.journal, pull["number"], f"Not merging: {why}. Approve the runs, then merge.",
                             run=self.run)
        return self.result("awaiting_approval", urls, why)

    def merge(self, pull: dict[str, Any], head: str, urls: list[str]) -> ExecResult:
        """Merge with the verified head as the expected head sha; a moved head is never merged."""
        number = pull["number"]
        current = self.gh.request("GET", f"/repos/{self.repo}/pulls/{number}")[2]
        row = self.journal.last("merge")
        if current.get("merged"):
            self.mark_merged(row, current.get("merge_commit_sha"), head)
            return self.result("fixed", urls)
        if current.get("head", {}).get("sha") != head:
            return self.head_moved(pull, row, f"the head moved to {current.get('head', {}).get('sha', '')[:7]}", urls)
        self.reask("merge")
        row = self.journal.intent("merge", row, expected_head_sha=head, number=number)
        try:
            sha = self.gh.merge_pull(self.repo, number, expected_head_sha=head)
        except HeadMoved as exc:
            return self.head_moved(pull, row, str(exc), urls)
        self.mark_merged(row, sha, head)
        return self.result("fixed", urls)

    def mark_merged(self, row: dict[str, Any] | None, sha: str | None, head: str) -> None:
        row = row or self.journal.intent("merge", expected_head_sha=head)
        self.journal.done(row, sha, merge_sha=sha, workflow=self.run.get("path"), revert=self.is_revert())
        if not self.ex.store.outcomes(plan_id=self.plan.id, outcome="merged"):
            self.ex.store.record_outcome(self.plan.id, "merged")

    def head_moved(self, pull: dict[str, Any], row: dict[str, Any] | None, why: str, urls: list[str]) -> ExecResult:
        """Someone pushed to the fix branch after verification: no merge, a human decides (fault #29)."""
        if row is not None and row["status"] == "intent":
            self.journal.failed(row, why)
        self.ensure_labels(pull, needs_human=True)
        return self.result("needs_human", urls, f"not merged: {why}")
