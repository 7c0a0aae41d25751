"""Known issues that grow from human fixes: an escalated failure closed by a commit becomes a proposed entry.

    proposal = propose_from_issue(gh, store, kb, "octo/repo", 12)   # Proposal, or BadInput saying why not

The issue must be the agent's (its signature marker), closed by a commit or a merged pull request, or
still open with its failed workflow green again after a human commit touching CI files.
The entry's pattern comes from the stored diagnosis's root-cause lines (agent.knowledge.patterns) and
must match this failure and no stored diagnosis of another signature; its fix is the template that
reproduces the human's change (agent.knowledge.fixfit), else the human's diff is the documented remedy.
Every entry passes the DB loader's validation before it is proposed. Where it goes: proposals.py.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from agent.errors import BadInput
from agent.github.history import ClosingFix, closing_fix, green_fix
from agent.knowledge.fixfit import fit_template
from agent.knowledge.guides import guide_section, human_diff
from agent.knowledge.learning import against_history, first_match, stored_lines
from agent.knowledge.loader import parse_known_issues
from agent.knowledge.matcher import KnowledgeBase
from agent.knowledge.patterns import separating_patterns
from agent.logs.signature import normalise_line
from agent.models import Diagnosis
from tools.fixes.base import CI_GLOBS, matches_any

SIGNATURE_MARKER = re.compile(r"<!-- devops-agent:signature=([0-9a-f]{8,64}) -->")
TREE_GLOBS = CI_GLOBS + ("**/vcpkg.json", "**/vcpkg-configuration.json")
"""Files a template may edit: read at the fix's parent so a template is judged on the whole tree."""
CONFIDENCE_WITH_TEMPLATE = 0.7
"""A learned entry's prior when a template fits: MEDIUM, a pull request a human merges, until outcomes say more."""
CONFIDENCE_DIFF_ONLY = 0.5
"""A learned entry without a template: LOW, escalated with the human's remedy cited."""
MAX_DIFF_CHARS = 4000
GUIDE_FILE = "learned.md"


@dataclass
class Proposal:
    """A proposed known-issue entry, its guide section and where it was learned from."""

    id: str
    repo: str
    issue: int
    signature: str
    fix_sha: str
    entry: dict[str, Any]
    guide_file: str
    guide_section: str
    fitted: str
    """`template` when a fix template reproduces the human's change, else `diff`."""
    history: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def agent_signature(issue: dict[str, Any], repo: str, number: int) -> str:
    """The failure signature of one of the agent's escalation issues; BadInput for any other issue."""
    if issue.get("pull_request"):
        raise BadInput(f"{repo}#{number} is a pull request, not an escalation issue")
    found = SIGNATURE_MARKER.search(issue.get("body") or "")
    if found is None:
        raise BadInput(f"{repo}#{number} is not an issue the agent filed (no signature marker)")
    return found.group(1)


def diagnoses_by_signature(store: Any, repo: str, signature: str) -> tuple[list[dict], list[list[str]]]:
    """(this signature's stored diagnoses, newest first; the stored lines of every other signature's)."""
    rows = store.rows("SELECT repo, run_id, signature, diagnosis FROM diagnoses ORDER BY id DESC")
    own = [r for r in rows if r["signature"] == signature and r["repo"].lower() == repo.lower()]
    others = [stored_lines(r["diagnosis"] or {}) for r in rows if r["signature"] != signature]
    return own, others


def human_fix(gh: Any, repo: str, number: int, closed: bool, run_id: int) -> ClosingFix:
    """The commit that closed the issue, or (still open) the human CI change after which the failed workflow
    went green; BadInput when there is neither, or the change is the agent's own."""
    fix = closing_fix(gh, repo, number) if closed else green_fix(gh, repo, run_id)
    if fix is None and not closed:
        raise BadInput(f"{repo}#{number} is still open and its workflow has not gone green after a human change "
                       "to CI files")
    if fix is None:
        raise BadInput(f"{repo}#{number} was closed without a commit or merged pull request naming it")
    if "devops-agent" in fix.message or not fix.files:
        raise BadInput(f"{repo}#{number} was closed by {fix.sha[:10]}, which is not a human change to the repository")
    return fix


