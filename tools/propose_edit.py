"""propose_edit: stage a small text replacement in one repository file; nothing is written."""

from __future__ import annotations

from pydantic import Field

from agent.models import Edit
from agent.policy.paths import UnsafePath, normalise
from tools.base import ToolContext, ToolInput
from tools.fixes.base import unified_diff
from tools.runcache import file_at, staged_text

NAME = "propose_edit"
WRITES = True
MAX_EDIT_CHARS = 20_000


class Input(ToolInput):
    path: str = Field(min_length=1, max_length=500, description="Repository-relative path of the file to change.")
    old: str = Field(max_length=MAX_EDIT_CHARS,
                     description="The exact text to replace; it must occur exactly once in the file. Empty to "
                                 "create a new file.")
    new: str = Field(max_length=MAX_EDIT_CHARS, description="The replacement text.")


def replaced(text: str, old: str, new: str, path: str) -> str:
    """`text` with the single occurrence of `old` replaced by `new`."""
    count = text.count(old)
    if count != 1:
        where = "does not occur" if count == 0 else f"occurs {count} times"
        raise ValueError(f"`old` {where} in {path}; quote a unique snippet exactly as read_file shows it")
    return text.replace(old, new, 1)


def run(args: Input, ctx: ToolContext) -> dict:
    """Stage a change to one file of the repository: replace the exact snippet `old` (which must occur
    once, as read at the run's head commit or after earlier staged edits) by `new`. Nothing is
    written to GitHub: the plan goes to the policy gate, and an edit you composed is at most a pull
    request a human reviews. Keep edits small and inside CI configuration.
    """
    try:
        path = normalise(args.path)
    except UnsafePath as error:
        raise ValueError(f"refused: {error}") from None
    current, original = staged_text(ctx, path), file_at(ctx, path)
    if current is None and args.old:
        raise FileNotFoundError(f"{path} does not exist; give an empty `old` to create it")
    if current is not None and not args.old:
        raise ValueError(f"{path} exists; quote the exact snippet to replace in `old`")
    new_text = args.new if current is None else replaced(current, args.old, args.new, path)
    edit = Edit(path=path, old=original, new=new_text)
    ctx.plan.edits = [e for e in ctx.plan.edits if e.path != path] + [edit]
    return {"staged": path, "diff": unified_diff([edit]), "note": "staged only; the policy gate decides"}
