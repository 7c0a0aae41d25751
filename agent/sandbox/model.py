"""The sandbox's state: repositories, commits, pulls, issues, runs, tokens (pydantic, JSON-persistable)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field


def now_iso(ts: float | None = None) -> str:
    """GitHub's timestamp format: 2025-01-01T00:00:00Z."""
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def blob_sha(data: bytes) -> str:
    """The git blob id of `data`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def tree_sha(tree: dict[str, str]) -> str:
    """A stable id for a flat tree {path: blob sha}."""
    text = "".join(f"{path}\0{sha}\n" for path, sha in sorted(tree.items()))
    return hashlib.sha1(b"tree " + text.encode("utf-8")).hexdigest()


class Model(BaseModel):
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")


class Actor(Model):
    login: str = "octocat"
    association: str | None = "OWNER"
    """None: the run's JSON carries no author_association (as on github.com)."""


class Commit(Model):
    sha: str
    tree: dict[str, str]
    """path → blob sha (flat, every file)."""
    parents: list[str] = Field(default_factory=list)
    message: str = ""
    author: str = "octocat"
    date: str = Field(default_factory=now_iso)


class Workflow(Model):
    id: int
    path: str
    name: str
    fixed_when: list[dict[str, str]] = Field(default_factory=list)
    failing_logs: dict[str, bytes] = Field(default_factory=dict)
    rerun_passes: bool = False
    events: list[str] = Field(default_factory=lambda: ["push", "pull_request"])


class Step(Model):
    number: int
    name: str
    status: str = "completed"
    conclusion: str | None = "success"


class Job(Model):
    id: int
    name: str
    status: str = "queued"
    conclusion: str | None = None
    steps: list[Step] = Field(default_factory=list)
    started_at: str = Field(default_factory=now_iso)
    completed_at: str | None = None
    runner_name: str | None = None
    labels: list[str] = Field(default_factory=lambda: ["ubuntu-latest"])


class Attempt(Model):
    number: int
    status: str = "queued"
    conclusion: str | None = None
    created_at: str = Field(default_factory=now_iso)
    updated_at: str = Field(default_factory=now_iso)
    run_started_at: str = Field(default_factory=now_iso)
    logs: dict[str, bytes] = Field(default_factory=dict)
    """Run-zip layout: "<n>_<job>.txt" and "<job>/<n>_<step>.txt"."""
    jobs: list[Job] = Field(default_factory=list)
    triggering_actor: Actor = Field(default_factory=Actor)


class Run(Model):
    id: int
    run_number: int
    workflow_id: int
    name: str
    path: str
    event: str
    head_branch: str
    head_sha: str
    actor: Actor = Field(default_factory=Actor)
    pull_requests: list[int] = Field(default_factory=list)
    head_repository: str | None = None
    """`owner/name` of a fork the run's head came from; None: the repository itself."""
    check_suite_id: int = 0
    secrets_available: bool = True
    """False for a fork pull request's run: no repository secrets, a read-only GITHUB_TOKEN."""
    approval_required: bool = False
    """A fork pull request's run waits (conclusion action_required) until a maintainer approves it."""
    attempts: list[Attempt] = Field(default_factory=list)
    created_ts: float = Field(default_factory=time.time)

    @property
    def latest(self) -> Attempt:
        return self.attempts[-1]


class Comment(Model):
    id: int
    body: str
    user: str
    created_at: str = Field(default_factory=now_iso)


class Issue(Model):
    """An issue, or the issue half of a pull request (same number space, like GitHub)."""

    id: int
    number: int
    title: str
    body: str | None = None
    user: str = "octocat"
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = Field(default_factory=list)
    assignees: list[str] = Field(default_factory=list)
    comments: list[Comment] = Field(default_factory=list)
    is_pull: bool = False
    created_at: str = Field(default_factory=now_iso)
    updated_at: str = Field(default_factory=now_iso)
    closed_at: str | None = None


class Pull(Model):
    id: int
    number: int
    head: str
    base: str
    head_sha: str
    base_sha: str
    draft: bool = False
    merged: bool = False
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    mergeable: bool | None = True
    forced_mergeable: bool | None = None
    """Set by `Sandbox.set_mergeable`; overrides the trial merge."""
    maintainer_can_modify: bool = True
    head_repo: str | None = None
    """`owner/name` of the fork the head branch lives in; None: the repository itself."""


class CheckRun(Model):
    id: int
    name: str
    head_sha: str
    run_id: int
    job_id: int
    status: str = "queued"
    conclusion: str | None = None
    started_at: str = Field(default_factory=now_iso)
    completed_at: str | None = None


class CommitStatus(Model):
    id: int
    sha: str
    state: str
    context: str
    description: str = ""
    target_url: str | None = None
    created_at: str = Field(default_factory=now_iso)


class Runner(Model):
    id: int
    name: str
    os: str = "Linux"
    status: str = "online"
    busy: bool = False
    labels: list[str] = Field(default_factory=lambda: ["self-hosted", "Linux", "X64"])


class Hook(Model):
    id: int
    url: str
    secret: str
    events: list[str] = Field(default_factory=lambda: ["workflow_run", "pull_request", "check_suite"])


class Repo(Model):
    id: int
    owner: str
    name: str
    default_branch: str = "main"
    private: bool = False
    blobs: dict[str, bytes] = Field(default_factory=dict)
    trees: dict[str, dict[str, str]] = Field(default_factory=dict)
    commits: dict[str, Commit] = Field(default_factory=dict)
    branches: dict[str, str] = Field(default_factory=dict)
    issues: dict[int, Issue] = Field(default_factory=dict)
    pulls: dict[int, Pull] = Field(default_factory=dict)
    workflows: dict[str, Workflow] = Field(default_factory=dict)
    runs: dict[int, Run] = Field(default_factory=dict)
    check_runs: list[CheckRun] = Field(default_factory=list)
    statuses: list[CommitStatus] = Field(default_factory=list)
    runners: dict[str, Runner] = Field(default_factory=dict)
    hooks: list[Hook] = Field(default_factory=list)
    collaborators: dict[str, str] = Field(default_factory=dict)
    """login (lower case) → permission: admin | maintain | write | triage | read."""
    labels: list[str] = Field(default_factory=list)
    """Labels defined on the repository."""
    symlinks: set[str] = Field(default_factory=set)
    """Paths that are symbolic links (mode 120000; the blob holds the target), per path, not per commit."""
    next_number: int = 1
    next_run_number: int = 1
    fork_of: str | None = None
    """`owner/name` of the parent when this repository is a fork."""
    actions_enabled: bool = True
    """False for forks (GitHub disables Actions in a new fork): pushes there run nothing."""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def __str__(self) -> str:
        return self.full_name


class TokenInfo(Model):
    token: str
    workflows: bool = True
    limit: int = 5000
    expires_at: float | None = None
    installation_id: int | None = None
    login: str = "sandbox-bot"


class App(Model):
    app_id: int
    public_key_pem: str
    installation_id: int
    token_ttl: float = 3600
    workflows: bool = True


class State(Model):
    model_config = ConfigDict(extra="forbid")  # another program's JSON is refused, never overwritten

    repos: dict[str, Repo] = Field(default_factory=dict)
    tokens: dict[str, TokenInfo] = Field(default_factory=dict)
    apps: dict[int, App] = Field(default_factory=dict)
    next_id: int = 1000

    def new_id(self) -> int:
        """A fresh id, unique across every kind of object."""
        self.next_id += 1
        return self.next_id
