"""The known-issue DB schema (CONTRACTS "Known-issue DB", ARCHITECTURE 3.5)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.models import Category


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueFix(_Strict):
    """The fix template a known issue calls, with params that may hold `{group}` placeholders."""

    template: str
    params: dict[str, Any] = Field(default_factory=dict)


class WrongFix(_Strict):
    """A fix that looks right for this issue and is not."""

    template: str
    params: dict[str, Any] = Field(default_factory=dict)
    why: str = ""


class KnownIssue(_Strict):
    """One known failure: how to recognise it in a log and what to do about it."""

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", description="kebab-case, unique")
    title: str
    category: Category
    patterns: list[str] = Field(min_length=1, description="RE2 syntax, matched per line")
    match: Literal["any", "all"] = "any"
    not_patterns: list[str] = Field(default_factory=list, description="if any hits, the entry does not match")
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    confidence: float = Field(ge=0.0, le=1.0, description="prior; the action tier comes from it")
    fix: IssueFix | None = None
    guide: str | None = None
    known_wrong_fixes: list[WrongFix] = Field(default_factory=list)
    action: Literal["rerun", "escalate"] | None = Field(
        default=None, description="forces a humbler action than the tier would give (e.g. a runner fault a re-run cannot cure)"
    )
    notes: str | None = None


class KnownIssueFile(_Strict):
    version: Literal[1]
    issues: list[dict[str, Any]] = Field(default_factory=list)
