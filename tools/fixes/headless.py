"""xvfb_run: run a test step's command under a virtual X display (GTK/EGL tests on headless runners)."""

from __future__ import annotations

import re

from pydantic import field_validator

from tools.fixes.base import Change, Files, NotApplicable, Params, next_line_start, select_workflows, splice
from tools.fixes.yamlspan import compose, get, jobs, scalar, source, steps

PREFIX = "xvfb-run -a "
SETUP_WORDS = frozenset(
    {
        "cd",
        "export",
        "set",
        "source",
        ".",
        "echo",
        "mkdir",
        "pushd",
        "popd",
        "ulimit",
        "if",
        "then",
        "else",
        "fi",
        "for",
        "do",
        "done",
        "while",
        "true",
        "chmod",
        "ldd",
        "ls",
        "cat",
        "rm",
        "cp",
        "mv",
        "which",
        "command",
        "[",
        "[[",
    }
)
"""First words of lines that prepare the test run rather than run it."""
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
NOT_LINUX = re.compile(r"(?i)windows|macos|win-|osx")


class XvfbRunParams(Params):
    step_pattern: str = r"(?i)\btests?\b"
    """The step's name, exactly or as a regex searched in it; default any step named like a test run."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""

    @field_validator("step_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("step_pattern is empty")
        return value


def names_step(pattern: str, name: str) -> bool:
    """The step name equals the pattern, or the pattern (when it is a valid regex) is found in it."""
    if name == pattern:
        return True
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def is_command(words: list[str]) -> bool:
    """A line that runs something: not a comment, a setup word or a bare `VAR=value`."""
    if words[0].startswith("#") or words[0] in SETUP_WORDS:
        return False
    return not (len(words) == 1 and ASSIGNMENT.match(words[0]))


def command_start(text: str, node) -> int | None:
    """Offset of the test command in a `run` scalar: its first line that is not setup, a comment or a continuation."""
    if node.style not in ("|", ">"):
        return node.start_mark.index + (1 if node.style in ("'", '"') else 0)
    i, end, continued = next_line_start(text, node.start_mark.index), node.end_mark.index, False
    while i < end:
        line_end = text.find("\n", i, end)
        line = text[i : end if line_end < 0 else line_end].rstrip("\r")
        words = line.split()
        if words and not continued and is_command(words):
            return i + len(line) - len(line.lstrip())
        continued = line.endswith("\\")
        i = end if line_end < 0 else line_end + 1
    return None


def linux_job(text: str, job) -> bool:
    """False when the job's literal runs-on names Windows or macOS (xvfb-run is a Linux tool)."""
    runs_on = get(job, "runs-on")
    return runs_on is None or not NOT_LINUX.search(source(text, runs_on))


def xvfb_run(files: Files, params: XvfbRunParams) -> Change:
    """Prefix the test command of the matching steps with `xvfb-run -a ` (idempotent)."""
    change, fixed, present = Change(), [], []
    for path, text in select_workflows(files, params.files).items():
        inserts = []
        for job_id, job in jobs(compose(text)):
            for step in steps(job) if linux_job(text, job) else []:
                name, run = scalar(get(step, "name")) or "", get(step, "run")
                at = (
                    command_start(text, run)
                    if scalar(run) and names_step(params.step_pattern, name)
                    else None
                )
                if at is None:
                    continue
                if text.startswith("xvfb-run", at):
                    present.append(f"{path}:{job_id}:{name}")
                    continue
                inserts.append((at, at, PREFIX))
                fixed.append({"file": path, "job": job_id, "step": name, "line": text.count("\n", 0, at) + 1})
        if inserts:
            change.texts[path] = splice(text, inserts)
    if not fixed:
        why = (
            f"already under xvfb-run: {', '.join(present)}"
            if present
            else "no matching test step with a run command"
        )
        raise NotApplicable(f"{why} (step_pattern {params.step_pattern!r})")
    change.resolved = {"files": sorted(change.texts), "fixed": fixed}
    return change
