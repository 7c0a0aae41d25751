"""The external checkers (zizmor, check-jsonschema): running them offline, and telling a crash from a verdict."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from agent.logs.clean import clean_text

TOOL_TIMEOUT = 120
TOOL_FAILURES = (RuntimeError, ValueError, subprocess.TimeoutExpired)
DROPPED_ENV = ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN", "CLICOLOR_FORCE", "FORCE_COLOR")
"""No token reaches a checker, and nothing forces colour codes into the stderr we quote."""
LOG_LINE = re.compile(r"^\s*(?:TRACE|DEBUG|INFO|WARN)\b")


class Problem(BaseModel):
    """Why an edited file is rejected."""

    path: str
    check: str
    """`yaml`, `json`, `schema` or `zizmor` (a tool failure on the edited file only)."""
    message: str


class Unavailable(BaseModel):
    """A validator that fails on the unmodified file too: no verdict for this file, recorded as degraded."""

    path: str
    check: str
    """`zizmor` or `schema`."""
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


@dataclass
class ZizmorComparison:
    """New findings of the edited files, edits refused by a crash, and files zizmor cannot check at all."""

    fresh: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)


def tool_path(name: str) -> str:
    """The executable from this interpreter's venv, else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed in the venv")
    return found


def run_tool(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a checker offline, without any GitHub token in its environment."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env["NO_COLOR"] = "1"  # in CI (CI=true) zizmor colours its stderr even without a terminal
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False
    )


def crash_summary(stderr: str) -> str:
    """The lines of a checker's stderr that say why it failed (no log noise, no backtrace), ≤ 400 chars."""
    lines = []
    for line in clean_text(stderr).splitlines():  # no colour codes or timestamps
        if line.strip().startswith("Stack backtrace"):
            break
        if line.strip() and not LOG_LINE.match(line):
            lines.append(line.strip())
    return " | ".join(lines)[:400] or "no output"


def zizmor_findings(paths: list[str], root: Path) -> list[Finding]:
    """zizmor --offline findings for files under root (paths relative to root, as given)."""
    if not paths:
        return []
    args = [tool_path("zizmor"), "--offline", "--no-config", "--no-exit-codes", "--no-progress",
            "--format", "json", *paths]
    proc = run_tool(args, root)
    if proc.returncode != 0:
        raise RuntimeError(f"zizmor failed: {crash_summary(proc.stderr)}")
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
    return Finding(path=path, rule=item["ident"], severity=severity, route=route,
                   annotation=symbolic.get("annotation", ""), rows=rows)


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


def side_findings(paths: list[str], side: str, root: Path) -> list[Finding]:
    """zizmor findings of `root/<side>/<path>` with the side stripped from their paths."""
    found = zizmor_findings([f"{side}/{p}" for p in paths], root)
    return [f.model_copy(update={"path": f.path.partition("/")[2]}) for f in found]


def compare_zizmor(after_paths: list[str], before_paths: list[str], root: Path,
                   repaired: frozenset[str] = frozenset()) -> ZizmorComparison:
    """New findings of the after-tree over the before-tree; on a crash, each file is judged on its own."""
    try:
        before = side_findings(before_paths, "before", root)
        return ZizmorComparison(fresh=new_findings(before, side_findings(after_paths, "after", root)))
    except TOOL_FAILURES:
        out = ZizmorComparison()
        for path in after_paths:
            compare_one(path, path in before_paths, path in repaired, root, out)
        return out


def compare_one(path: str, has_before: bool, repaired: bool, root: Path, out: ZizmorComparison) -> None:
    """One file: a crash on the original too → unavailable; a crash on the edit only → refused.

    A repaired file (its original did not load) has no baseline: a crash there cannot be blamed on the edit.
    """
    try:
        before = side_findings([path], "before", root) if has_before else []
    except TOOL_FAILURES as exc:
        out.unavailable.append(Unavailable(path=path, check="zizmor", message=f"fails on the unmodified file: {exc}"))
        return
    try:
        after = side_findings([path], "after", root)
    except TOOL_FAILURES as exc:
        if repaired:
            out.unavailable.append(Unavailable(path=path, check="zizmor", message="the original did not load (no "
                                               f"baseline) and zizmor fails on the repaired file: {exc}"))
        else:
            out.problems.append(Problem(path=path, check="zizmor", message=f"fails on the edited file only: {exc}"))
        return
    out.fresh += new_findings(before, after)
