"""`Sandbox`: a local GitHub over real HTTP on 127.0.0.1, its CI simulator and webhooks."""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Self

from agent.sandbox import (
    api_access,
    api_actions,
    api_forks,
    api_git,
    api_issues,
    api_meta,
    api_pulls,
    api_repos,
    cases,
    gitops,
    shapes,
)
from agent.sandbox.ci import CI, build_attempt, settle
from agent.sandbox.dispatch import RecordedRequest
from agent.sandbox.faults import Faults
from agent.sandbox.model import Actor, App, Hook, Repo, Runner, State, TokenInfo, Workflow
from agent.sandbox.ratelimit import RateLimits
from agent.sandbox.server import ApiHandler, LogHandler, LogStore, serve
from agent.sandbox.webhooks import Hooks

DEFAULT_EVENTS = ("workflow_run", "pull_request", "check_suite")
ROUTE_MODULES = (api_access, api_actions, api_forks, api_git, api_issues, api_meta, api_pulls, api_repos)
"""The handler modules; importing them registers their REST routes."""


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


class Sandbox:
    """A local GitHub: REST subset, run-log host, CI simulator, signed webhooks, fault injection."""

    def __init__(self, ci_delay: float = 0.2, state_path: str | Path | None = None, log_url_ttl: float = 60.0,
                 host: str = "127.0.0.1", port: int = 0, log_port: int = 0, token: str | None = None):
        self.ci_delay, self.log_url_ttl, self.host = ci_delay, log_url_ttl, host
        self._ports = (port, log_port)
        self.state_path = Path(state_path) if state_path else None
        self.state = self._load_state()
        self.lock = threading.RLock()
        self.faults, self.limits, self.logstore = Faults(), RateLimits(), LogStore()
        self.requests: list[RecordedRequest] = []
        self.ci, self.hooks = CI(self), Hooks(self)
        self.url = self.log_url = ""
        self.token = self.add_token(token or "ghp_" + secrets.token_hex(18))
        self._servers: list[Any] = []

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Self:
        """Listen on 127.0.0.1 (API and log host on different ports)."""
        api = serve(ApiHandler, self, self.host, self._ports[0])
        logs = serve(LogHandler, self, self.host, self._ports[1])
        self._servers = [api, logs]
        self.url = f"http://{self.host}:{api.server_address[1]}"
        self.log_url = f"http://{self.host}:{logs.server_address[1]}"
        self.hooks.start()
        return self

    def stop(self) -> None:
        """Stop listening, stop the CI threads and the webhook sender; save state if persistent."""
        self.ci.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []
        self.hooks.stop()
        if self.state_path:
            self.save()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _load_state(self) -> State:
        if self.state_path and self.state_path.is_file():
            state = State.model_validate_json(self.state_path.read_text(encoding="utf-8"))
            for repo in state.repos.values():
                for run in repo.runs.values():
                    if run.attempts and run.latest.status != "completed":
                        settle(run.latest, "completed")
            return state
        return State()

    def save(self, path: str | Path | None = None) -> None:
        """Write the state as JSON (atomically)."""
        target = Path(path or self.state_path)
        with self.lock:
            text = self.state.model_dump_json()
        tmp = target.with_suffix(target.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)

    def record(self, request: RecordedRequest) -> None:
        """Append to `requests` (list.append is atomic)."""
        self.requests.append(request)

    @property
    def deliveries(self) -> list[Any]:
        """Every webhook delivery so far (`.id .event .action .status .headers .body .json()`)."""
        return self.hooks.deliveries

    # credentials -------------------------------------------------------------------------------
    def add_token(self, token: str, workflows: bool = True, limit: int = 5000, expires_in: float | None = None,
                  login: str = "sandbox-bot") -> str:
        """Accept `token`; `workflows=False` refuses changes under .github/workflows/ (403)."""
        expires = None if expires_in is None else time.time() + expires_in
        self.state.tokens[token] = TokenInfo(token=token, workflows=workflows, limit=limit, expires_at=expires,
                                             login=login)
        return token

    def revoke_token(self, token: str) -> None:
        """Make `token` answer 401 from now on."""
        self.state.tokens[token].expires_at = time.time() - 1

    def add_app(self, app_id: int, public_key_pem: str | bytes, installation_id: int, token_ttl: float = 3600,
                workflows: bool = True) -> None:
        """Register a GitHub App whose RS256 JWTs mint installation tokens living `token_ttl` seconds."""
        pem = public_key_pem.decode("utf-8") if isinstance(public_key_pem, bytes) else public_key_pem
        self.state.apps[int(app_id)] = App(app_id=int(app_id), public_key_pem=pem, installation_id=installation_id,
                                           token_ttl=token_ttl, workflows=workflows)

    # repositories ------------------------------------------------------------------------------
    def repo(self, full_name: str | Repo) -> Repo:
        """The repository model by name (KeyError when unknown)."""
        return self.state.repos[str(full_name).lower()]

    def add_repo(self, full_name: str, files: dict[str, str | bytes] | None = None, default_branch: str = "main",
                 private: bool = False, symlinks: dict[str, str] | None = None) -> Repo:
        """A repository with `files` committed on `default_branch`; `symlinks` maps a link's path to its target."""
        owner, name = full_name.split("/", 1)
        with self.lock:
            repo = Repo(id=self.state.new_id(), owner=owner, name=name, default_branch=default_branch, private=private)
            self.state.repos[full_name.lower()] = repo
            changes = {path: _bytes(data) for path, data in (files or {}).items()}
            changes.update({path: _bytes(target) for path, target in (symlinks or {}).items()})
            repo.symlinks.update(symlinks or {})
            gitops.commit_changes(self.state, repo, default_branch, changes, "Initial commit", owner)
        return repo

    def add_collaborator(self, full_name: str | Repo, login: str, permission: str = "write") -> None:
        """Give `login` a role (admin | maintain | write | triage | read) in the repository."""
        if permission not in api_access.ROLES:
            raise ValueError(f"unknown permission {permission!r}")
        with self.lock:
            self.repo(full_name).collaborators[login.lower()] = permission

    def add_label(self, full_name: str | Repo, name: str) -> None:
        """Define a label on the repository (as `POST /repos/{o}/{r}/labels` would, without a request)."""
        with self.lock:
            labels = self.repo(full_name).labels
            if name.lower() not in {label.lower() for label in labels}:
                labels.append(name)

    def commit_file(self, full_name: str | Repo, branch: str, path: str, content: str | bytes | None,
                    message: str = "Update", author: str = "dev1") -> str:
        """Push a commit as a human would (None deletes); starts CI. → the new head sha."""
        with self.lock:
            repo = self.repo(full_name)
            before = repo.branches.get(branch)
            commit = gitops.commit_changes(self.state, repo, branch, {path: None if content is None else
                                                                       _bytes(content)}, message, author)
            self.ci.on_push(repo, branch, before, commit.sha, author)
        return commit.sha

    def file_text(self, full_name: str | Repo, path: str, ref: str | None = None) -> str | None:
        """A file's text at `ref` (default branch by default), or None."""
        with self.lock:
            repo = self.repo(full_name)
            sha = gitops.resolve(repo, ref)
            data = gitops.read_file(repo, sha, path) if sha else None
        return None if data is None else data.decode("utf-8", "replace")

    def set_mergeable(self, full_name: str | Repo, number: int, mergeable: bool) -> None:
        """Force a pull request's mergeability (a merge then answers 405)."""
        with self.lock:
            pull = self.repo(full_name).pulls[number]
            pull.mergeable = pull.forced_mergeable = mergeable

    # runs --------------------------------------------------------------------------------------
    def add_workflow(self, full_name: str | Repo, path: str, name: str | None = None,
                     fixed_when: list[dict[str, str]] | None = None, failing_logs: dict[str, bytes] | None = None,
                     rerun_passes: bool = False, events: tuple[str, ...] = ("push", "pull_request")) -> Workflow:
        """Register (or update) a workflow the CI simulator runs on every push / pull request."""
        with self.lock:
            repo = self.repo(full_name)
            workflow = repo.workflows.get(path) or Workflow(id=self.state.new_id(), path=path, name=name or path)
            workflow.name = name or workflow.name
            workflow.fixed_when = list(fixed_when or workflow.fixed_when)
            workflow.failing_logs = {k: _bytes(v) for k, v in (failing_logs or workflow.failing_logs).items()}
            workflow.rerun_passes, workflow.events = rerun_passes, list(events)
            repo.workflows[path] = workflow
        return workflow

    def add_failed_run(self, full_name: str | Repo, workflow: str, name: str | None = None,
                       logs: dict[str, str | bytes] | None = None, event: str = "push", head_branch: str | None = None,
                       actor: dict[str, str] | None = None, fixed_when: list[dict[str, str]] | None = None,
                       rerun_passes: bool = False, head_sha: str | None = None,
                       head_repository: str | None = None, created_at: str | None = None) -> int:
        """A completed failed run of `workflow` with `logs` (run-zip layout); registers the workflow. → run id.

        A head branch the repository lacks (a fork's) runs on the default branch's head commit;
        `created_at` ("2025-01-01T00:00:00Z") back-dates the run."""
        with self.lock:
            repo = self.repo(full_name)
            flow = self.add_workflow(repo, workflow, name or Path(workflow).stem, fixed_when, logs, rerun_passes)
            branch = head_branch or repo.default_branch
            who = Actor(login=(actor or {}).get("login", "dev1"), association=(actor or {}).get("association", "MEMBER"))
            sha = head_sha or repo.branches.get(branch) or repo.branches[repo.default_branch]
            run = self.ci.new_run(repo, flow, sha, branch, event, who, [])
            run.head_repository = head_repository if head_repository != repo.full_name else None
            attempt = build_attempt(self, 1, dict(flow.failing_logs), who)
            run.attempts.append(attempt)
            settle(attempt, "completed")
            if created_at:
                attempt.created_at = attempt.run_started_at = attempt.updated_at = created_at
            if attempt.conclusion != "failure" and attempt.jobs:
                attempt.jobs[-1].conclusion = "failure"
            attempt.conclusion = "failure"
            self.ci.record_checks(repo, run, attempt)
        return run.id

    def mark_succeeded(self, full_name: str | Repo, run_id: int) -> int:
        """Turn a run added by `add_failed_run` into a green one (every attempt and job). → run id."""
        with self.lock:
            for attempt in self.repo(full_name).runs[run_id].attempts:
                attempt.conclusion = "success"
                for job in attempt.jobs:
                    job.conclusion = "success"
        return run_id

    def load_case(self, case_dir: str | Path) -> tuple[str, int]:
        """Seed a case directory (case.yaml, logs/, repo/). → (full_name, run_id)."""
        return cases.load_case(self, case_dir)

    def runs(self, full_name: str | Repo) -> list[dict[str, Any]]:
        """Every run of a repository as GitHub's JSON, newest first."""
        with self.lock:
            repo = self.repo(full_name)
            return [shapes.run(self.url, repo, r) for _, r in sorted(repo.runs.items(), reverse=True) if r.attempts]

    def wait_for_runs(self, full_name: str | Repo | None = None, timeout: float = 10) -> None:
        """Block until no run (of `full_name`, or anywhere) is queued or in progress."""
        with self.lock:
            repos = [self.repo(full_name)] if full_name else list(self.state.repos.values())
        self.ci.wait(repos, timeout)

    def notify_run(self, full_name: str | Repo, run_id: int, action: str = "completed") -> None:
        """Send `workflow_run` (and `check_suite` when completed) for a run, as GitHub would."""
        with self.lock:
            self._notify_run(self.repo(full_name), run_id, action)

    def _notify_run(self, repo: Repo, run_id: int, action: str) -> None:
        run = repo.runs[run_id]
        run_json = shapes.run(self.url, repo, run)
        workflow = repo.workflows.get(run.path)
        flow = {"id": run.workflow_id, "name": run.name, "path": run.path, "state": "active"} if workflow else None
        self.hooks.emit(repo, "workflow_run", {"action": action, "workflow_run": run_json, "workflow": flow},
                        run.latest.triggering_actor.login)
        if action == "completed":
            suite = {"id": run.check_suite_id, "head_branch": run.head_branch, "head_sha": run.head_sha,
                     "status": "completed", "conclusion": run.latest.conclusion,
                     "pull_requests": run_json["pull_requests"],
                     "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"}}
            self.hooks.emit(repo, "check_suite", {"action": "completed", "check_suite": suite},
                            run.latest.triggering_actor.login)

    # runners and hooks -------------------------------------------------------------------------
    def set_runner(self, full_name: str | Repo, name: str, status: str = "online", busy: bool = False,
                   labels: list[str] | None = None, os_name: str = "Linux") -> int:
        """Create or update a self-hosted runner. → its id."""
        with self.lock:
            repo = self.repo(full_name)
            runner = repo.runners.get(name) or Runner(id=self.state.new_id(), name=name)
            runner.status, runner.busy, runner.os = status, busy, os_name
            runner.labels = list(labels) if labels is not None else runner.labels
            repo.runners[name] = runner
        return runner.id

    def add_hook(self, full_name: str | Repo, url: str, secret: str,
                 events: list[str] | tuple[str, ...] = DEFAULT_EVENTS) -> int:
        """Deliver `events` of a repository to `url`, signed with `secret`. → hook id."""
        with self.lock:
            hook = Hook(id=self.state.new_id(), url=url, secret=secret, events=list(events))
            self.repo(full_name).hooks.append(hook)
        return hook.id
