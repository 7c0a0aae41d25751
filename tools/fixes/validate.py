"""Check edits before they are proposed: workflows must pass the schema and add no new zizmor finding."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from agent.models import Edit
from tools.fixes.base import WORKFLOW_GLOBS, matches_any

ACTION_GLOBS = ("action.yml", "action.yaml", "**/action.yml", "**/action.yaml")
TOOL_TIMEOUT = 120


class Problem(BaseModel):
    """Why an edited file is rejected."""

    path: str
    check: str
    """`yaml`, `json`, `schema` or `zizmor` (a tool failure)."""
    message: str


class Finding(BaseModel):
    """A zizmor finding, keyed without line numbers so edits that move lines do not look new."""

    path: str
    rule: str
    severity: str
    route: str
    annotation: str = ""
    rows: tuple[int, int] | None = None
    """First and last 0-based line of the finding in the file, when zizmor gives them."""

    def key(self) -> tuple[str, str, str]:
        """The location-insensitive identity: rule, file and YAML route."""
        return self.rule, self.path, self.route


class ValidationReport(BaseModel):
    """The verdict on a set of edits; `rejected` names the files whose edit must be dropped."""

    ok: bool
    problems: list[Problem] = Field(default_factory=list)
    new_findings: list[Finding] = Field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def rejected(self) -> set[str]:
        """Paths whose edit failed a check."""
        return {p.path for p in self.problems} | {f.path for f in self.new_findings}


def tool_path(name: str) -> str:
    """The executable from this interpreter's venv, else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed in the venv")
    return found


def run_tool(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a checker offline, without any GitHub token in its environment."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")
    }
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
    )


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
                Problem(
                    path=p, check="schema", message=f"check-jsonschema failed: {proc.stderr.strip()[-200:]}"
                )
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


def zizmor_findings(paths: list[str], root: Path) -> list[Finding]:
    """zizmor --offline findings for files under root (paths relative to root, as given)."""
    if not paths:
        return []
    args = [
        tool_path("zizmor"),
        "--offline",
        "--no-config",
        "--no-exit-codes",
        "--no-progress",
        "--format",
        "json",
        *paths,
    ]
    proc = run_tool(args, root)
    if proc.returncode != 0:
        raise RuntimeError(f"zizmor failed: {proc.stderr.strip()[-300:]}")
    return [finding_of(item) for item in json.loads(proc.stdout or "[]")]


def finding_of(item: dict) -> Finding:
    """A Finding from one zizmor JSON result (its primary location)."""
    locations = item.get("locations", [])
    primary = next((loc for loc in locations if loc["symbolic"].get("kind") == "Primary"), locations[0])
    symbolic = primary["symbolic"]
    route = ".".join(str(next(iter(c.values()))) for c in symbolic.get("route", {}).get("route", []))
    path = symbolic["key"].get("Local", {}).get("verbatim_path", "")
    severity = item.get("determinations", {}).get("severity", "")
    where = (primary.get("concrete") or {}).get("location") or {}
    rows = (where["start_point"]["row"], where["end_point"]["row"]) if "start_point" in where else None
    return Finding(
        path=path,
        rule=item["ident"],
        severity=severity,
        route=route,
        annotation=symbolic.get("annotation", ""),
        rows=rows,
    )


def new_findings(before: list[Finding], after: list[Finding]) -> list[Finding]:
    """Findings in `after` beyond those `before` had (counted per rule, file and route)."""
    remaining = Counter(f.key() for f in before)
    fresh = []
    for finding in after:
        if remaining[finding.key()] > 0:
            remaining[finding.key()] -= 1
        else:
            fresh.append(finding)
    return fresh


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


def validate_edits(edits: list[Edit]) -> ValidationReport:
    """Syntax, schema and zizmor checks of edits; a failing file is listed in `rejected`."""
    started, timings = time.perf_counter(), {}
    problems = [p for p in (syntax_problem(e) for e in edits) if p]
    checkable = [e for e in edits if schema_of(e.path) and e.path not in {p.path for p in problems}]
    with tempfile.TemporaryDirectory(prefix="fix-validate-") as tmp:
        before, after = Path(tmp, "before"), Path(tmp, "after")
        write_tree(after, {e.path: e.new for e in checkable})
        write_tree(before, {e.path: e.old for e in checkable if e.old is not None})
        t0 = time.perf_counter()
        problems += schema_problems([e.path for e in checkable], after) if checkable else []
        timings["schema"] = time.perf_counter() - t0
        clean = [e.path for e in checkable if e.path not in {p.path for p in problems}]
        t0 = time.perf_counter()
        repaired = repairs(checkable)
        fresh = compare_zizmor(
            clean,
            [e.path for e in checkable if e.old is not None and e.path in clean and e.path not in repaired],
            Path(tmp),
            problems,
        )
        fresh = [f for f in fresh if f.path not in repaired or on_rows(f, repaired[f.path])]
        timings["zizmor"] = time.perf_counter() - t0
    seconds = time.perf_counter() - started
    return ValidationReport(
        ok=not problems and not fresh, problems=problems, new_findings=fresh, seconds=seconds, timings=timings
    )


def compare_zizmor(
    after_paths: list[str], before_paths: list[str], root: Path, problems: list[Problem]
) -> list[Finding]:
    """New zizmor findings of the after-tree over the before-tree; a tool failure rejects every file."""
    try:
        found = zizmor_findings(
            [f"before/{p}" for p in before_paths] + [f"after/{p}" for p in after_paths], root
        )
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
        problems += [Problem(path=p, check="zizmor", message=str(exc)) for p in after_paths]
        return []
    side = {"before": [], "after": []}
    for finding in found:
        prefix, _, rel = finding.path.partition("/")
        side.setdefault(prefix, []).append(finding.model_copy(update={"path": rel}))
    return new_findings(side["before"], side["after"])
