"""Content safety: what an edit adds (old text vs new) that no automatic write may carry."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from agent.models import Edit, Plan
from agent.policy.forbidden import added_denials

_TRIGGER = re.compile(r"\b(pull_request_target|workflow_run)\b")
_WRITE_SCOPE = re.compile(r"""(?m)([A-Za-z][\w-]*)["']?\s*:\s*["']?write\b(?!-)""")
_WRITE_ALL = re.compile(r"\bwrite-all\b")
_PERMISSIONS_KEY = re.compile(r"(?m)^\s*permissions\s*:")
_SECRETS = re.compile(r"\bsecrets\b")
_USES = re.compile(r"""(?<![\w.-])["']?uses["']?\s*:\s*["']?([^\s"'#,}\]]+)""")
_PIPE_TO_SHELL = re.compile(
    r"(?i)\b(curl|wget)\b[^\n]*\|\s*(sudo\s+)?(\S*/)?(ba|z|da|k)?sh\b"
    r"|\b(ba|z|da|k)?sh\s+(-c\s+)?[\"']?(<\(|\$\()\s*(curl|wget)\b"
)
_UNTRUSTED_EXPRESSION = re.compile(
    r"\$\{\{[^}]*\b(github\.head_ref|github\.event\.(issue|pull_request|comment|review|review_comment"
    r"|head_commit|commits|discussion|pages|workflow_run)\b[^}]*)"
)
_HIDDEN_CHARS = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_INJECTION = re.compile(
    r"(?i)\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|your)\s+"
    r"(instructions|prompts?|rules|directions)"
    r"|\byou\s+are\s+now\b|\bnew\s+instructions\s*:|\bsystem\s+prompt\b|</?\s*(system|assistant)\s*>"
    r"|\b(print|dump|echo|reveal)\s+(the\s+)?(env|environment|secrets?|tokens?)\b"
    r"|\bmerge\s+this\b|\bauto-?merge\s+(this|immediately)\b"
)
_SHA_PIN = re.compile(r"@[0-9a-f]{40}$")
_DIGEST_PIN = re.compile(r"@sha256:[0-9a-f]{64}$")


def _increase(pattern: re.Pattern[str], old: str, new: str, group: int = 0) -> list[str]:
    """Matches of `pattern` that occur more often in `new` than in `old`."""
    before = Counter(m.group(group) for m in pattern.finditer(old))
    after = Counter(m.group(group) for m in pattern.finditer(new))
    return sorted(key for key, count in after.items() if count > before[key])


def _unpinned(uses: str, trusted_owners: Iterable[str]) -> bool:
    """True for a third-party action or image that is not pinned to an immutable digest."""
    if uses.startswith("./"):
        return False
    if uses.startswith("docker://"):
        return not _DIGEST_PIN.search(uses)
    owner = uses.split("/", 1)[0].lower()
    if owner in {o.lower() for o in trusted_owners}:
        return False
    return not _SHA_PIN.search(uses)


def edit_findings(edit: Edit, trusted_owners: Iterable[str]) -> list[str]:
    """Every reason this one edit needs a human: new triggers, permissions, secrets, actions, pipes."""
    old, new, path = edit.old or "", edit.new, edit.path
    found = [f"{path}: new {name} trigger" for name in _increase(_TRIGGER, old, new, 1)]
    found += [f"{path}: widened permissions ({scope}: write)" for scope in _increase(_WRITE_SCOPE, old, new, 1)]
    if _increase(_WRITE_ALL, old, new):
        found.append(f"{path}: widened permissions (write-all)")
    if len(_PERMISSIONS_KEY.findall(new)) < len(_PERMISSIONS_KEY.findall(old)):
        found.append(f"{path}: removed a permissions block (falls back to the default token scope)")
    if _increase(_SECRETS, old, new):
        found.append(f"{path}: new secrets reference")
    added_uses = _increase(_USES, old, new, 1)
    found += [f"{path}: new unpinned action {uses}" for uses in added_uses if _unpinned(uses, trusted_owners)]
    if _increase(_PIPE_TO_SHELL, old, new):
        found.append(f"{path}: pipes a download into a shell")
    if _increase(_UNTRUSTED_EXPRESSION, old, new, 1):
        found.append(f"{path}: new untrusted github.event expression")
    if _increase(_HIDDEN_CHARS, old, new):
        found.append(f"{path}: new zero-width or bidi characters")
    return found


def plan_denials(plan: Plan) -> list[str]:
    """Everything the plan's edits add that must never run (secrets, remote code, triggers…): deny, not cap."""
    return [finding for edit in plan.edits for finding in added_denials(edit)]


def plan_text(plan: Plan) -> str:
    """All free text a plan carries: rationale, diff, issue, fix params and the lines its edits add."""
    parts = [plan.rationale, plan.diff]
    if plan.issue:
        parts += [plan.issue.title, plan.issue.body]
    if plan.fix:
        parts += [str(value) for value in plan.fix.params.values()]
    for edit in plan.edits:
        old_lines = set((edit.old or "").splitlines())
        parts += [line for line in edit.new.splitlines() if line not in old_lines]
    return "\n".join(parts)


def injection_flags(plan: Plan) -> list[str]:
    """Prompt-injection indicators found in the plan's text, for the audit log."""
    hits = sorted({m.group(0).strip().lower() for m in _INJECTION.finditer(plan_text(plan))})
    return [f"injection indicator: {hit!r}" for hit in hits[:5]]
