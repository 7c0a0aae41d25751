"""absolute_path, env_set, timeout_minutes: job- and workflow-level settings, edited in place."""

from __future__ import annotations

import re

from pydantic import Field, field_validator
from yaml.nodes import MappingNode

from tools.fixes.base import Change, Files, NotApplicable, Params, newline_of, select_workflows, splice
from tools.fixes.yamlspan import (
    after_node,
    compose,
    get,
    indent_unit,
    is_expression,
    jobs,
    key_of,
    line_of,
    pairs,
    render_scalar,
    replace_scalar,
    scalar,
    walk_mappings,
)

VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HOME_PREFIX = re.compile(r"^(?:~|\$HOME|\$\{HOME\})(?=/|$)/?")
WORKSPACE = "${{ github.workspace }}"


class AbsolutePathParams(Params):
    variable: str = "VCPKG_DEFAULT_BINARY_CACHE"
    """The env variable whose value must be an absolute path."""
    value: str | None = None
    """The new value; default `~/x` or `$HOME/x` → `${{ github.workspace }}/../x`."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""


class EnvSetParams(Params):
    variable: str
    """The variable, e.g. `CC`."""
    value: str
    """Its value, e.g. `/usr/bin/gcc-11`."""
    job: str | None = None
    """Set it in this job's `env`; default the workflow-level `env`."""
    files: list[str] | None = None
    """Workflow globs; needed when more than one workflow would be changed."""

    @field_validator("variable")
    @classmethod
    def _name(cls, value: str) -> str:
        if not VARIABLE.match(value):
            raise ValueError(f"not an environment variable name: {value!r}")
        return value


class TimeoutParams(Params):
    minutes: int = Field(ge=1, le=4320)
    """The job's new `timeout-minutes`."""
    job: str | None = None
    """The job id; default the one job that already declares a timeout."""
    files: list[str] | None = None
    """Workflow globs; needed when more than one job would be changed."""


def is_absolute(value: str) -> bool:
    """True for `/x`, `C:\\x`, `\\\\server` and values built from an expression (`${{ ... }}`)."""
    return value.startswith(("/", "\\\\", "${{")) or bool(re.match(r"^[A-Za-z]:[\\/]", value))


def absolute_value(value: str) -> str:
    """`~/x` or `$HOME/x` → `${{ github.workspace }}/../x`; a relative `x` → `${{ github.workspace }}/x`."""
    home = HOME_PREFIX.match(value)
    if home:
        rest = value[home.end() :]
        return f"{WORKSPACE}/.." + (f"/{rest}" if rest else "")
    return f"{WORKSPACE}/{value}"


def absolute_path(files: Files, params: AbsolutePathParams) -> Change:
    """Make every `env:` entry of the variable an absolute path (vcpkg rejects `~`)."""
    change, fixed = Change(), []
    for path, text in select_workflows(files, params.files).items():
        replacements = []
        for mapping in walk_mappings(compose(text)):
            node = get(get(mapping, "env"), params.variable)
            old = scalar(node)
            if old is None or is_absolute(old):
                continue
            new = params.value or absolute_value(old)
            replacements.append(replace_scalar(text, node, new))
            fixed.append({"file": path, "line": node.start_mark.line + 1, "from": old, "to": new})
        if replacements:
            change.texts[path] = splice(text, replacements)
    if not fixed:
        raise NotApplicable(f"no relative or ~ path in {params.variable} in the selected workflows")
    change.resolved = {"files": sorted(change.texts), "fixed": fixed, "value": fixed[0]["to"]}
    return change


def runnable_jobs(root) -> list[tuple[str, MappingNode]]:
    """Jobs that run steps (a reusable-workflow call takes no env or timeout)."""
    return [(job_id, job) for job_id, job in jobs(root) if isinstance(job, MappingNode) and get(job, "steps")]


def unique_target(targets: list[tuple[str, str, MappingNode]], params, what: str):
    """The one (file, job, node) to change; ambiguity without `files` is NotApplicable."""
    if not targets:
        raise NotApplicable(f"no {what} in the selected workflows")
    if len(targets) > 1 and params.files is None:
        names = ", ".join(f"{path}:{job}" for path, job, _ in targets)
        raise NotApplicable(f"ambiguous: {what} in {names}; pass files")
    return targets


