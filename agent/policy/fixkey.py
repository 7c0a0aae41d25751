"""The fix key: what "the same fix" means when a human closed one unmerged (Renovate-style ignore)."""

from __future__ import annotations

import hashlib
import json

from agent.models import Plan


def fix_key(plan: Plan) -> str:
    """A stable 16-hex key for (repo, failure signature, fix); a new signature gives a new key."""
    if plan.fix is not None:
        fix: object = {"template": plan.fix.template, "params": plan.fix.params}
    else:
        fix = sorted((edit.path, edit.new) for edit in plan.edits)
    payload = {"repo": plan.repo, "signature": plan.signature, "fix": fix}
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
