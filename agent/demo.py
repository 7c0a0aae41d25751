"""`agent demo`: the daemon against an in-process sandbox GitHub, end to end, in under a minute.

One ApraPipes-like repository, three failing runs delivered as real signed `workflow_run` webhooks:
a HIGH fix (Node 20 vs an Ubuntu 18.04 container) merged after the simulated CI passes, a MEDIUM fix
(SFML 3 → vcpkg override) left as an open pull request, and a novel failure escalated as one issue.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.config import shipped
from agent.daemon.jsonlog import JsonLog, NullStream
from agent.daemon.service import Daemon, DaemonConfig
from agent.daemon.wiring import PipelineHandler
from agent.demo_timeline import Timeline, WatchedSandbox
from agent.errors import BadInput
from agent.github import GitHub
from agent.policy import load_policy
from agent.sandbox import Sandbox
from agent.sandbox.cases import case_files, read_case, read_logs
from agent.stats import collect_stats
from agent.store import Store

REPO = "Apra-Labs/ApraPipes"
CASES_DIR = shipped("evals/cases")
FINAL = ("done", "failed", "parked")


@dataclass
class DemoRun:
    """One seeded failing run and what became of it."""

    key: str
    case: str
    expect: str
    run_id: int = 0
    workflow: str = ""
    status: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


SCENARIO = [
    DemoRun("medium", "sfml-3-component-system", "pr_open"),
    DemoRun("novel", "novel-ci-script-keyerror", "escalated"),
    DemoRun("high", "glibc-node20-old-container", "fixed"),
]
"""Seeded in this order: the HIGH case goes last so its workflow keeps its own pass predicate."""


@dataclass
class DemoReport:
    ok: bool
    seconds: float
    sandbox: str
    repo: str
    runs: list[DemoRun]
    outcomes: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    dashboard: str = ""
    """The daemon's dashboard URL (served while the demo ran)."""
    stats: dict[str, Any] = field(default_factory=dict)
    """`agent stats` of the demo's repository at the end of the run."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def case_repo(case: str) -> dict[str, bytes]:
    """A demo case's repository: the real tree it names as `repo.base` (with the maintainers' own guides,
    which diagnoses cite), its fault, its own files."""
    return case_files(CASES_DIR / case, read_case(CASES_DIR / case))


def seed(sb: Sandbox, scenario: list[DemoRun]) -> None:
    """The repository (files of the HIGH case, vcpkg.json without an SFML pin) and the three failed runs."""
    cases = {run.case: CASES_DIR / run.case for run in scenario}
    files = case_repo("glibc-node20-old-container")
    files["base/vcpkg.json"] = case_repo("sfml-3-component-system")["base/vcpkg.json"]
    sb.add_repo(REPO, files=files)
    for run in scenario:
        spec = read_case(cases[run.case])
        run.workflow = spec["run"]["workflow"]
        run.run_id = sb.add_failed_run(REPO, workflow=run.workflow, name=spec["run"].get("name"),
                                       logs=read_logs(cases[run.case]), actor=spec["run"].get("actor"),
                                       fixed_when=(spec.get("expect") or {}).get("fixed_when") or [])
    # Only the HIGH fix's workflow runs on new pushes, so the other two failures are not re-reported.
    for run in scenario:
        if run.key != "high":
            sb.add_workflow(REPO, run.workflow, events=())


def prepare_home(home: Path) -> Path:
    """Create the demo's AGENT_HOME; BadInput (one line) when it cannot be created or written."""
    if home.exists() and not home.is_dir():
        raise BadInput(f"--home {home}: not a directory")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--home {home}: cannot create it ({exc.strerror or exc})") from None
    if not os.access(home, os.W_OK | os.X_OK):
        raise BadInput(f"--home {home}: not writable")
    return home


