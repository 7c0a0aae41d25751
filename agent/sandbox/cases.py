"""Eval cases (ARCHITECTURE 3.4) → a repository with the case's files and one failed run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agent.errors import BadInput
from agent.sandbox import runlogs
from agent.sandbox.ci import build_attempt, settle
from agent.sandbox.model import Actor

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


def _faults(case: dict[str, Any]) -> list[dict[str, Any]]:
    raw = case.get("fault") or []
    return [raw] if isinstance(raw, dict) else list(raw)


def apply_fault(files: dict[str, bytes], fault: dict[str, Any], where: Path) -> None:
    """One recorded change `{file, from, to}`: every `from` in `file` becomes `to`; BadInput when `from` is absent."""
    path, old, new = str(fault.get("file", "")), fault.get("from"), fault.get("to")
    text = files.get(path, b"").decode("utf-8")
    if not isinstance(old, str) or not isinstance(new, str) or not old or old not in text:
        raise BadInput(f"{where}: fault on {path!r}: 'from' text not found (or from/to missing)")
    files[path] = text.replace(old, new).encode("utf-8")


def case_files(case_dir: Path, case: dict[str, Any]) -> dict[str, bytes]:
    """The case's repository: `repo.base` (a tree, relative to the case), its `fault` changes, then its repo/ files."""
    base = (case.get("repo") or {}).get("base")
    files = read_tree((case_dir / base).resolve()) if base else {}
    if base and not files:
        raise BadInput(f"{case_dir}: repo.base {base!r} is not a directory with files")
    for fault in _faults(case):
        apply_fault(files, fault, case_dir)
    return {**files, **read_tree(case_dir / "repo")}


def add_green_run(sb: Any, full_name: str, run_spec: dict[str, Any], logs: dict[str, bytes]) -> int:
    """The case's logs_green/ as a successful earlier run of its workflow on its branch. → run id."""
    with sb.lock:
        repo = sb.repo(full_name)
        flow = sb.add_workflow(repo, run_spec["workflow"], run_spec.get("name") or Path(run_spec["workflow"]).stem)
        branch = run_spec.get("head_branch") or repo.default_branch
        who = Actor(login="dev1", association="MEMBER")
        sha = repo.branches.get(branch) or repo.branches[repo.default_branch]
        run = sb.ci.new_run(repo, flow, sha, branch, run_spec.get("event", "push"), who, [])
        attempt = build_attempt(sb, 1, logs, who)
        run.attempts.append(attempt)
        settle(attempt, "completed")
        if attempt.conclusion != "success":
            raise BadInput(f"{full_name}: logs_green/ holds a failure ('##[error]Process completed')")
    return run.id


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
    sb.add_repo(full_name, files=case_files(case_dir, case), default_branch=repo_spec.get("default_branch", "main"))
    actor = run_spec.get("actor") or {}
    if actor.get("login") and actor.get("association", "MEMBER") in TRUSTED_ASSOCIATIONS:
        sb.add_collaborator(full_name, actor["login"], "write")
    if (case_dir / "logs_green").is_dir():
        add_green_run(sb, full_name, run_spec, read_tree(case_dir / "logs_green"))
    run_id = sb.add_failed_run(full_name, workflow=run_spec["workflow"], name=run_spec.get("name"),
                               logs=read_logs(case_dir), event=run_spec.get("event", "push"),
                               head_branch=run_spec.get("head_branch"), actor=run_spec.get("actor"),
                               fixed_when=expect.get("fixed_when") or [],
                               rerun_passes=bool((case.get("ci") or {}).get("rerun_passes", False)),
                               head_repository=run_spec.get("head_repository"), created_at=run_spec.get("created_at"))
    return full_name, run_id
