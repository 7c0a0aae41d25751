"""Eval cases (ARCHITECTURE 3.4) → a repository with the case's files and one failed run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agent.errors import BadInput
from agent.sandbox import runlogs

TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
"""A case actor with one of these associations is a collaborator with write access, as on GitHub."""


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` by its `/`-separated relative path."""
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_logs(case_dir: Path) -> dict[str, bytes]:
    """The case's logs in run-zip layout, from logs/ files or a logs.zip (in logs/ or beside case.yaml)."""
    for candidate in (case_dir / "logs" / "logs.zip", case_dir / "logs.zip"):
        if candidate.is_file():
            return runlogs.unzip(candidate.read_bytes())
    return read_tree(case_dir / "logs")


def read_case(case_dir: str | Path) -> dict[str, Any]:
    """case.yaml as a dict; BadInput when missing or not a mapping."""
    path = Path(case_dir) / "case.yaml"
    if not path.is_file():
        raise BadInput(f"{case_dir}: no case.yaml")
    with open(path, encoding="utf-8") as handle:
        case = yaml.safe_load(handle)
    if not isinstance(case, dict):
        raise BadInput(f"{path}: not a mapping")
    return case


def free_name(sb: Any, wanted: str, case_id: str) -> str:
    """`wanted`, or `owner/name-<case id>` when the sandbox already has a repository of that name."""
    if wanted.lower() not in sb.state.repos:
        return wanted
    owner, name = wanted.split("/", 1)
    return f"{owner}/{name}-{case_id}"[:140]


def load_case(sb: Any, case_dir: str | Path) -> tuple[str, int]:
    """Seed `sb` with a case: its repo/ files on the default branch and its failed run. → (full_name, run_id)."""
    case_dir = Path(case_dir)
    case = read_case(case_dir)
    repo_spec, run_spec, expect = case.get("repo") or {}, case.get("run") or {}, case.get("expect") or {}
    if "full_name" not in repo_spec or "workflow" not in run_spec:
        raise BadInput(f"{case_dir}: case.yaml needs repo.full_name and run.workflow")
    full_name = free_name(sb, repo_spec["full_name"], str(case.get("id") or case_dir.name))
    sb.add_repo(full_name, files=read_tree(case_dir / "repo"), default_branch=repo_spec.get("default_branch", "main"))
    actor = run_spec.get("actor") or {}
    if actor.get("login") and actor.get("association", "MEMBER") in TRUSTED_ASSOCIATIONS:
        sb.add_collaborator(full_name, actor["login"], "write")
    run_id = sb.add_failed_run(full_name, workflow=run_spec["workflow"], name=run_spec.get("name"),
                               logs=read_logs(case_dir), event=run_spec.get("event", "push"),
                               head_branch=run_spec.get("head_branch"), actor=run_spec.get("actor"),
                               fixed_when=expect.get("fixed_when") or [],
                               rerun_passes=run_spec.get("rerun_passes", expect.get("action") == "rerun"),
                               head_repository=run_spec.get("head_repository"), created_at=run_spec.get("created_at"))
    return full_name, run_id
