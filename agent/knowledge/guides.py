"""The guide section a learned known issue cites: what the failure looks like and what fixed it, from the data."""

from __future__ import annotations

import json
from typing import Any

from agent.drafts import clean, fenced
from agent.github.history import ClosingFix
from agent.models import Diagnosis, Edit
from agent.rag.chunks import slugify
from tools.fixes.base import unified_diff

MAX_LOG_LINES = 8
MAX_DIFF_CHARS = 4000


def human_diff(fix: ClosingFix) -> str:
    """The human's change as one unified diff (a deleted file shows as emptied)."""
    return unified_diff([Edit(path=f.path, old=f.before, new=f.after or "") for f in fix.files])


def _remedy(entry: dict[str, Any], fix: ClosingFix) -> str:
    template = entry.get("fix")
    if template:
        return (f"The fix template `{template['template']}` with `{json.dumps(template['params'], sort_keys=True)}` "
                f"reproduces the change exactly when applied to the files before the fix, so the agent can "
                f"propose it as a pull request next time.\n")
    return ("No fix template reproduces the change; this is what the engineer changed, the documented "
            f"remedy until a template covers it:\n\n{fenced(clean(human_diff(fix)).rstrip()[:MAX_DIFF_CHARS], 'diff')}\n")


def guide_section(entry: dict[str, Any], diagnosis: Diagnosis, fix: ClosingFix, source: str,
                  run_id: int) -> tuple[str, str]:
    """(markdown section, its anchor) for `guides/learned.md`."""
    heading = clean(entry["title"]).replace("\n", " ")
    subject = fix.message.splitlines()[0] if fix.message else ""
    lines = "\n".join(diagnosis.root_cause_lines[:MAX_LOG_LINES])
    files = ", ".join(f"`{f.path}`" for f in fix.files)
    body = (f"## {heading}\n\n"
            f"Category `{entry['category']}`. The agent escalated this failure (signature `{diagnosis.signature}`, "
            f"issue {source}) and {clean(fix.author)} fixed it in `{fix.sha[:10]}` ({clean(subject)}), "
            f"changing {files}.\n\n"
            f"**In the log** (run {run_id}):\n\n{fenced(clean(lines))}\n\n"
            f"**Recognised by** ({entry['match']} of these RE2 patterns):\n\n{fenced(chr(10).join(entry['patterns']))}\n\n"
            f"**Fix.** {_remedy(entry, fix)}")
    return body, slugify(heading)
