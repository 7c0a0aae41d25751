"""Benchmark: known issues that grow from human fixes, replayed on a six-week sandbox history.

    python -m evals.bench.kb_growth [--json]

The history (written by hand below, not derived from the agent): eight kinds of failure in one
ApraPipes-shaped repository, each run with its own paths, line numbers and timestamps. Every run goes
through the real pipeline (triage → escalate: the known-issue DB is empty). Five kinds are fixed by
humans at the end of a week, by a commit or a merged pull request saying `Fixes #N`: three with
changes of a template's shape (container image, action major, vcpkg dependency), two with other
changes (a source edit, a workflow step). At the end of each week the daemon's weekly pass
(`learn_from_fixes`) proposes entries. Later runs repeat fixed and unfixed kinds, including a kind
sharing lines with a fixed one. Printed: entries proposed per week, then per entry its precision on
the later runs (matches that are truly the same kind / all matches) and recall (later runs of the kind
it matched), next to a naive baseline measured on the same runs: the whole first root-cause line as a
literal pattern. Finally `kb test --against-history` for every proposal on the final store.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import re2

from agent.knowledge.learning import against_history, stored_lines
from agent.knowledge.loader import parse_known_issues
from agent.knowledge.patterns import literal_pattern
from agent.knowledge.proposals import read_proposal
from agent.knowledge.weekly import learn_from_fixes
from agent.sandbox import Sandbox
from agent.store import Store
from evals.bench.kb_growth_history import KINDS, REPO, WEEKS, Fix, Kind, repo_files
from evals.synth import StepSpec, run_layout

EMPTY_DB = "version: 1\nissues: []\n"


def failed_run(sb: Sandbox, kind: Kind, rng: random.Random) -> int:
    """A failed run of the kind (weeks are the replay's order: the policy ignores back-dated runs)."""
    steps = {"build": [StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4"),
                       StepSpec(name=kind.step, command="cmake --build build", lines=kind.lines(rng),
                                noise=rng.randint(20, 80), failed=True)]}
    logs = run_layout(steps, workflow=kind.workflow, seed=rng.randint(1, 10**6))
    return sb.add_failed_run(REPO, workflow=kind.workflow, logs=logs)


def human_fix(sb: Sandbox, gh: Any, fix: Fix, number: int) -> None:
    """The human's change with `Fixes #N` (a commit on main, or a merged pull request); the issue then closes."""
    text = sb.file_text(REPO, fix.path)
    changed = text.replace(fix.old, fix.new, 1)
    if not fix.pull:
        sb.commit_file(REPO, "main", fix.path, changed, message=f"{fix.message}\n\nFixes #{number}", author="alice")
    else:
        branch = f"alice/fix-{number}"
        sb.repo(REPO).branches[branch] = sb.repo(REPO).branches["main"]
        sb.commit_file(REPO, branch, fix.path, changed, message=fix.message, author="alice")
        pull = gh.create_pull(REPO, branch, "main", fix.message, f"Fixes #{number}")
        gh.request("PUT", f"/repos/{REPO}/pulls/{pull['number']}/merge", body={"sha": sb.repo(REPO).branches[branch]})
    gh.request("PATCH", f"/repos/{REPO}/issues/{number}", body={"state": "closed"})


@dataclass
class History:
    """What the replay recorded: each run's week, kind and id; each kind's first issue; proposals per week."""

    runs: list[tuple[int, str, int]]
    issue_kind: dict[int, str]
    proposed: list[tuple[int, str]]
    fixed: list[tuple[int, str, str]]
    skipped: dict[str, str]
    """Fixed kinds the weekly pass did not learn from, and why."""


def replay(home: Path, seed: int) -> History:
    """Run the six weeks against the sandbox: every failure through the pipeline, fixes, weekly passes."""
    from agent.github import GitHub
    from agent.knowledge import load_known_issues
    from agent.pipeline import Pipeline
    from agent.policy import load_policy

    rng, history = random.Random(seed), History([], {}, [], [], {})
    with Sandbox(ci_delay=0.05) as sb:
        sb.add_repo(REPO, files=repo_files())
        gh, store = GitHub(base_url=sb.url, token=sb.token), Store(home / "agent.db")
        pipeline = Pipeline(gh, store, load_policy(), kb=load_known_issues(), verify_timeout=5, poll_interval=0.05)
        issue_of: dict[str, int] = {}
        for week, (names, fixes) in enumerate(WEEKS, start=1):
            for name in names:
                run_id = failed_run(sb, KINDS[name], rng)
                result = pipeline.handle_run(REPO, run_id)
                assert result.urls, f"run {run_id} ({name}): {result.status} {result.reason}"
                number = int(result.urls[0].rstrip("/").rsplit("/", 1)[-1])
                issue_of.setdefault(name, number)
                history.issue_kind.setdefault(number, name)
                history.runs.append((week, name, run_id))
            for name in fixes:
                human_fix(sb, gh, KINDS[name].fix, issue_of[name])
                history.fixed.append((week, name, KINDS[name].fix.shape))
            summary = learn_from_fixes(gh, store, REPO)
            history.proposed += [(week, pid) for pid in summary["proposed"]]
            history.skipped.update({history.issue_kind[int(n)]: why for n, why in summary["skipped"].items()
                                    if history.issue_kind.get(int(n)) in {name for _, name, _ in history.fixed}})
        sb.wait_for_runs(REPO, timeout=10)
    return history


def score(patterns: list[str], how: str, kind: str, after_week: int, history: History, lines_of: dict) -> dict:
    """Matches of the patterns on runs after `after_week`: true (same kind) and false, recall of the kind."""
    compiled = [re2.compile(p) for p in patterns]
    true = false = later_same = 0
    for week, name, run_id in history.runs:
        if week <= after_week:
            continue
        hits = [any(rx.search(line) for line in lines_of[run_id]) for rx in compiled]
        matched = all(hits) if how == "all" else any(hits)
        later_same += name == kind
        true += matched and name == kind
        false += matched and name != kind
    return {"true": true, "false": false, "later_runs_of_kind": later_same,
            "precision": round(true / (true + false), 3) if true + false else None,
            "recall": round(true / later_same, 3) if later_same else None}


def measure(home: Path, history: History) -> dict[str, Any]:
    """Per proposal and per naive baseline: precision and recall on later runs; kb test against history."""
    store = Store(home / "agent.db")
    rows = store.rows("SELECT run_id, signature, diagnosis FROM diagnoses")
    lines_of = {r["run_id"]: stored_lines(r["diagnosis"]) for r in rows}
    root_of = {r["run_id"]: r["diagnosis"]["root_cause_lines"] for r in rows}
    kind_of_run = {run_id: name for _, name, run_id in history.runs}
    entries = []
    for week, pid in history.proposed:
        proposal = read_proposal(pid)
        kind, entry = history.issue_kind[proposal["issue"]], proposal["entry"]
        issue = parse_known_issues({"version": 1, "issues": [entry]}).issues[0]
        checked = against_history(issue.id, issue, store, old=None)
        first_run = next(run_id for _, name, run_id in history.runs if name == kind)
        naive = [literal_pattern(root_of[first_run][0])]
        entries.append({
            "week": week, "id": pid, "kind": kind, "shape": KINDS[kind].fix.shape,
            "proposed_fix": entry.get("fix", {}).get("template", "diff"), "patterns": entry["patterns"],
            "learned": score(entry["patterns"], entry["match"], kind, week, history, lines_of),
            "naive": score(naive, "any", kind, week, history, lines_of),
            "kb_test_pass": all(kind_of_run.get(r["run_id"]) == kind for r in checked["newly_matching"])
                            and not checked["stop_matching"]})
    return {"weeks": len(WEEKS), "runs": len(history.runs), "fixed": history.fixed, "not_learned": history.skipped,
            "proposed_per_week": [sum(1 for w, _ in history.proposed if w == week) for week in range(1, len(WEEKS) + 1)],
            "entries": entries, "totals": totals(entries)}


def totals(entries: list[dict]) -> dict[str, Any]:
    out = {}
    for side in ("learned", "naive"):
        true = sum(e[side]["true"] for e in entries)
        false = sum(e[side]["false"] for e in entries)
        later = sum(e[side]["later_runs_of_kind"] for e in entries)
        out[side] = {"true": true, "false": false, "precision": round(true / (true + false), 3) if true + false else None,
                     "recall": round(true / later, 3) if later else None}
    out["fix_as_human_shape"] = sum(e["proposed_fix"] == (e["shape"] if e["shape"] != "other" else "diff")
                                    for e in entries)
    out["kb_test_pass"] = sum(e["kb_test_pass"] for e in entries)
    return out


def render(report: dict[str, Any]) -> str:
    t = report["totals"]
    lines = [f"{report['runs']} failed runs over {report['weeks']} weeks; humans fixed {len(report['fixed'])} kinds",
             "entries proposed per week: " + " ".join(str(n) for n in report["proposed_per_week"]) +
             f"  (total {sum(report['proposed_per_week'])}, {sum(report['proposed_per_week']) / report['weeks']:.2f}/week)",
             f"{'week':>4} {'kind':<14} {'human fix':<21} {'proposed':<21} {'learned P/R':>13} {'naive P/R':>13}  kb test"]
    for e in report["entries"]:
        lp, np_ = e["learned"], e["naive"]
        lines.append(f"{e['week']:>4} {e['kind']:<14} {e['shape']:<21} {e['proposed_fix']:<21} "
                     f"{_pr(lp):>13} {_pr(np_):>13}  {'pass' if e['kb_test_pass'] else 'FAIL'}")
    lines += [f"not learned: {kind}: {why}" for kind, why in report["not_learned"].items()]
    lines.append("all later runs: " + _summary(t, len(report["entries"])))
    return "\n".join(lines)


def _summary(t: dict, entries: int) -> str:
    learned, naive = t["learned"], t["naive"]
    return (f"learned precision {learned['precision']} recall {learned['recall']} ({learned['true']} true, "
            f"{learned['false']} false); naive precision {naive['precision']} recall {naive['recall']} "
            f"({naive['true']} true, {naive['false']} false); proposed fix = the human's shape "
            f"{t['fix_as_human_shape']}/{entries}; kb test --against-history pass {t['kb_test_pass']}/{entries}")


def _pr(side: dict) -> str:
    p, r = side["precision"], side["recall"]
    return f"{'-' if p is None else f'{p:.2f}'}/{'-' if r is None else f'{r:.2f}'}"


def run_seed(seed: int) -> dict[str, Any]:
    """One replay in a fresh AGENT_HOME whose known-issue DB is empty."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "guides").mkdir()
        (home / "guides" / "known-issues.yaml").write_text(EMPTY_DB, encoding="utf-8")
        os.environ.update({"AGENT_HOME": str(home), "AGENT_GUIDES": str(home / "guides")})
        return {"seed": seed, **measure(home, replay(home, seed))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=17, help="the first seed (paths, line numbers, noise)")
    parser.add_argument("--seeds", type=int, default=5, help="replays with seeds seed, seed+1, …")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    reports = [run_seed(args.seed + n) for n in range(max(1, args.seeds))]
    pooled = totals([e for r in reports for e in r["entries"]])
    if args.json:
        print(json.dumps({"replays": reports, "pooled": pooled}, indent=2))
        return
    print(render(reports[0]))
    for r in reports[1:]:
        print(f"seed {r['seed']}: per week {r['proposed_per_week']}, " + _summary(r["totals"], len(r["entries"])))
    print(f"pooled over {len(reports)} replays: " + _summary(pooled, sum(len(r["entries"]) for r in reports)))


if __name__ == "__main__":
    main()
