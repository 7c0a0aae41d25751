"""The call chain of a run: its workflow, the reusable workflows and local actions it calls, transitively."""

from __future__ import annotations

from collections.abc import Callable

from tools.fixes.yamlspan import compose, get, jobs, scalar, steps

LOCAL_ACTION_FILES = ("action.yml", "action.yaml")


def entry_path(workflow: str | None) -> str | None:
    """The run's workflow path as a repository path (GitHub may append `@ref`), or None."""
    if not workflow:
        return None
    path = workflow.split("@", 1)[0].strip().strip("/")
    return path or None


def local_target(uses: str | None, exists: Callable[[str], bool]) -> str | None:
    """The repository file a `uses: ./…` names (a workflow, or a local action's action.yml), or None."""
    if not uses or not uses.startswith("./"):
        return None
    path = uses[2:].split("@", 1)[0].strip().rstrip("/")
    if path.endswith((".yml", ".yaml")):
        return path
    return next((f"{path}/{name}" for name in LOCAL_ACTION_FILES if exists(f"{path}/{name}")),
                f"{path}/{LOCAL_ACTION_FILES[0]}")


def callees(text: str) -> list[str]:
    """The `uses:` values of a workflow's jobs and steps, or of a composite action's steps."""
    root = compose(text)
    found = []
    for _, job in jobs(root):
        found.append(scalar(get(job, "uses")))
        found += [scalar(get(step, "uses")) for step in steps(job)]
    found += [scalar(get(step, "uses")) for step in steps(get(root, "runs"))]
    return [uses for uses in found if uses]


def call_chain(workflow: str, read: Callable[[str], str | None]) -> set[str]:
    """Every file the run's workflow reaches through local `uses:` (itself included), read with `read`."""
    start = entry_path(workflow)
    chain: set[str] = set()
    queue = [start] if start else []
    while queue:
        path = queue.pop()
        if path in chain:
            continue
        text = read(path)
        if text is None:
            continue
        chain.add(path)
        for uses in callees(text):
            target = local_target(uses, lambda p: read(p) is not None)
            if target and target not in chain:
                queue.append(target)
    return chain
