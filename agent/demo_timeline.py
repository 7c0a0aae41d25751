"""The demo's timeline: every event of each run with the time it happened, CI runs included."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agent.daemon.worker import describe_result
from agent.sandbox import Sandbox
from agent.store import Store

if TYPE_CHECKING:
    from agent.demo import DemoRun

TELLING = re.compile(r"error|not found|unsupported", re.IGNORECASE)


class WatchedSandbox(Sandbox):
    """The sandbox, noting when each run changes status (GitHub's timestamps have whole seconds only)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.transitions: list[tuple[float, int, str]] = []
        """(epoch seconds, run id, action: requested | in_progress | completed), in order."""

    def notify_run(self, full_name: Any, run_id: int, action: str = "completed") -> None:
        self.transitions.append((time.time(), int(run_id), action))
        super().notify_run(full_name, run_id, action)


class Timeline:
    """Each run's story, every event stamped with when it happened (seconds from the start), in order.

    Webhooks and job starts come live from the daemon's log; diagnosis, decision and the executor's
    actions are stamped with the store's times once the run is handled; CI runs of the workflow on
    the fix branch come from the sandbox, so a merge visibly waits for its CI to pass.
    """

    def __init__(self, runs: list[DemoRun], repo: str):
        self.repo = repo
        self.by_id = {run.run_id: run for run in runs}
        self.started = time.time()
        self.results: dict[int, Any] = {}

    def at(self, moment: float | str | None = None) -> float:
        """Seconds since the start of `moment` (epoch seconds, an ISO time, or None: now)."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment).timestamp()
        return round((time.time() if moment is None else moment) - self.started, 3)

    def add(self, run: DemoRun, kind: str, text: str, when: float | str | None = None, **extra: Any) -> None:
        run.events.append({"t": self.at(when), "kind": kind, "text": text, **extra})

    def on_record(self, record: dict[str, Any]) -> None:
        run = self.by_id.get(record.get("run_id")) if record.get("repo") == self.repo else None
        if run is None:
            return
        if record["event"] == "delivery":
            self.add(run, "webhook", f"workflow_run {record.get('action')} ({record.get('conclusion')}) "
                                     f"signed delivery {str(record.get('delivery'))[:8]}… → {record.get('status')}")
        elif record["event"] == "job started":
            self.add(run, "worker", f"job {record.get('job')} leased: logs → triage → plan → gate → executor")
        elif record["event"] == "job failed":
            self.add(run, "error", record.get("error", ""))

    def on_result(self, job: dict[str, Any], result: Any) -> None:
        run = self.by_id.get(job["run_id"]) if job["repo"] == self.repo else None
        if run is None or result is None:
            return
        summary = describe_result(result)
        self.results[run.run_id] = result
        run.status = summary["status"]
        self.add(run, "outcome", f"{summary['status']}", urls=summary["urls"] or [])

    def finish(self, store: Store, sb: WatchedSandbox) -> None:
        """Add what each handled run's pipeline did (the store's times) and its fix branch's CI; sort."""
        for run_id, result in self.results.items():
            run = self.by_id[run_id]
            self.add_judgement(run, result, store)
            actions = store.actions(repo=self.repo, run_id=run_id)
            for action in actions:
                self.add(run, action["kind"], f"{action['kind']} {action['status']}"
                         + (f" → {action['ref']}" if action.get("ref") else ""), when=action["created_at"],
                         ref=action.get("ref"), status=action["status"], done_t=self.at(action["updated_at"]))
            branches = {a["ref"] for a in actions if a["kind"] == "branch" and a.get("ref")}
            commits = [a["ref"] for a in actions if a["kind"] == "commit" and a.get("ref")]
            self.add_ci(run, sb, branches, commits[-1] if commits else None)
            run.events.sort(key=lambda event: (event["t"], event["kind"] == "outcome"))

    def add_judgement(self, run: DemoRun, result: Any, store: Store) -> None:
        """The diagnosis and the gate's decision, when the store recorded them."""
        summary = describe_result(result)
        stored = store.row("SELECT created_at FROM diagnoses WHERE repo = ? AND run_id = ? ORDER BY run_attempt DESC",
                           (self.repo, run.run_id))
        known = f" · known issue {summary['known_issue']} ({summary['confidence']:.2f})" if summary["known_issue"] else ""
        self.add(run, "diagnosis", f"{summary['category']}{known}", when=stored["created_at"] if stored else None,
                 root_cause=telling_line(result.diagnosis))
        plan = getattr(result, "plan", None)
        decided = store.decisions(plan.id) if plan is not None else []
        decision = summary["decision"] or {}
        self.add(run, "decision", f"{decision.get('decision', '-')} {summary['action'] or ''} "
                                  f"(rule {decision.get('rule', '-')})".strip(),
                 when=decided[0]["at"] if decided else None)

    def add_ci(self, run: DemoRun, sb: WatchedSandbox, branches: set[str], fix_sha: str | None) -> None:
        """Runs of this run's workflow on its fix branch: when queued, how they concluded, how long it took."""
        for ci in sorted(sb.runs(self.repo), key=lambda found: found["id"]):
            if ci["head_branch"] not in branches or ci["path"] != run.workflow:
                continue
            times = {action: moment for moment, run_id, action in sb.transitions if run_id == ci["id"]}
            which = "the fix" if ci["head_sha"] == fix_sha else "before the fix"
            where = f"run {ci['id']} {ci['name']} on {ci['head_branch']} ({ci['event']} @ {ci['head_sha'][:7]}, {which})"
            facts = {"ci_run": ci["id"], "branch": ci["head_branch"], "head_sha": ci["head_sha"]}
            self.add(run, "ci", f"{where} queued", when=times.get("requested"), phase="queued", **facts)
            if "completed" in times:
                took = times["completed"] - times.get("requested", times["completed"])
                self.add(run, "ci", f"run {ci['id']} queued → {ci['conclusion']} ({took:.2f} s)",
                         when=times["completed"], phase="completed", conclusion=ci["conclusion"], **facts)


def telling_line(diagnosis: Any) -> list[str]:
    """The root-cause line that says the most (an error over a traceback header), as a 0/1 list."""
    lines = list(getattr(diagnosis, "root_cause_lines", None) or [])
    errors = [line for line in lines if TELLING.search(line)]
    return (errors or lines)[:1]
