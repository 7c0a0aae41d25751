"""Shared contracts: categories, actions, the diagnosis and the plan (ARCHITECTURE 3.1-3.3)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Category(StrEnum):
    """Failure categories; exactly the names of ARCHITECTURE 3.1."""

    action_deprecated = "action_deprecated"
    container_incompatible = "container_incompatible"
    cache_stale = "cache_stale"
    cache_config = "cache_config"
    dependency_version = "dependency_version"
    dependency_missing = "dependency_missing"
    registry_fetch = "registry_fetch"
    toolchain = "toolchain"
    disk_space = "disk_space"
    timeout = "timeout"
    network = "network"
    workflow_config = "workflow_config"
    permissions = "permissions"
    runner = "runner"
    test_failure = "test_failure"
    flaky_test = "flaky_test"
    compile_error = "compile_error"
    link_error = "link_error"
    out_of_memory = "out_of_memory"
    unknown = "unknown"


TRANSIENT_CATEGORIES = frozenset({Category.network, Category.runner})
"""Categories whose first remedy is one re-run of the failed jobs."""


class Action(StrEnum):
    """What a diagnosis proposes (ARCHITECTURE 3.2); the gate may downgrade, never upgrade."""

    auto_fix = "auto_fix"
    pull_request = "pull_request"
    rerun = "rerun"
    escalate = "escalate"
    ignore = "ignore"


ACTION_RANK = {Action.auto_fix: 4, Action.pull_request: 3, Action.rerun: 2, Action.escalate: 1, Action.ignore: 0}
"""How much write power an action carries; a downgrade moves to a lower rank."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    """Validators are built on a model's first use, so a command pays only for the models it touches."""


class FailedStep(Strict):
    job: str
    step: str


class KnownIssueRef(Strict):
    id: str
    confidence: float


class FixSpec(Strict):
    """A fix template by name and the parameters it is called with."""

    template: str
    params: dict[str, Any] = Field(default_factory=dict)


class GuideRef(Strict):
    """A guide section a diagnosis cites."""

    guide: str
    anchor: str
    title: str
    score: float = 0.0
    repo: str | None = None
    """For a section of the watched repository's own guides: that repository (guide is its path there)."""
    ref: str | None = None
    """The commit the repository's guide was read at."""
    url: str | None = None
    """The section on GitHub at that commit."""


class Diagnosis(Strict):
    """The result of `agent triage` (ARCHITECTURE 3.3)."""

    signature: str
    category: Category
    known_issue: KnownIssueRef | None = None
    title: str | None = None
    proposed_action: Action
    fix: FixSpec | None = None
    known_wrong_fixes: list[FixSpec] = Field(default_factory=list)
    root_cause_lines: list[str] = Field(default_factory=list)
    excerpt: str = ""
    failed_steps: list[FailedStep] = Field(default_factory=list)
    redactions: int = 0
    truncated_bytes: int = 0
    guides: list[GuideRef] = Field(default_factory=list)


class Edit(Strict):
    """One file change: the whole old and new text (old is None for a new file)."""

    path: str
    old: str | None
    new: str


class IssueDraft(Strict):
    title: str
    body: str
    labels: list[str] = Field(default_factory=list)


class PlanSource(StrEnum):
    template = "template"
    """A known fix template with known parameters."""
    llm = "llm"
    """An edit the model composed itself: never above MEDIUM."""


class Plan(Strict):
    """A proposed set of writes. Nothing reaches GitHub until the gate allows it."""

    id: str
    repo: str
    run_id: int
    run_attempt: int = 1
    signature: str
    category: Category
    action: Action
    confidence: float = 0.0
    source: PlanSource = PlanSource.template
    known_issue_id: str | None = None
    fix: FixSpec | None = None
    edits: list[Edit] = Field(default_factory=list)
    diff: str = ""
    rationale: str = ""
    issue: IssueDraft | None = None
    unvalidated: list[str] = Field(default_factory=list)
    """Validators unavailable for an edited file (`zizmor: <path>`): they crash on the unmodified file too."""
