"""The CI simulator: runs start when commits land or pull requests open, and pass when `fixed_when` holds."""

from __future__ import annotations

import threading
import time
from typing import Any

import re2

from agent.sandbox import gitops, runlogs, shapes
from agent.sandbox.model import (
    Actor,
    Attempt,
    CheckRun,
    CommitStatus,
    Job,
    Repo,
    Run,
    Step,
    Workflow,
    now_iso,
)

DEFAULT_JOBS = [("build", ["Set up job", "Run build", "Complete job"])]
STUB_FAILURE = {"1_build.txt": b"\xef\xbb\xbf2025-01-01T00:00:00.0000000Z ##[group]Run build\n"
                b"2025-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.\n"}


def predicate_holds(text: str | None, predicate: dict[str, str]) -> bool:
    """One `fixed_when` predicate on a file's text (None: the file is absent)."""
    if "matches" in predicate:
        return text is not None and re2.search(predicate["matches"], text) is not None
    if "not_matches" in predicate:
        return text is None or re2.search(predicate["not_matches"], text) is None
    if "contains" in predicate:
        return text is not None and predicate["contains"] in text
    if "not_contains" in predicate:
        return text is None or predicate["not_contains"] not in text
    raise ValueError(f"unknown fixed_when predicate: {predicate}")


def fixed(repo: Repo, sha: str, fixed_when: list[dict[str, str]]) -> bool:
    """Do all `fixed_when` predicates hold on commit `sha`? (An empty list never passes.)"""
    if not fixed_when:
        return False
    for predicate in fixed_when:
        data = gitops.read_file(repo, sha, predicate["file"])
        if not predicate_holds(None if data is None else data.decode("utf-8", "replace"), predicate):
            return False
    return True


def build_attempt(sb: Any, number: int, logs: dict[str, bytes], triggering: Actor) -> Attempt:
    """A queued attempt whose jobs and steps come from a log layout."""
    attempt = Attempt(number=number, logs=logs, triggering_actor=triggering)
    for job_log in runlogs.parse_layout(logs):
        steps = [Step(number=s.number, name=s.name, status="queued", conclusion=None) for s in job_log.steps]
        attempt.jobs.append(Job(id=sb.state.new_id(), name=job_log.name, steps=steps))
    return attempt


def settle(attempt: Attempt, status: str) -> None:
    """Move an attempt and its jobs to `status`; on completion, conclusions come from the logs."""
    attempt.status, attempt.updated_at = status, now_iso()
    job_logs = {j.name: j for j in runlogs.parse_layout(attempt.logs)} if status == "completed" else {}
    for job in attempt.jobs:
        job.status = status
        if status != "completed":
            continue
        derived = job_logs.get(job.name)
        outcome = {s.number: c for s, c in derived.conclusions()} if derived else {}
        for step in job.steps:
            step.status, step.conclusion = "completed", outcome.get(step.number, "success")
        job.conclusion = "failure" if derived and derived.failed else "success"
        job.completed_at = now_iso()
    if status == "completed":
        attempt.conclusion = "failure" if any(j.conclusion == "failure" for j in attempt.jobs) else "success"