def pre_fix_tree(gh: Any, repo: str, fix: ClosingFix) -> dict[str, str]:
    """The files a template may edit, at the fix's parent, plus the changed files' old texts."""
    files = {f.path: f.before for f in fix.files if f.before is not None}
    if fix.parent:
        for path in gh.list_files(repo, fix.parent):
            if path not in files and matches_any(path, TREE_GLOBS):
                found = gh.get_file(repo, path, fix.parent)
                if found is not None:
                    files[path] = found[0]
    return files


def failure_title(diagnosis: Diagnosis) -> str:
    """The first root-cause line as the normaliser sees it, directories dropped: what engineers recognise."""
    lines = [normalise_line(line).replace("<path>/", "") for line in diagnosis.root_cause_lines]
    return next((line for line in lines if line), diagnosis.title or "")[:100]


def entry_for(diagnosis: Diagnosis, patterns: tuple[list[str], str], fitted: tuple[str, dict] | None,
              fix: ClosingFix, source: str) -> dict[str, Any]:
    """The known-issue entry (a plain mapping in the DB's schema)."""
    category = str(diagnosis.category)
    title = failure_title(diagnosis) or category
    entry: dict[str, Any] = {
        "id": f"learned-{category.replace('_', '-')}-{diagnosis.signature[:8]}", "title": title,
        "category": category, "patterns": patterns[0], "match": patterns[1], "severity": "medium",
        "confidence": CONFIDENCE_WITH_TEMPLATE if fitted else CONFIDENCE_DIFF_ONLY,
    }
    if fitted:
        entry["fix"] = {"template": fitted[0], "params": fitted[1]}
    else:
        entry["action"] = "escalate"
    remedy = f"template {fitted[0]} reproduces it" if fitted else f"remedy (the human's diff):\n{human_diff(fix).rstrip()[:MAX_DIFF_CHARS]}"
    entry["notes"] = f"Learned from {source}, fixed by {fix.sha[:12]} ({fix.author}); {remedy}"
    return entry


def validated(entry: dict[str, Any], kb: KnowledgeBase) -> Any:
    """The entry as the DB loader builds it (ConfigError when the loader would refuse it)."""
    if kb.get(entry["id"]) is not None:
        raise BadInput(f"the known-issue DB already has an entry {entry['id']!r}")
    return parse_known_issues({"version": 1, "issues": [entry]}, "proposed entry").issues[0]


def already_known(kb: KnowledgeBase, lines: list[str]) -> str | None:
    """The id of an existing entry that already matches these lines, or None."""
    return next((issue.id for issue in kb.issues if first_match(issue, lines) is not None), None)


def propose_from_issue(gh: Any, store: Any, kb: KnowledgeBase, repo: str, number: int) -> Proposal:
    """A validated known-issue entry and guide section learned from the human fix of escalation issue `number`."""
    issue = gh.request("GET", f"/repos/{repo}/issues/{number}")[2]
    signature = agent_signature(issue, repo, number)
    own, others = diagnoses_by_signature(store, repo, signature)
    if not own:
        raise BadInput(f"no stored diagnosis for signature {signature} in {repo}: the store does not know this failure")
    diagnosis = Diagnosis.model_validate(own[0]["diagnosis"])
    known = already_known(kb, stored_lines(own[0]["diagnosis"]))
    if known:
        raise BadInput(f"{repo}#{number}: the failure already matches known issue {known!r}")
    patterns = separating_patterns(diagnosis.root_cause_lines, others)
    if patterns is None:
        raise BadInput(f"{repo}#{number}: no pattern from the root-cause lines leaves out every other stored signature")
    fix = human_fix(gh, repo, number, issue.get("state") == "closed", own[0]["run_id"])
    after = {f.path: f.after for f in fix.files}
    fitted = fit_template(pre_fix_tree(gh, repo, fix), after)
    entry = entry_for(diagnosis, patterns, fitted, fix, f"{repo}#{number}")
    learned = validated(entry, kb)
    history = against_history(learned.id, learned, store, old=None)
    strays = [r for r in history["newly_matching"] if r["signature"] != signature]
    if strays:
        raise BadInput(f"{entry['id']}: the pattern would match signature {strays[0]['signature']} too")
    section, anchor = guide_section(entry, diagnosis, fix, f"{repo}#{number}", own[0]["run_id"])
    entry["guide"] = f"{GUIDE_FILE}#{anchor}"
    validated(entry, kb)
    return Proposal(entry["id"], repo, number, signature, fix.sha, entry, GUIDE_FILE, section,
                    "template" if fitted else "diff", history)
