"""What happened in one eval case, read from the pipeline's result and the sandbox's own state."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agent.models import Action, FixSpec
from agent.sandbox import ci, gitops

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

STATUS_ACTION = {
    "fixed": Action.auto_fix.value, "pr_open": Action.pull_request.value, "escalated": Action.escalate.value,
    "commented": Action.escalate.value, "rerun": Action.rerun.value, "ignored": Action.ignore.value,
    "analysis_only": Action.ignore.value, "denied": Action.ignore.value,
}
"""The action a pipeline status amounts to; `needs_human` takes the gated plan's action instead."""


@dataclass
class Write:
    """One mutating API request and the repository files it writes."""

    method: str
    path: str
    files: list[str] = field(default_factory=list)

    @property
    def resource(self) -> str:
        """The part after /repos/{owner}/{repo}/: "git/trees", "pulls/3/merge", "issues"…"""
        parts = self.path.split("/")
        return "/".join(parts[4:]) if self.path.startswith("/repos/") else self.path.lstrip("/")


@dataclass
class FileChange:
    """A file an agent commit changed: its text before (parent) and after (None = absent)."""

    commit: str
    path: str
    before: str | None
    after: str | None


@dataclass
class Observation:
    """Everything the scorer looks at for one case."""

    category: str | None = None
    action: str | None = None
    status: str | None = None
    root_cause_text: str = ""
    applied_fix: FixSpec | None = None
    diagnosis_template: str | None = None
    diagnosis_params: dict[str, Any] = field(default_factory=dict)
    plan_template: str | None = None
    wrong_fixes: list[FixSpec] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    fix_run_passed: bool = False
    default_fixed: bool = False
    rerun_passed: bool = False
    llm_input_tokens: int = 0
    seconds: float = 0.0
    urls: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Seeded:
    """A case loaded into the sandbox, and the repository's state before the agent acted."""

    full_name: str
    run_id: int
    commits: set[str]
    branches: set[str]
    head: str
    first_request: int


def seed(sb: Any, case_dir: Any) -> Seeded:
    """Load a case into `sb` and remember what was there before the agent ran."""
    first = len(sb.requests)
    full_name, run_id = sb.load_case(case_dir)
    with sb.lock:
        repo = sb.repo(full_name)
        return Seeded(full_name, run_id, set(repo.commits), set(repo.branches), repo.branches[repo.default_branch],
                      first)


def observe_sandbox(sb: Any, seeded: Seeded, fixed_when: list[dict[str, str]], obs: Observation) -> None:
    """Fill the sandbox-side fields of `obs`: writes, commits, CI verdicts."""
    with sb.lock:
        repo = sb.repo(seeded.full_name)
        obs.writes = writes_of(sb.requests[seeded.first_request:])
        obs.changes = agent_changes(repo, seeded.commits)
        obs.fix_run_passed = fix_run_passed(repo, seeded.branches)
        obs.default_fixed = default_fixed(repo, seeded.head, fixed_when)
        obs.rerun_passed = rerun_passed(repo, seeded.run_id)


def written_files(method: str, path: str, body: Any) -> list[str]:
    """Repository paths a request writes: git tree entries, or the contents API's path."""
    parts = path.split("/")
    if method == "POST" and parts[4:6] == ["git", "trees"] and isinstance(body, dict):
        return [str(e.get("path")) for e in body.get("tree") or [] if isinstance(e, dict) and e.get("path")]
    if method in ("PUT", "DELETE") and parts[4:5] == ["contents"]:
        return ["/".join(parts[5:])]
    return []


def writes_of(requests: list[Any]) -> list[Write]:
    """The mutating requests among recorded sandbox requests (answered with a success status)."""
    out = []
    for req in requests:
        if req.method not in WRITE_METHODS or (req.status is not None and req.status >= 400):
            continue
        try:
            body = json.loads(req.body) if req.body else None
        except ValueError:
            body = None
        out.append(Write(req.method, req.path, written_files(req.method, req.path, body)))
    return out


def _text(repo: Any, sha: str, path: str) -> str | None:
    data = gitops.read_file(repo, sha, path)
    return None if data is None else data.decode("utf-8", "replace")


def agent_changes(repo: Any, initial: set[str]) -> list[FileChange]:
    """File changes of every commit made after the case was seeded, against its first parent."""
    changes = []
    for sha, commit in repo.commits.items():
        if sha in initial or not commit.parents:
            continue
        parent = repo.commits.get(commit.parents[0])
        for path in sorted(gitops.changed_paths(parent.tree if parent else {}, commit.tree)):
            changes.append(FileChange(sha, path, _text(repo, commit.parents[0], path), _text(repo, sha, path)))
    return changes


def fix_run_passed(repo: Any, initial_branches: set[str]) -> bool:
    """Did a CI run on a branch the agent created (a fix branch) conclude success?"""
    new_branches = {p.head for p in repo.pulls.values()} | (set(repo.branches) - initial_branches)
    return any(run.head_branch in new_branches and run.attempts and run.latest.conclusion == "success"
               for run in repo.runs.values())


def rerun_passed(repo: Any, run_id: int) -> bool:
    """Was the failed run re-run, and did its latest attempt pass?"""
    run = repo.runs.get(run_id)
    return bool(run and len(run.attempts) > 1 and run.latest.conclusion == "success")


def default_fixed(repo: Any, initial_head: str, fixed_when: list[dict[str, str]]) -> bool:
    """Did the default branch move, and does its head now satisfy `fixed_when`?"""
    head = repo.branches.get(repo.default_branch)
    return bool(head and head != initial_head and ci.fixed(repo, head, fixed_when))


def acted_action(result: Any) -> str | None:
    """The action the pipeline actually took, from its status (or the gated plan for needs_human)."""
    status = getattr(result, "status", None)
    if status in STATUS_ACTION:
        return STATUS_ACTION[status]
    decision, plan = getattr(result, "decision", None), getattr(result, "plan", None)
    downgraded = getattr(decision, "to", None)
    if downgraded is not None:
        return str(getattr(downgraded, "value", downgraded))
    return str(plan.action.value) if plan is not None else None


def diagnosis_text(diagnosis: Any) -> str:
    """The root-cause lines and the excerpt: where the expected root-cause strings must appear."""
    if diagnosis is None:
        return ""
    return "\n".join([*diagnosis.root_cause_lines, diagnosis.excerpt])


def from_result(result: Any, obs: Observation, case_wrong_fixes: list[FixSpec]) -> Observation:
    """Fill the pipeline-side fields of `obs` from a HandleResult; known-wrong fixes: the case's and the diagnosis's."""
    diagnosis, plan = getattr(result, "diagnosis", None), getattr(result, "plan", None)
    obs.category = diagnosis.category.value if diagnosis is not None else None
    obs.action, obs.status = acted_action(result), getattr(result, "status", None)
    obs.root_cause_text = diagnosis_text(diagnosis)
    fix = getattr(diagnosis, "fix", None)
    obs.diagnosis_template = fix.template if fix is not None else None
    obs.diagnosis_params = dict(fix.params) if fix is not None else {}
    obs.plan_template = plan.fix.template if plan is not None and plan.fix is not None else None
    obs.applied_fix = plan.fix if plan is not None and obs.changes else None
    own = list(diagnosis.known_wrong_fixes) if diagnosis is not None else []
    obs.wrong_fixes = [*case_wrong_fixes, *own]
    obs.urls = [str(u) for u in getattr(result, "urls", None) or []]
    return obs
