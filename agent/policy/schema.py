"""The schema of policies.yaml: every field described, defaulted, and unknown keys rejected."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agent.config import policies_path
from agent.errors import ConfigError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tiers(Section):
    """Confidence tiers: HIGH → auto_fix, MEDIUM → pull_request, below → escalate."""

    high_min_confidence: float = Field(0.90, ge=0, le=1, description="HIGH tier: at or above → auto_fix.")
    medium_min_confidence: float = Field(
        0.60, ge=0, le=1, description="MEDIUM tier: at or above → pull_request; below → escalate."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Tiers:
        if self.medium_min_confidence > self.high_min_confidence:
            raise ValueError("medium_min_confidence must not exceed high_min_confidence")
        return self


class RateLimits(Section):
    """Named rate limits; a count limit of 0 blocks that kind of write entirely."""

    auto_fixes_per_day: int = Field(10, ge=0, description="Auto-fixes (merged without a human) per 24 h.")
    attempts_per_signature: int = Field(3, ge=0, description="Fix attempts per failure signature.")
    cooldown_minutes_after_failed_fix: float = Field(
        60, ge=0, description="Minutes to wait after a failed fix before the next fix (0 = no cool-down)."
    )
    prs_per_hour: int = Field(2, ge=0, description="Pull requests the agent may open per hour.")
    open_agent_prs: int = Field(5, ge=0, description="Agent pull requests that may be open at once.")
    reruns_per_run: int = Field(1, ge=0, description="Re-runs of failed jobs per workflow run.")
    scope: Literal["repository", "global"] = Field(
        "repository", description="Count auto_fixes_per_day, prs_per_hour and open_agent_prs per repository, "
        "or across every repository the agent writes to (global)."
    )


class TierSizes(Section):
    """A size bound per write tier."""

    auto_fix: int = Field(..., ge=0, description="Bound for an auto_fix; over it → pull_request.")
    pull_request: int = Field(..., ge=0, description="Bound for a pull_request; over it → escalate.")


class BlastRadius(Section):
    """Which files the agent may write, and how much of them."""

    allowed_paths: list[str] = Field(
        default_factory=lambda: [
            ".github/workflows/**",
            ".github/actions/**",
            "base/vcpkg.json",
            "base/vcpkg-configuration.json",
            "thirdparty/**",
        ],
        description="Globs of files the agent may write (CI/CD configuration only).",
    )
    test_paths: list[str] = Field(
        default_factory=lambda: ["base/test/**", "**/test/**", "**/tests/**"],
        description="Test sources: writable only by the test_disable template, and at most as a PR.",
    )
    protected_paths: list[str] = Field(
        default_factory=lambda: [
            ".github/workflows/doxy.yml",
            ".github/workflows/publish-test.yml",
            ".github/workflows/cron-update-vcpkg.yml",
            "**/*deploy*",
            "**/*release*",
            "**/*publish*",
        ],
        description="Globs never written (deployments, releases, publishing); matched case-insensitively.",
    )
    max_files: TierSizes = Field(
        default_factory=lambda: TierSizes(auto_fix=3, pull_request=10),
        description="Most files one plan may touch, per tier.",
    )
    max_changed_lines: TierSizes = Field(
        default_factory=lambda: TierSizes(auto_fix=40, pull_request=300),
        description="Most added plus removed lines one plan may change, per tier.",
    )


class Actors(Section):
    """Whose runs the agent acts on; everything else is analysed only (ignore)."""

    trusted_associations: list[str] = Field(
        default_factory=lambda: ["OWNER", "MEMBER", "COLLABORATOR"],
        description="GitHub author associations the agent writes on behalf of.",
    )
    act_on_forks: bool = Field(False, description="Whether runs from fork pull requests may lead to writes.")
    events: list[str] = Field(
        default_factory=lambda: ["push", "pull_request", "schedule", "workflow_dispatch", "merge_group", "workflow_run"],
        description="Triggering events the agent acts on; runs from any other event are ignored.",
    )
    branch_prefix: str = Field(
        "auto-fix/", min_length=1, description="The agent's own branches; runs on them are never acted on."
    )
    max_run_age_hours: float = Field(72, ge=0, description="Runs older than this are ignored (catch-up).")


class KillSwitch(Section):
    """Any one of these stops every write."""

    env_var: str = Field("AGENT_KILL_SWITCH", description="Set to 1 (any value but 0/false/no/off) to stop.")
    file: str = Field(
        "kill-switch", description="Stop while this file exists; relative paths are under $AGENT_HOME."
    )
    label: str = Field("agent-kill-switch", description="Stop while the repository has this label.")


class ContentSafety(Section):
    """What an edit may not add without a human."""

    trusted_action_owners: list[str] = Field(
        default_factory=lambda: ["actions", "github"],
        description="Action owners whose `uses:` need no SHA pin; any other owner must pin a 40-hex SHA.",
    )


class Validation(Section):
    """How far a fix may go when a validator cannot judge a file (it crashes on the unmodified file too)."""

    allow_degraded: bool = Field(
        False, description="Allow auto_fix with a validator unavailable; false → a pull request for a human."
    )


class LlmBudget(Section):
    """What the model may cost, from the usage the API returned; over budget → escalate without the model."""

    daily_budget_usd: float = Field(20.0, ge=0, description="Model spend per UTC day, every analysis together "
                                    "(0 = never call the model).")
    per_analysis_usd: float = Field(2.0, ge=0, description="Model spend for one failure's analysis.")


class Flaky(Section):
    """Flaky tests: judged on evidence, quarantined by a pull request with an expiry, released when green."""

    auto_merge_quarantine: bool = Field(
        False, description="Merge a quarantine PR without a human (after CI passes); false → a PR for a human.")
    quarantine_days: int = Field(14, ge=1, description="Days a quarantine lasts before the agent proposes the release.")
    release_after_green_runs: int = Field(
        3, ge=1, description="Green runs of a quarantined test (where it still ran) after which the release is proposed.")
    history_runs: int = Field(20, ge=2, description="Recent runs of a test the flip count looks at.")
    min_flips: int = Field(2, ge=1, description="Status changes with no related change that make a test flaky.")


class Policy(Section):
    """policies.yaml: the data the gate decides by."""

    version: str = Field("1", min_length=1, description="Policy version, stored with every decision.")
    dry_run: bool = Field(False, description="Decide and log everything, write nothing.")
    untrusted_plans: Literal["fork", "issue_only"] = Field(
        "fork", description="Where a plan the model composed (or a template with the model's parameters) goes: "
        "`fork` pushes it from the agent's fork, so CI runs it as a fork PR (no secrets, read-only token, "
        "approval required); `issue_only` shows the diff in the issue and pushes nothing.")
    kill_switch: KillSwitch = Field(default_factory=KillSwitch, description="Ways to stop all writes.")
    tiers: Tiers = Field(default_factory=Tiers, description="Confidence tiers.")
    rate_limits: RateLimits = Field(default_factory=RateLimits, description="Named rate limits.")
    blast_radius: BlastRadius = Field(default_factory=BlastRadius, description="Writable paths and sizes.")
    actors: Actors = Field(default_factory=Actors, description="Whose runs the agent acts on.")
    content_safety: ContentSafety = Field(default_factory=ContentSafety, description="Edit content rules.")
    validation: Validation = Field(default_factory=Validation, description="When validators are unavailable.")
    llm: LlmBudget = Field(default_factory=LlmBudget, description="The model's spend budget.")
    flaky: Flaky = Field(default_factory=Flaky, description="Flaky-test verdicts, quarantine and release.")


def _first_error(exc: ValidationError) -> str:
    """One line naming the field of the first validation error (and how many more there are)."""
    errors = exc.errors()
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{field}: {message}{more}"


def parse_policy(text: str, source: str = "policies.yaml") -> Policy:
    """Validate policies YAML text; any problem is one ConfigError line naming the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}: invalid YAML{where}") from None
    if data is None or data == {}:
        raise ConfigError(f"{source}: the policy states nothing (empty, comments only or null); "
                          f"write the settings you mean, or remove the file to use the next one in the lookup")
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_first_error(exc)}") from None


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a policies file (default: agent.config.policies_path())."""
    path = Path(path) if path is not None else policies_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return parse_policy(text, source=str(path))
