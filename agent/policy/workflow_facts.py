"""A workflow or action file read as YAML: triggers, permissions, runners, env, `run:` scripts, `with:` values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

SAFE_TRIGGERS = frozenset({"push", "pull_request", "schedule", "workflow_dispatch", "merge_group"})
"""Triggers whose runs an outsider cannot start with the base repository's secrets; any other is dangerous."""
LEVELS = {"none": 0, "read": 1, "write": 2}
SCOPES = ("actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues",
          "models", "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses")
_HOSTED = re.compile(r"^(ubuntu|windows|macos)-(latest|\d[\w.-]*)$", re.IGNORECASE)
_RUNNER_INPUT = re.compile(r"(?i)runner|runs.?on")
"""A reusable workflow's input that names its runner (`with: runner: …`)."""
_MATRIX_REF = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that reads unknown tags (`!x`) as plain values instead of failing."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node)
                              if isinstance(node, yaml.ScalarNode) else None)


@dataclass
class Step:
    """One step: where it is, its shell, its `run:` script, `uses:` and `with:` values."""

    where: str
    run: str | None = None
    shell: str = ""
    uses: str = ""
    with_values: dict[str, str] = field(default_factory=dict)
    windows: bool = False


@dataclass
class WorkflowFacts:
    """What a workflow (or composite action) file says, as parsed YAML."""

    triggers: set[str] = field(default_factory=set)
    permissions: dict[str, dict[str, int] | None] = field(default_factory=dict)
    runner_labels: list[str] = field(default_factory=list)
    env_names: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    secrets_inherit: int = 0
    environments: list[str] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)


def load(text: str) -> Any:
    """The YAML document, or raises yaml.YAMLError."""
    return yaml.load(text, Loader=_Loader)


def facts(text: str) -> WorkflowFacts:
    """Facts of a workflow or composite action (raises ValueError when the text is not a YAML mapping)."""
    try:
        data = load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {type(exc).__name__}") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ValueError("not a YAML mapping")  # noqa: TRY004 - callers catch ValueError for any bad text
    out = WorkflowFacts(strings=list(_strings(data)))
    out.triggers = triggers(data.get("on", data.get(True)))
    out.permissions["workflow"] = permissions(data["permissions"]) if "permissions" in data else None
    out.env_names += _env_names(data.get("env"))
    shell = _default_shell(data)
    for job_id, job in (data.get("jobs") or {}).items() if isinstance(data.get("jobs"), dict) else ():
        if isinstance(job, dict):
            _job_facts(out, str(job_id), job, shell)
    runs = data.get("runs")
    if isinstance(runs, dict):
        out.steps += _steps("action", runs.get("steps"), "", False, out)
        if runs.get("image"):
            out.steps.append(Step("action:image", uses=str(runs["image"])))
    return out


def _job_facts(out: WorkflowFacts, job_id: str, job: dict[str, Any], shell: str) -> None:
    out.permissions[f"job:{job_id}"] = permissions(job["permissions"]) if "permissions" in job else None
    labels = runner_labels(job.get("runs-on"), job.get("strategy"))
    out.runner_labels += labels
    inputs = job.get("with") if isinstance(job.get("with"), dict) else {}
    out.runner_labels += [str(value) for key, value in inputs.items() if _RUNNER_INPUT.search(str(key))]
    out.env_names += _env_names(job.get("env"))
    container = job.get("container")
    if isinstance(container, dict):
        out.env_names += _env_names(container.get("env"))
    if job.get("secrets") == "inherit" or isinstance(job.get("secrets"), dict):
        out.secrets_inherit += 1
    if job.get("environment"):
        out.environments.append(str(job["environment"]))
    windows = any("windows" in label.lower() for label in labels)
    out.steps += _steps(f"job:{job_id}", job.get("steps"), _default_shell(job) or shell, windows, out)


def _steps(where: str, steps: Any, shell: str, windows: bool, out: WorkflowFacts) -> list[Step]:
    found = []
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        out.env_names += _env_names(step.get("env"))
        with_values = step.get("with") if isinstance(step.get("with"), dict) else {}
        found.append(Step(where=f"{where}:step{index}", run=str(step["run"]) if "run" in step else None,
                          shell=str(step.get("shell") or shell), uses=str(step.get("uses") or ""),
                          with_values={str(k): str(v) for k, v in with_values.items()}, windows=windows))
    return found


def _default_shell(node: dict[str, Any]) -> str:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return str(run.get("shell") or "") if isinstance(run, dict) else ""


def triggers(on: Any) -> set[str]:
    """Event names of `on:` (a string, a list or a mapping); `push` with `tags` is `push.tags`."""
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(item) for item in on}
    if not isinstance(on, dict):
        return set()
    names = {str(name) for name in on}
    push = on.get("push")
    if isinstance(push, dict) and ("tags" in push or "tags-ignore" in push):
        names.add("push.tags")
    return names


def permissions(value: Any) -> dict[str, int]:
    """scope → level (0 none, 1 read, 2 write) for a `permissions:` value (`write-all`, `{}`, a mapping)."""
    if isinstance(value, str):
        level = {"write-all": 2, "read-all": 1}.get(value.strip(), 0)
        return dict.fromkeys(SCOPES, level)
    if isinstance(value, dict):
        return {str(scope): LEVELS.get(str(level).strip(), 2) for scope, level in value.items()}
    return dict.fromkeys(SCOPES, 0)


def runner_labels(runs_on: Any, strategy: Any) -> list[str]:
    """Labels of `runs-on` (string, list, group mapping); a `${{ matrix.x }}` reads the matrix's values of x."""
    if isinstance(runs_on, dict):
        return [str(runs_on.get("group", ""))] + runner_labels(runs_on.get("labels"), strategy)
    items = runs_on if isinstance(runs_on, list) else [runs_on] if runs_on is not None else []
    labels: list[str] = []
    for item in items:
        text = str(item)
        key = _MATRIX_REF.search(text)
        labels += _matrix_values(strategy, key.group(1)) if key else [text]
    return labels


def _matrix_values(strategy: Any, key: str) -> list[str]:
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return [f"matrix.{key}"]
    values = matrix.get(key)
    found = [str(v) for v in values] if isinstance(values, list) else [str(values)] if values is not None else []
    for entry in matrix.get("include") or []:
        if isinstance(entry, dict) and key in entry:
            value = entry[key]
            found += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return found or [f"matrix.{key}"]


def hosted(label: str) -> bool:
    """A GitHub-hosted runner image name (ubuntu-22.04, windows-latest, macos-14…)."""
    return bool(_HOSTED.match(label.strip()))


def _env_names(env: Any) -> list[str]:
    return [str(name) for name in env] if isinstance(env, dict) else []


def _strings(node: Any) -> list[str]:
    """Every scalar string in the document (keys included), to find expressions wherever they are."""
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in [*_strings(key), *_strings(value)]]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []
