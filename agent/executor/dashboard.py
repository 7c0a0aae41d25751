"""The one "devops-agent dashboard" issue per repository: the runs rate limits hold back, edited in place.

A storm (fault #32) must not become an issue storm: held runs are rows in one issue body that the agent
edits (PATCH), never comments on, and finds again by its hidden marker. The list lives in the store
(kv `dashboard:<repo>`); the issue is a rendering of it, written only when the gate allows a write.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from agent.drafts import clean
from agent.executor.digest import APPROVE, approve, decisions_in, render_digest, veto, week_items
from agent.gate_context import gate_context
from agent.github import GitHubError, NotFound
from agent.models import Action, Plan
from agent.policy import Deny, decide

DASHBOARD_MARKER = "<!-- devops-agent:dashboard -->"
DASHBOARD_TITLE = "devops-agent dashboard"
DASHBOARD_LABELS = ("devops-agent",)
MAX_ROWS = 200
"""Rows shown; the rest is counted (an issue body holds at most 65,536 characters)."""
log = logging.getLogger(__name__)
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def repo_lock(full_name: str) -> threading.Lock:
    """One lock per repository, so two workers in this process never both create its dashboard."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(full_name.lower(), threading.Lock())


def held_by_rate_limit(result: Any) -> bool:
    """True when the gate refused the run's plan by a `rate_limit.*` rule (it waits for the limit)."""
    decision = getattr(result, "decision", None)
    return result.status == "denied" and isinstance(decision, Deny) and decision.rule.startswith("rate_limit.")


def held_entry(run: dict[str, Any], result: Any, since: str) -> dict[str, Any]:
    """The dashboard row of a held run: link, workflow, signature, category, the limit, since when."""
    plan, decision = result.plan, result.decision
    return {"run_id": int(run["id"]), "attempt": int(run.get("run_attempt") or 1), "url": run.get("html_url") or "",
            "workflow": run.get("name") or run.get("path") or "", "signature": plan.signature,
            "category": str(plan.category), "limit": decision.rule.removeprefix("rate_limit."),
            "reason": decision.reason, "since": since}


def _cell(text: Any) -> str:
    return clean(str(text)).replace("|", "\\|").replace("\n", " ").strip()


def render_row(entry: dict[str, Any]) -> str:
    label = f"{entry['run_id']} (attempt {entry['attempt']})"
    link = f"[{label}]({entry['url']})" if entry["url"] else label
    return (f"| {link} | {_cell(entry['workflow'])} | `{_cell(entry['signature'])}` | {_cell(entry['category'])} "
            f"| `{_cell(entry['limit'])}`: {_cell(entry['reason'])} | {_cell(entry['since'])} |")


def render_body(full_name: str, entries: list[dict[str, Any]], digest: str = "") -> str:
    """The issue body: the hidden marker, the week's digest, then a table of held runs (oldest first)."""
    rows = sorted(entries, key=lambda e: (e["since"], e["run_id"]))
    lines = [DASHBOARD_MARKER, f"## {DASHBOARD_TITLE}", ""] + ([digest, ""] if digest else [])
    lines += [f"### Held back by rate limits ({len(rows)})",
              ("Failed runs the agent's rate limits are holding back. Each leaves this list once it is handled; "
               f"to retry one now: `agent fix <run id> --repo {full_name}`."), ""]
    if not rows:
        lines.append("Nothing is held back right now.")
    else:
        lines += ["| Run | Workflow | Signature | Category | Held by | Since |", "|---|---|---|---|---|---|"]
        lines += [render_row(entry) for entry in rows[:MAX_ROWS]]
        if len(rows) > MAX_ROWS:
            lines += ["", f"… and {len(rows) - MAX_ROWS} more."]
    lines += ["", "_devops-agent edits this issue in place; it never comments here._"]
    return "\n".join(lines) + "\n"


def probe_plan(full_name: str, entry: dict[str, Any]) -> Plan:
    """An issue-only plan standing for the dashboard edit, so the gate's kill switch and dry run apply."""
    return Plan(id=f"dashboard-{entry['signature']}-{entry['run_id']}", repo=full_name, run_id=entry["run_id"],
                run_attempt=entry["attempt"], signature=entry["signature"], category=entry["category"],
                action=Action.escalate, rationale="edit the devops-agent dashboard issue")