class CI:
    """Starts, advances and completes simulated workflow runs; records checks and sends webhooks."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.stopping = threading.Event()

    def on_push(self, repo: Repo, branch: str, before: str | None, after: str, login: str) -> None:
        """A commit landed on `branch`: push runs, and `synchronize` for its open pull requests."""
        if not repo.actions_enabled:
            return
        prs = self._open_prs(repo, branch)
        for workflow in repo.workflows.values():
            if "push" in workflow.events:
                self.start_run(repo, workflow, after, branch, "push", login, prs)
        for number in prs if before else []:
            self.pull_event(repo, repo.pulls[number], "synchronize", login)

    def pull_event(self, repo: Repo, pull: Any, action: str, login: str) -> None:
        """Send `pull_request` and start the pull_request runs for opened/reopened/synchronize."""
        payload = {"action": action, "number": pull.number, "pull_request": shapes.pull(self.sb.url, repo, pull)}
        self.sb.hooks.emit(repo, "pull_request", payload, login)
        if action not in ("opened", "reopened", "synchronize"):
            return
        head = repo.branches.get(pull.head, pull.head_sha) if not pull.head_repo else pull.head_sha
        for workflow in repo.workflows.values():
            if "pull_request" in workflow.events and pull.head_repo:
                self.start_fork_run(repo, workflow, pull, login)
            elif "pull_request" in workflow.events:
                self.start_run(repo, workflow, head, pull.head, "pull_request", login, [pull.number])

    def start_fork_run(self, repo: Repo, workflow: Workflow, pull: Any, login: str) -> Run:
        """A fork pull request's run, as GitHub makes it: no secrets, a read-only token, and waiting for a
        maintainer's approval (conclusion action_required) before anything executes."""
        actor = Actor(login=login, association="CONTRIBUTOR")
        run = self.new_run(repo, workflow, pull.head_sha, pull.head, "pull_request", actor, [pull.number])
        run.head_repository, run.secrets_available, run.approval_required = pull.head_repo, False, True
        waiting = Attempt(number=1, status="completed", conclusion="action_required", triggering_actor=actor)
        run.attempts.append(waiting)
        self._notify(repo, run, "requested")
        return run

    def approve(self, repo: Repo, run: Run) -> Attempt:
        """A maintainer approved the waiting fork run: it executes now, still without secrets."""
        workflow = repo.workflows.get(run.path)
        run.attempts.clear()
        actor = Actor(login=run.actor.login, association="CONTRIBUTOR")
        passes = workflow is not None and fixed(repo, run.head_sha, workflow.fixed_when)
        return self._launch(repo, run, workflow, passes, actor)

    def _open_prs(self, repo: Repo, branch: str) -> list[int]:
        return [n for n, p in repo.pulls.items() if p.head == branch and repo.issues[n].state == "open"]

    def new_run(self, repo: Repo, workflow: Workflow, sha: str, branch: str, event: str, actor: Actor,
                prs: list[int]) -> Run:
        """Register a run (no attempts yet)."""
        run = Run(id=self.sb.state.new_id(), run_number=repo.next_run_number, workflow_id=workflow.id,
                  name=workflow.name, path=workflow.path, event=event, head_branch=branch, head_sha=sha,
                  actor=actor, pull_requests=list(prs), check_suite_id=self.sb.state.new_id())
        repo.next_run_number += 1
        repo.runs[run.id] = run
        return run

    def start_run(self, repo: Repo, workflow: Workflow, sha: str, branch: str, event: str, login: str,
                  prs: list[int]) -> Run:
        """Queue a run of `workflow` on `sha` and advance it in the background."""
        actor = Actor(login=login, association="NONE")
        run = self.new_run(repo, workflow, sha, branch, event, actor, prs)
        self._launch(repo, run, workflow, fixed(repo, sha, workflow.fixed_when), actor)
        return run

    def rerun_failed(self, repo: Repo, run: Run, login: str) -> Attempt:
        """A new attempt of a completed run; it passes if the workflow is flaky-on-rerun or fixed."""
        workflow = repo.workflows.get(run.path)
        passes = workflow is not None and (workflow.rerun_passes or fixed(repo, run.head_sha, workflow.fixed_when))
        return self._launch(repo, run, workflow, passes, Actor(login=login, association="NONE"))

    def _launch(self, repo: Repo, run: Run, workflow: Workflow | None, passes: bool, actor: Actor) -> Attempt:
        failing = (workflow.failing_logs if workflow else {}) or STUB_FAILURE
        jobs = [(j.name, [s.name for s in j.steps]) for j in runlogs.parse_layout(failing)] or DEFAULT_JOBS
        logs = runlogs.green_logs(jobs) if passes else dict(failing)
        attempt = build_attempt(self.sb, len(run.attempts) + 1, logs, actor)
        run.attempts.append(attempt)
        self.record_checks(repo, run, attempt)
        self._notify(repo, run, "requested")
        threading.Thread(target=self._advance, args=(repo, run, attempt), daemon=True,
                         name=f"sandbox-ci-{run.id}").start()
        return attempt

    def _advance(self, repo: Repo, run: Run, attempt: Attempt) -> None:
        for status in ("in_progress", "completed"):
            if self.stopping.wait(self.sb.ci_delay / 2):
                return
            with self.sb.lock:
                settle(attempt, status)
                self.record_checks(repo, run, attempt)
                self._notify(repo, run, status)

    def record_checks(self, repo: Repo, run: Run, attempt: Attempt) -> None:
        """Check runs (one per job, id = job id) and a commit status for the run's head sha."""
        known = {c.job_id: c for c in repo.check_runs}
        for job in attempt.jobs:
            check = known.get(job.id) or CheckRun(id=job.id, name=job.name, head_sha=run.head_sha, run_id=run.id,
                                                   job_id=job.id)
            if job.id not in known:
                repo.check_runs.append(check)
            check.status, check.conclusion, check.completed_at = job.status, job.conclusion, job.completed_at
        state = {"success": "success", "failure": "failure"}.get(attempt.conclusion or "", "pending")
        repo.statuses.append(CommitStatus(id=self.sb.state.new_id(), sha=run.head_sha, state=state,
                                          context=run.name, description=f"{run.name} {attempt.status}",
                                          target_url=f"{self.sb.url}/{repo.full_name}/actions/runs/{run.id}"))

    def _notify(self, repo: Repo, run: Run, status: str) -> None:
        self.sb.notify_run(repo.full_name, run.id, status)

    def busy(self, repo: Repo) -> bool:
        """Is any run of `repo` queued or in progress?"""
        return any(r.latest.status in ("queued", "in_progress") for r in repo.runs.values() if r.attempts)

    def wait(self, repos: list[Repo], timeout: float) -> None:
        """Block until no run is queued or in progress; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            with self.sb.lock:
                if not any(self.busy(r) for r in repos):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs still active after {timeout} s")
            time.sleep(0.02)