def run_demo(home: Path, timeout: float = 60.0, log: JsonLog | None = None,
             hold: Callable[[str], None] | None = None) -> DemoReport:
    """Start the sandbox and the daemon, deliver the three webhooks, wait until all are handled."""
    prepare_home(home)
    started = time.monotonic()
    scenario = [DemoRun(r.key, r.case, r.expect) for r in SCENARIO]
    with WatchedSandbox(ci_delay=0.3) as sb:
        seed(sb, scenario)
        timeline = Timeline(scenario, REPO)
        log = log or JsonLog(stream=NullStream())
        log.subscribe(timeline.on_record)
        store, secret = Store(home / "agent.db"), secrets.token_hex(16)
        gh = GitHub(base_url=sb.url, token=sb.token)
        policy = load_policy()
        handler = PipelineHandler(gh, store, policy, verify_timeout=min(30.0, timeout), poll_interval=0.1).load()
        config = DaemonConfig(repos=[REPO], port=0, secret=secret, poll_interval=None, monitor_interval=None,
                              lease_seconds=60.0, stop_grace=5.0)
        daemon = Daemon(store, gh, handler, policy, config, log=log, on_result=timeline.on_result).start()
        try:
            sb.add_hook(REPO, daemon.receiver.url, secret, events=["workflow_run"])
            for run in scenario:
                sb.notify_run(REPO, run.run_id, "completed")
            missing = wait_handled(store, scenario, started + timeout)
            sb.wait_for_runs(REPO, timeout=5)
            stats, dashboard = collect_stats(gh, store, [REPO], "30d"), daemon.receiver.url
            if hold is not None:
                hold(dashboard)
        finally:
            daemon.stop()
        sb.wait_for_runs(REPO, timeout=5)
        timeline.finish(store, sb)
        outcomes = sandbox_outcomes(gh)
        store.close()
        report = DemoReport(False, round(time.monotonic() - started, 2), sb.url, REPO, scenario, outcomes, missing,
                            dashboard, stats)
    report.missing += unexpected(report)
    report.ok = not report.missing
    return report


def wait_handled(store: Store, scenario: list[DemoRun], deadline: float) -> list[str]:
    """Block until every run's job is final; → what is still missing at the deadline."""
    while True:
        missing = []
        for run in scenario:
            job = store.get_run(REPO, run.run_id, 1)
            if job is None or job["status"] not in FINAL:
                state = job["status"] if job else "never queued (no webhook arrived)"
                missing.append(f"{run.key} run {run.run_id} ({run.case}): {state}")
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(0.1)


def sandbox_outcomes(gh: GitHub) -> dict[str, Any]:
    """What exists in the sandbox now: merged and open pull requests, open issues (with links)."""
    pulls = gh.request("GET", f"/repos/{REPO}/pulls", {"state": "all"})[2] or []
    issues = [i for i in gh.request("GET", f"/repos/{REPO}/issues", {"state": "all"})[2] or []
              if "pull_request" not in i]
    api = f"{gh.base_url}/repos/{REPO}"

    def brief(item: dict[str, Any], kind: str) -> dict[str, Any]:
        return {"number": item["number"], "title": item["title"], "html_url": item.get("html_url"),
                "api_url": f"{api}/{kind}/{item['number']}"}

    return {
        "merged_prs": [brief(p, "pulls") for p in pulls if p.get("merged_at")],
        "open_prs": [brief(p, "pulls") for p in pulls if p.get("state") == "open"],
        "issues": [brief(i, "issues") for i in issues],
    }


def unexpected(report: DemoReport) -> list[str]:
    """Each run's status against the story, and exactly one merged PR, one open PR and one issue."""
    problems = [f"{run.key} ({run.case}) ended {run.status!r}, expected {run.expect!r}"
                for run in report.runs if run.status != run.expect]
    for key in ("merged_prs", "open_prs", "issues"):
        if len(report.outcomes.get(key, [])) != 1:
            problems.append(f"expected one of {key}, found {len(report.outcomes.get(key, []))}")
    return problems


def render(report: DemoReport) -> str:
    """The readable timeline: event → diagnosis → decision → PR / merge / issue, with the sandbox URLs."""
    lines = [f"sandbox GitHub {report.sandbox}   repository {report.repo}", ""]
    labels = {"high": "HIGH  → auto-fix", "medium": "MEDIUM → pull request", "novel": "novel → escalate"}
    for run in report.runs:
        lines.append(f"run {run.run_id}  {run.workflow}  [{labels[run.key]}]  ({run.case})")
        for event in run.events:
            lines.append(f"  +{event['t']:5.2f}s  {event['kind']:<12} {event['text']}")
            lines += [f"{'':22}root cause: {line[:110]}" for line in event.get("root_cause") or []]
            lines += [f"{'':22}{url}" for url in event.get("urls") or [] if url]
        lines.append("")
    for key, title in (("merged_prs", "merged PR"), ("open_prs", "open PR"), ("issues", "issue")):
        for item in report.outcomes.get(key, []):
            lines.append(f"{title:<10} #{item['number']} {item['title']}\n{'':11}{item['api_url']}")
    if report.stats:
        from agent.cli.stats import render as render_stats

        lines += ["", "agent stats (this run):", *(f"  {line}" for line in render_stats(report.stats).splitlines()[1:])]
    if report.dashboard:
        lines.append(f"\ndashboard  {report.dashboard}  (and {report.dashboard}metrics) — served while the demo ran")
    verdict = "all three handled" if report.ok else "NOT OK: " + "; ".join(report.missing)
    lines.append(f"\n{verdict} in {report.seconds:.1f} s")
    return "\n".join(lines)
