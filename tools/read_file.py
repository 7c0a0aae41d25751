"""read_file: a repository file at the run's head commit — CI configuration and manifests only."""

from __future__ import annotations

from pydantic import Field

from agent.policy.paths import UnsafePath, matches_any, normalise
from tools.base import ToolContext, ToolInput
from tools.runcache import file_at, head_sha, policy_of

NAME = "read_file"
WRITES = False
MAX_CHARS = 40_000


class Input(ToolInput):
    path: str = Field(min_length=1, max_length=500,
                      description="Repository-relative path, e.g. .github/workflows/CI-Linux.yml or base/vcpkg.json.")
    start: int = Field(1, ge=1, description="First line to return (1-based).")
    count: int = Field(400, ge=1, le=2000, description="How many lines to return at most.")


def readable(path: str, ctx: ToolContext) -> str:
    """The normalised path if it lies inside the policy's writable or test paths; else ValueError."""
    try:
        clean = normalise(path)
    except UnsafePath as error:
        raise ValueError(f"refused: {error}") from None
    radius = policy_of(ctx).blast_radius
    if not matches_any(clean, [*radius.allowed_paths, *radius.test_paths]):
        allowed = ", ".join(radius.allowed_paths)
        raise ValueError(f"refused: {clean} is outside the paths this agent may read ({allowed}; and test sources)")
    return clean


def run(args: Input, ctx: ToolContext) -> dict:
    """Read a file of the repository as it was at the failed run's head commit. Only the paths the
    policy lets the agent change are readable (workflows, composite actions, the vcpkg manifest and
    configuration, overlay ports, test sources); `..`, absolute paths and anything else are refused.
    Returns the text of lines `start`..`start+count-1` (capped at 40,000 characters).
    """
    path = readable(args.path, ctx)
    text = file_at(ctx, path)
    if text is None:
        raise FileNotFoundError(f"{path} does not exist at {head_sha(ctx)[:10]}")
    lines = text.splitlines()
    chosen = "\n".join(lines[args.start - 1:args.start - 1 + args.count])
    last = min(len(lines), args.start - 1 + args.count)
    return {"path": path, "ref": head_sha(ctx), "lines": f"{args.start}-{last} of {len(lines)}",
            "truncated": len(chosen) > MAX_CHARS, "text": chosen[:MAX_CHARS]}