def set_entry(text: str, parent, parent_key, variable: str, value: str) -> tuple[int, int, str] | None:
    """A replacement that sets `variable: value` in the parent's `env` (creating the block if needed)."""
    env, nl = get(parent, "env"), newline_of(text)
    if isinstance(env, MappingNode) and not env.flow_style:
        node = get(env, variable)
        if node is not None and is_expression(scalar(node)) and not is_expression(value):
            raise NotApplicable(f"{variable} is set by an expression ({scalar(node)}); a literal would "
                                "override its conditions")
        if node is not None:
            return None if scalar(node) == value else replace_scalar(text, node, value)
        last_key, last_value = pairs(env)[-1]
        at, indent = after_node(text, last_value), " " * last_key.start_mark.column
        return at, at, f"{indent}{variable}: {render_scalar(value, None)}{nl}"
    if env is not None:
        raise NotApplicable("env is an expression or a flow mapping; not editing it")
    anchor = key_of(parent, "steps") if parent_key is not None else key_of(parent, "jobs")
    at, indent = line_of(text, anchor)
    unit = indent_unit(text, parent_key or anchor, parent if parent_key is not None else get(parent, "jobs"))
    gap = nl if parent_key is None and text[:at].endswith(nl + nl) else ""
    return at, at, f"{indent}env:{nl}{indent}{unit}{variable}: {render_scalar(value, None)}{nl}{gap}"


def env_set(files: Files, params: EnvSetParams) -> Change:
    """Set an environment variable in one job's env (or the workflow env), keeping the rest."""
    targets = []
    for path, text in select_workflows(files, params.files).items():
        root = compose(text)
        for job_id, job in runnable_jobs(root):
            if params.job is None:
                targets.append((path, "", root))
                break
            if job_id == params.job:
                targets.append((path, job_id, job))
    change = Change()
    for path, job_id, node in unique_target(
        targets, params, f"job {params.job}" if params.job else "workflow with steps"
    ):
        text = change.texts.get(path, files[path])
        repl = set_entry(
            text,
            node,
            key_of(get(compose(text), "jobs"), job_id) if job_id else None,
            params.variable,
            params.value,
        )
        if repl:
            change.texts[path] = splice(text, [repl])
    if not change.texts:
        raise NotApplicable(f"{params.variable} is already {params.value!r}")
    change.resolved = {"files": sorted(change.texts), "job": params.job}
    return change


def timeout_targets(files: Files, params: TimeoutParams) -> list[tuple[str, str, MappingNode]]:
    """Jobs to change: the named job (preferring ones that declare a timeout), else those that do."""
    found = []
    for path, text in select_workflows(files, params.files).items():
        for job_id, job in runnable_jobs(compose(text)):
            if params.job in (None, job_id):
                found.append((path, job_id, job))
    declared = [t for t in found if get(t[2], "timeout-minutes") is not None]
    return declared if params.job is None or len(found) > 1 and declared else found


def timeout_minutes(files: Files, params: TimeoutParams) -> Change:
    """Set a job's `timeout-minutes`, replacing the value or adding the key after `runs-on`."""
    replacements: dict[str, list] = {}
    moved = []
    what = f"job {params.job}" if params.job else "job declaring timeout-minutes"
    for path, job_id, job in unique_target(timeout_targets(files, params), params, what):
        node = get(job, "timeout-minutes")
        if node is not None and is_expression(scalar(node)):
            raise NotApplicable(f"{path}:{job_id} timeout-minutes is an expression: {scalar(node)}")
        if node is None or scalar(node) != str(params.minutes):
            replacements.setdefault(path, []).append(
                timeout_replacement(files[path], job, node, params.minutes)
            )
            moved.append({"file": path, "job": job_id, "from": scalar(node), "to": params.minutes})
    if not moved:
        raise NotApplicable(f"timeout-minutes is already {params.minutes}")
    change = Change({path: splice(files[path], repls) for path, repls in replacements.items()})
    change.resolved = {"files": sorted(change.texts), "changes": moved}
    return change


def timeout_replacement(text: str, job, node, minutes: int) -> tuple[int, int, str]:
    """Replace the job's timeout value, or add `timeout-minutes:` after `runs-on` (else before steps)."""
    if node is not None:
        return node.start_mark.index, node.end_mark.index, str(minutes)
    runs_on = get(job, "runs-on")
    at = after_node(text, runs_on) if runs_on is not None else line_of(text, key_of(job, "steps"))[0]
    indent = " " * pairs(job)[0][0].start_mark.column
    return at, at, f"{indent}timeout-minutes: {minutes}{newline_of(text)}"
