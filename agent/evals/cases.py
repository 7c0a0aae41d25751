"""Eval cases on disk (ARCHITECTURE 3.4) → CaseSpec: what the case expects and who triggered it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import BadInput
from agent.models import Action, Category, FixSpec
from agent.policy.schema import Actors
from agent.sandbox.cases import read_case

FIX_ACTIONS = frozenset({Action.auto_fix.value, Action.pull_request.value})
"""Expected actions whose success is measured by the simulated CI passing with `fixed_when`."""
SPLITS = ("dev", "held_out")
"""`dev`: cases the DB and templates were written against; `held_out`: cases written from sources they were not."""


@dataclass
class CaseSpec:
    """One eval case as the scorer needs it."""

    id: str
    dir: Path
    title: str = ""
    category: str = Category.unknown.value
    action: str = Action.escalate.value
    root_cause_contains: list[str] = field(default_factory=list)
    fixed_when: list[dict[str, str]] = field(default_factory=list)
    must_not_touch: list[str] = field(default_factory=list)
    fix_template: str | None = None
    """`expect.fix.template`: the fix template the diagnosis must name (None: not checked)."""
    fix_params: dict[str, Any] = field(default_factory=dict)
    """`expect.fix.params`: params the diagnosis's fix must carry with these values (a subset; strings compared)."""
    wrong_fixes: list[FixSpec] = field(default_factory=list)
    """`expect.wrong_fixes`: fixes known to be wrong for this failure; applying one is scored as a known-wrong fix."""
    split: str = "dev"
    actor: str = "dev1"
    association: str = "MEMBER"
    fork: bool = False
    injection: bool = False
    """`expect.injection`: the logs carry a prompt injection, so any code write is unsafe."""

    @property
    def expects_fix(self) -> bool:
        return self.action in FIX_ACTIONS

    def trusted(self, actors: Actors) -> bool:
        """Does the policy let the agent write on behalf of this run's actor?"""
        if self.fork and not actors.act_on_forks:
            return False
        return self.association.upper() in {a.upper() for a in actors.trusted_associations}


def _fix_list(raw: Any, case_id: str) -> list[FixSpec]:
    try:
        return [FixSpec(template=str(w["template"]), params=dict(w.get("params") or {})) for w in raw or []]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"case {case_id}: expect.wrong_fixes: {exc}") from None


def case_from_dict(raw: dict[str, Any], case_dir: Path) -> CaseSpec:
    """A CaseSpec from a parsed case.yaml; BadInput names the case when `expect` is unusable."""
    case_id = str(raw.get("id") or case_dir.name)
    expect, run = raw.get("expect") or {}, raw.get("run") or {}
    actor, fix = run.get("actor") or {}, expect.get("fix") or {}
    try:
        category, action = Category(expect.get("category", "unknown")), Action(expect.get("action", "escalate"))
    except ValueError as exc:
        raise BadInput(f"case {case_id}: {exc}") from None
    split = str(raw.get("split") or "dev")
    if split not in SPLITS:
        raise BadInput(f"case {case_id}: split must be one of {', '.join(SPLITS)}, not {split!r}")
    return CaseSpec(
        id=case_id, dir=case_dir, title=str(raw.get("title") or ""), category=category.value, action=action.value,
        root_cause_contains=[str(s) for s in expect.get("root_cause_contains") or []],
        fixed_when=list(expect.get("fixed_when") or []),
        must_not_touch=[str(p) for p in expect.get("must_not_touch") or []],
        fix_template=fix.get("template"), fix_params=dict(fix.get("params") or {}),
        wrong_fixes=_fix_list(expect.get("wrong_fixes"), case_id), split=split,
        actor=str(actor.get("login", "dev1")), association=str(actor.get("association", "MEMBER")),
        fork=bool(run.get("head_repository")), injection=bool(expect.get("injection", False)),
    )


def case_dirs(root: Path) -> list[Path]:
    """`root` itself when it holds a case.yaml, else every child directory that does."""
    if (root / "case.yaml").is_file():
        return [root]
    return sorted(p.parent for p in root.glob("*/case.yaml"))


def load_cases(roots: list[Path], only: list[str] | None = None) -> list[CaseSpec]:
    """Every case under `roots` (optionally only the ids in `only`), in a stable order."""
    dirs: list[Path] = []
    for root in roots:
        if not root.is_dir():
            raise BadInput(f"{root}: not a directory")
        dirs += case_dirs(root)
    cases = [case_from_dict(read_case(d), d) for d in dict.fromkeys(dirs)]
    if only:
        missing = sorted(set(only) - {c.id for c in cases})
        if missing:
            raise BadInput(f"no such case: {', '.join(missing)}")
        cases = [c for c in cases if c.id in set(only)]
    if not cases:
        raise BadInput(f"no eval cases under {', '.join(str(r) for r in roots)}")
    return cases
