"""Check edits before they are proposed: workflows must pass the schema and add no new zizmor finding."""

from __future__ import annotations

import difflib
import json
import tempfile
import time
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from agent.models import Edit
from tools.fixes.base import WORKFLOW_GLOBS, matches_any
from tools.fixes.checkers import (
    Finding,
    Problem,
    Unavailable,
    compare_zizmor,
    crash_summary,
    new_findings,
    run_tool,
    tool_path,
)

ACTION_GLOBS = ("action.yml", "action.yaml", "**/action.yml", "**/action.yaml")
SCHEMA_CRASH = "check-jsonschema failed"
ADVISORY_SEVERITIES = ("Low", "Informational", "Unknown")
__all__ = ["Finding", "Problem", "Unavailable", "ValidationReport", "new_findings", "validate_edits"]


class ValidationReport(BaseModel):
    """The verdict on a set of edits; `rejected` names the files whose edit must be dropped."""

    ok: bool
    problems: list[Problem] = Field(default_factory=list)
    new_findings: list[Finding] = Field(default_factory=list)
    unavailable: list[Unavailable] = Field(default_factory=list)
    """Validators that fail on the unmodified file too: no verdict from them (degraded, not rejected)."""
    advisories: list[Finding] = Field(default_factory=list)
    """New low-severity findings away from the edited lines (e.g. an env value now an expression): noted only."""
    seconds: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def rejected(self) -> set[str]:
        """Paths whose edit failed a check."""
        return {p.path for p in self.problems} | {f.path for f in self.new_findings}

    def degraded(self, kept: set[str] | None = None) -> list[str]:
        """`check: path` of every validator unavailable for a (kept) file, e.g. `zizmor: .github/….yml`."""
        return sorted({f"{u.check}: {u.path}" for u in self.unavailable if kept is None or u.path in kept})


def schema_of(path: str) -> str | None:
    """The builtin check-jsonschema schema for a path, or None when it is not a GitHub Actions file."""
    if matches_any(path, WORKFLOW_GLOBS):
        return "vendor.github-workflows"
    return "vendor.github-actions" if matches_any(path, ACTION_GLOBS) else None


def syntax_problem(edit: Edit) -> Problem | None:
    """A parse failure of the new text of a YAML or JSON file."""
    try:
        if edit.path.endswith((".yml", ".yaml")):
            yaml.safe_load(edit.new)
        elif edit.path.endswith(".json"):
            json.loads(edit.new)
    except (yaml.YAMLError, ValueError) as exc:
        return Problem(
            path=edit.path,
            check="json" if edit.path.endswith(".json") else "yaml",
            message=str(exc).splitlines()[0],
        )
    return None


def schema_problems(paths: list[str], root: Path) -> list[Problem]:
    """check-jsonschema against the builtin GitHub schemas, one run per schema."""
    problems = []
    for schema in sorted({schema_of(p) for p in paths}):
        group = [p for p in paths if schema_of(p) == schema]
        args = [tool_path("check-jsonschema"), "--builtin-schema", schema, "--output-format", "json", *group]
        proc = run_tool(args, root)
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            problems += [
                Problem(path=p, check="schema", message=f"{SCHEMA_CRASH}: {crash_summary(proc.stderr)[-200:]}")
                for p in group
            ]
            continue
        for err in report.get("errors", []) + report.get("parse_errors", []):
            best = err.get("best_deep_match") or err
            problems.append(
                Problem(
                    path=err["filename"],
                    check="schema",
                    message=f"{best.get('path', '$')}: {best['message']}",
                )
            )
    return problems


def changed_rows(old: str, new: str) -> set[int]:
    """0-based lines of `new` that the edit inserted or replaced."""
    a, b = old.splitlines(), new.splitlines()
    rows: set[int] = set()
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            rows.update(range(j1, max(j2, j1 + 1)))
    return rows


def repairs(edits: list[Edit]) -> dict[str, set[int]]:
    """Edits of files that did not load before (no zizmor baseline): path → the rows they changed."""
    out = {}
    for edit in edits:
        if edit.old is not None and syntax_problem(edit.model_copy(update={"new": edit.old})):
            out[edit.path] = changed_rows(edit.old, edit.new)
    return out


def on_rows(finding: Finding, rows: set[int]) -> bool:
    """Does the finding cover one of the rows (unknown position counts as yes)?"""
    return finding.rows is None or any(finding.rows[0] <= r <= finding.rows[1] for r in rows)


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write repo-relative files under root."""
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="")


def split_advisories(fresh: list[Finding], edits: list[Edit]) -> tuple[list[Finding], list[Finding]]:
    """(blocking, advisory): a Low finding on lines the edit did not touch is advisory; the rest block."""
    rows = {e.path: changed_rows(e.old, e.new) for e in edits if e.old is not None}
    advisory = [f for f in fresh if f.severity in ADVISORY_SEVERITIES and f.path in rows
                and f.rows is not None and not on_rows(f, rows[f.path])]
    return [f for f in fresh if f not in advisory], advisory


def schema_unavailable(problems: list[Problem], edits: list[Edit], before: Path) -> list[Unavailable]:
    """Schema-checker crashes that happen on the unmodified file too (moved out of `problems`)."""
    old = {e.path for e in edits if e.old is not None}
    crashed = [p for p in problems if p.check == "schema" and p.message.startswith(SCHEMA_CRASH) and p.path in old]
    out = []
    for problem in crashed:
        again = schema_problems([problem.path], before)
        if any(p.message.startswith(SCHEMA_CRASH) for p in again):
            problems.remove(problem)
            out.append(Unavailable(path=problem.path, check="schema", message=f"fails on the unmodified file: "
                                                                              f"{problem.message}"))
    return out


def validate_edits(edits: list[Edit]) -> ValidationReport:
    """Syntax, schema and zizmor checks; a failing file is `rejected`, a checker crashing on it anyway `unavailable`."""
    started, timings = time.perf_counter(), {}
    problems = [p for p in (syntax_problem(e) for e in edits) if p]
    checkable = [e for e in edits if schema_of(e.path) and e.path not in {p.path for p in problems}]
    with tempfile.TemporaryDirectory(prefix="fix-validate-") as tmp:
        before, after = Path(tmp, "before"), Path(tmp, "after")
        write_tree(after, {e.path: e.new for e in checkable})
        write_tree(before, {e.path: e.old for e in checkable if e.old is not None})
        t0 = time.perf_counter()
        problems += schema_problems([e.path for e in checkable], after) if checkable else []
        unavailable = schema_unavailable(problems, checkable, before)
        timings["schema"] = time.perf_counter() - t0
        clean = [e.path for e in checkable if e.path not in {p.path for p in problems}]
        t0 = time.perf_counter()
        repaired = repairs(checkable)
        olds = [e.path for e in checkable if e.old is not None and e.path in clean and e.path not in repaired]
        zizmor = compare_zizmor(clean, olds, Path(tmp), frozenset(repaired))
        fresh = [f for f in zizmor.fresh if f.path not in repaired or on_rows(f, repaired[f.path])]
        fresh, advisories = split_advisories(fresh, checkable)
        problems, unavailable = problems + zizmor.problems, unavailable + zizmor.unavailable
        timings["zizmor"] = time.perf_counter() - t0
    return ValidationReport(ok=not problems and not fresh, problems=problems, new_findings=fresh,
                            unavailable=unavailable, advisories=advisories,
                            seconds=time.perf_counter() - started, timings=timings)