class Dashboard:
    """`Dashboard(pipeline).record(repo, run, result)` after each handled run; writes only what changed."""

    def __init__(self, pipeline: Any):
        self.pipeline, self.gh, self.store = pipeline, pipeline.gh, pipeline.store

    @staticmethod
    def key(full_name: str) -> str:
        return f"dashboard:{full_name.lower()}"

    def record(self, full_name: str, run: dict[str, Any], result: Any) -> dict[str, Any] | None:
        """List a run a rate limit held; drop a listed run once handled (another denial leaves it listed)."""
        run_key = str(run["id"])
        with self.store.transaction():
            state = self.store.get_kv(self.key(full_name)) or {"issue": None, "held": {}}
            listed = state["held"].get(run_key)
            if held_by_rate_limit(result):
                since = (listed or {}).get("since") or self.pipeline.now().isoformat(timespec="seconds")
                entry = state["held"][run_key] = held_entry(run, result, since)
            elif listed is None or result.status == "denied":
                return None
            else:
                entry = state["held"].pop(run_key)
            self.store.set_kv(self.key(full_name), state)
        try:
            return self.sync(full_name, run, entry)
        except GitHubError as exc:  # the list is stored; the next edit of this repo's dashboard catches up
            log.warning("dashboard issue of %s not updated: %s", full_name, exc)
            return None

    def sync(self, full_name: str, run: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any] | None:
        """Make the issue show the stored list, if the gate allows a write now (None: nothing written)."""
        probe = probe_plan(full_name, entry)
        if isinstance(decide(probe, gate_context(self.pipeline, full_name, run, probe)), Deny):
            return None
        with repo_lock(full_name):
            state = self.store.get_kv(self.key(full_name)) or {"issue": None, "held": {}}
            held = list(state["held"].values())
            items = week_items(self.store, full_name, self.pipeline.now())
            body = render_body(full_name, held, render_digest(items))
            issue = self.find(full_name, state.get("issue"))
            if issue is None:
                # opened when something waits for a human; once open, it shows the whole week
                return self.create(full_name, body, probe) if held or items["waiting"] else None
            reopen = "open" if held and issue.get("state") == "closed" else None
            if issue.get("body") == body and reopen is None:
                return issue
            return self.gh.update_issue(full_name, issue["number"], body=body, state=reopen)

    def refresh(self, full_name: str, run: dict[str, Any]) -> dict[str, Any] | None:
        """Act on the boxes a maintainer changed, then show the current week (writes only when the gate allows)."""
        try:
            state = self.store.get_kv(self.key(full_name)) or {"issue": None, "held": {}}
            issue = self.find(full_name, state.get("issue"))
            if issue is not None:
                self.act_on_boxes(full_name, issue.get("body") or "")
            entry = {"signature": "digest", "run_id": int(run["id"]), "attempt": int(run.get("run_attempt") or 1),
                     "category": "unknown"}
            return self.sync(full_name, run, entry)
        except GitHubError as exc:
            log.warning("dashboard issue of %s not refreshed: %s", full_name, exc)
            return None

    def act_on_boxes(self, full_name: str, body: str) -> list[tuple[str, str, str]]:
        """Approve the ticked waiting plans and revert the unticked merged fixes, each once."""
        done = []
        for kind, plan_id in decisions_in(body):
            key = f"digest-acted:{full_name.lower()}:{kind}:{plan_id}"
            if self.store.get_kv(key):
                continue
            result = (approve if kind == APPROVE else veto)(self.pipeline, full_name, plan_id)
            status = getattr(result, "status", "nothing to do")
            self.store.set_kv(key, {"status": status, "at": self.pipeline.now().isoformat()})
            done.append((kind, plan_id, status))
        return done

    def find(self, full_name: str, number: int | None) -> dict[str, Any] | None:
        """The dashboard issue: by the number stored, else by its marker on GitHub (then stored)."""
        if number:
            try:
                issue = self.gh.request("GET", f"/repos/{full_name}/issues/{int(number)}")[2]
                if DASHBOARD_MARKER in (issue.get("body") or ""):
                    return issue
            except NotFound:
                pass
        issue = self.gh.find_issue(full_name, DASHBOARD_MARKER)
        if issue is not None:
            self.remember(full_name, issue["number"])
        return issue

    def create(self, full_name: str, body: str, probe: Plan) -> dict[str, Any]:
        """Open the dashboard (journalled first; a lost answer is found by its marker next time)."""
        row = self.store.record_action("dashboard", full_name, "intent", run_id=probe.run_id,
                                       detail={"marker": DASHBOARD_MARKER})
        issue = self.gh.create_issue(full_name, DASHBOARD_TITLE, body, labels=DASHBOARD_LABELS)
        self.store.update_action(row, status="done", ref=str(issue["number"]), detail={"url": issue.get("html_url")})
        self.remember(full_name, issue["number"])
        return issue

    def remember(self, full_name: str, number: int) -> None:
        with self.store.transaction():
            state = self.store.get_kv(self.key(full_name)) or {"issue": None, "held": {}}
            if state.get("issue") != number:
                self.store.set_kv(self.key(full_name), {**state, "issue": number})
