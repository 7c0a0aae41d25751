"""Once a week per repository: every escalation issue a human fix closed since the last pass (or whose workflow went
green after a human change to CI files) becomes a proposal.

    summary = learn_from_fixes(gh, store, "octo/repo")     # {"proposed": [...], "skipped": {number: why}}

The daemon runs `learn_until_stopped` in its own thread; `agent kb propose --from-issue N` does one
issue on demand. Proposals land in $AGENT_HOME/proposals (agent.knowledge.proposals); nothing is
written to GitHub.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from agent.errors import AgentError
from agent.knowledge.loader import load_known_issues
from agent.knowledge.proposals import proposals_dir, write_proposal
from agent.knowledge.propose import propose_from_issue
from agent.store.connection import as_utc, iso, utc_now

WEEK = timedelta(days=7)
CHECK_EVERY = 3600.0
"""Seconds between checks whether a repository's weekly pass is due."""
ISSUE_LABEL = "devops-agent"
MARGIN = timedelta(minutes=10)
"""GitHub's timestamps have whole seconds and clocks differ: issues closed shortly before a pass are looked at again."""
SEEN_KEEP = 2000
"""Issue numbers remembered as handled (so the margin never proposes one twice)."""
log = logging.getLogger(__name__)


def _cursor(repo: str) -> str:
    return f"kb.learned:{repo.lower()}"


def closed_agent_issues(gh: Any, repo: str, since: str | None, seen: set[int]) -> list[dict[str, Any]]:
    """The agent's closed issues (its label) not handled yet, closed since `since` (less a margin), oldest first."""
    items = gh._paginate(f"/repos/{repo}/issues", {"state": "closed", "labels": ISSUE_LABEL})
    floor = as_utc(since) - MARGIN if since else None
    fresh = [i for i in items if not i.get("pull_request") and i.get("closed_at") and i["number"] not in seen
             and (floor is None or as_utc(i["closed_at"]) >= floor)]
    return sorted(fresh, key=lambda i: as_utc(i["closed_at"]))


def learn_from_fixes(gh: Any, store: Any, repo: str) -> dict[str, Any]:
    """Propose an entry for each agent issue closed by a human fix since the last pass; remembers the pass."""
    last, started = store.get_kv(_cursor(repo)) or {}, iso()
    kb, accepted, seen = load_known_issues(), proposals_dir() / "accepted", set(last.get("seen", []))
    proposed, skipped = [], {}
    for issue in closed_agent_issues(gh, repo, last.get("at"), seen):
        seen.add(issue["number"])
        try:
            proposal = propose_from_issue(gh, store, kb, repo, int(issue["number"]))
        except AgentError as exc:
            skipped[issue["number"]] = str(exc)
            continue
        if not (accepted / f"{proposal.id}.json").exists():
            write_proposal(proposal)
            proposed.append(proposal.id)
    proposed += green_fixed(gh, store, kb, repo, seen)
    store.set_kv(_cursor(repo), {"at": started, "proposed": proposed, "seen": sorted(seen)[-SEEN_KEEP:]})
    return {"repo": repo, "proposed": proposed, "skipped": skipped}


def green_fixed(gh: Any, store: Any, kb: Any, repo: str, seen: set[int]) -> list[str]:
    """Proposals for the agent's open issues whose workflow went green after a human change to CI files."""
    proposed = []
    for issue in gh._paginate(f"/repos/{repo}/issues", {"state": "open", "labels": ISSUE_LABEL}):
        if issue.get("pull_request") or issue["number"] in seen:
            continue
        try:
            proposal = propose_from_issue(gh, store, kb, repo, int(issue["number"]))
        except AgentError:
            continue  # not fixed yet, or nothing to learn: looked at again next week
        seen.add(issue["number"])
        write_proposal(proposal)
        proposed.append(proposal.id)
    return proposed


def due(store: Any, repo: str, now: Any = None) -> bool:
    """Has a week passed since the repository's last pass (or was there none)?"""
    last = store.get_kv(_cursor(repo))
    return last is None or as_utc(now or utc_now()) - as_utc(last["at"]) >= WEEK


def learn_until_stopped(stopping: threading.Event, gh: Any, store: Any, repos: Callable[[], list[str]],
                        emit: Callable[..., None] | None = None, interval: float = CHECK_EVERY) -> None:
    """The daemon's weekly learner: every `interval` seconds, run the pass of each repository that is due."""
    while not stopping.wait(interval):
        for repo in repos():
            if stopping.is_set() or not due(store, repo):
                continue
            try:
                summary = learn_from_fixes(gh, store, repo)
            except Exception as exc:  # noqa: BLE001 - a failed pass is logged and retried next hour
                log.warning("weekly known-issue learning failed for %s: %s", repo, exc)
                continue
            if emit is not None:
                emit("info", "known issues proposed", **summary)
