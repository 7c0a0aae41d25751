"""GitHub as the record when no store survives between runs (the GitHub Action): the agent's own pull
requests, found by their branch prefix and hidden marker, give the counters the rate limits need and the
fixes a human closed. Counts here only ever add to the store's: the larger count holds (fail closed)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from agent.drafts import fix_key_marker

PLAN_MARKER = re.compile(r"<!-- devops-agent:plan=(?P<plan>[0-9a-f]+) signature=(?P<signature>[0-9a-f]+) -->")
FIX_KEY_MARKER = re.compile(r"<!-- devops-agent:fix-key=(?P<key>[0-9a-f]{16}) -->")
MAX_PULLS = 300
"""The newest agent-candidate pull requests read per decision (three pages)."""


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def agent_pulls(gh: Any, repo: str, branch_prefix: str) -> list[dict[str, Any]]:
    """The agent's pull requests in `repo`, newest first: head branch under the prefix and the plan marker."""
    pulls = gh._paginate(f"/repos/{repo}/pulls", {"state": "all", "sort": "created", "direction": "desc"},
                         limit=MAX_PULLS)
    return [pull for pull in pulls if str((pull.get("head") or {}).get("ref") or "").startswith(branch_prefix)
            and PLAN_MARKER.search(pull.get("body") or "")]


def _signature(pull: dict[str, Any]) -> str | None:
    found = PLAN_MARKER.search(pull.get("body") or "")
    return found.group("signature") if found else None


def _labels(pull: dict[str, Any]) -> set[str]:
    return {label.get("name") for label in pull.get("labels") or [] if isinstance(label, dict)}


def _closed_unmerged(pull: dict[str, Any]) -> bool:
    return pull.get("state") == "closed" and not pull.get("merged_at")


def usage_counts(pulls: list[dict[str, Any]], signature: str, run: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The Usage counters as GitHub shows them (see agent.policy.limits.Usage for each one's meaning)."""
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    created = [(pull, _time(pull.get("created_at"))) for pull in pulls]
    merged = [(pull, _time(pull.get("merged_at"))) for pull in pulls if pull.get("merged_at")]
    mine = [pull for pull in pulls if _signature(pull) == signature]
    failed = [_time(p.get("closed_at")) for p in mine if _closed_unmerged(p)]
    failed += [_time(p.get("merged_at")) for p in mine if p.get("merged_at") and "(revert)" in (p.get("title") or "")]
    last_failed = max((at for at in failed if at is not None), default=None)
    return {
        "auto_fixes_today": sum(1 for pull, at in merged if at and at >= day and "needs-human" not in _labels(pull)),
        "attempts_for_signature": len(mine),
        "minutes_since_failed_fix": (now - last_failed).total_seconds() / 60 if last_failed else None,
        "prs_last_hour": sum(1 for _, at in created if at and at >= hour),
        "open_agent_prs": sum(1 for pull in pulls if pull.get("state") == "open"),
        "reruns_for_run": max(int(run.get("run_attempt") or 1) - 1, 0),
    }


def closed_fix_keys(pulls: list[dict[str, Any]]) -> set[str]:
    """Fix keys of the agent's pull requests closed without a merge (never proposed again)."""
    return {found.group("key") for pull in pulls if _closed_unmerged(pull)
            for found in [FIX_KEY_MARKER.search(pull.get("body") or "")] if found}


def merged_counts(stored: dict[str, Any], seen: dict[str, Any]) -> dict[str, Any]:
    """Each counter at its more restrictive value: the larger count, the more recent failed fix."""
    merged = {name: max(int(stored.get(name) or 0), int(seen.get(name) or 0)) for name in seen
              if name != "minutes_since_failed_fix"}
    minutes = [m for m in (stored.get("minutes_since_failed_fix"), seen.get("minutes_since_failed_fix"))
               if m is not None]
    merged["minutes_since_failed_fix"] = min(minutes) if minutes else None
    return merged


def open_pull_with_fix_key(gh: Any, repo: str, key: str, branch_prefix: str) -> dict[str, Any] | None:
    """The agent's open pull request proposing the fix `key`, if any."""
    marker = fix_key_marker(key)
    return next((pull for pull in agent_pulls(gh, repo, branch_prefix)
                 if pull.get("state") == "open" and marker in (pull.get("body") or "")), None)
