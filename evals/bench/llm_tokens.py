"""Benchmark: input tokens per LLM analysis on the eval cases, as the real `anthropic` SDK sends them.

    python -m evals.bench.llm_tokens [CASES_DIR] [--limit N] [--json]

Each case is loaded into the sandbox with a green run of its workflow before the failed one. The
tool loop then drives AnthropicModel (the real SDK, over HTTP) against the local Messages-API stub
with one scripted sequence per case: a first turn calling read_log (tail of the failed step),
diff_against_last_green and search_guides (the first root-cause line) together, then a turn with
propose_issue + submit_plan. Tokens are counted from the request bodies the stub received
(bytes / 4, the stub's own usage rule), summed over the analysis's requests; "billed" weighs the
stub's reported cache writes at 1.25 and cache reads at 0.1, as the API prices them. Baseline in the same run: the same sequence, with the task carrying the whole
failed-step log instead of the failure window. Goal: median ≤ 12k input tokens per analysis.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from agent.github import GitHub
from agent.knowledge import load_known_issues
from agent.llm.anthropic_model import AnthropicModel
from agent.llm.handoff import diagnose, task_for, tool_context
from agent.llm.loop import ToolLoop
from agent.llm.scripted import tool_use, turn
from agent.llm.stub_server import MessagesStub
from agent.models import Diagnosis
from agent.policy import Policy
from agent.rag import Index, guide_source
from agent.sandbox import Sandbox, runlogs
from tools.registry import Registry
from tools.runcache import failure_of
from tools.search_guides import ModeIndex

GOAL_MEDIAN = 12_000
DEFAULT_CASES = Path(__file__).resolve().parents[1] / "cases"


def seed(sb: Sandbox, case_dir: Path) -> tuple[str, int]:
    """The case's repo, a green run of its workflow, then the case's failed run again. → (repo, run id)."""
    full_name, first = sb.load_case(case_dir)
    with sb.lock:
        run = sb.repo(full_name).runs[first]
        logs, path, name, event, branch = dict(run.latest.logs), run.path, run.name, run.event, run.head_branch
    jobs = [(job.name, [step.name for step in job.steps]) for job in runlogs.parse_layout(logs)]
    green = sb.add_failed_run(full_name, path, name=name, logs=runlogs.green_logs(jobs), event=event,
                              head_branch=branch)
    sb.mark_succeeded(full_name, green)
    return full_name, sb.add_failed_run(full_name, path, name=name, logs=logs, event=event, head_branch=branch)


def script(diagnosis: Diagnosis) -> list[dict[str, Any]]:
    """read_log + diff_against_last_green + search_guides in one turn, then propose_issue + submit_plan."""
    query = (diagnosis.root_cause_lines or [diagnosis.title or diagnosis.category.value])[0][:500]
    issue = {"title": diagnosis.title or "CI failure", "body": "Root cause as quoted above; needs an engineer."}
    submit = {"rationale": f"Quoted root cause: {query[:200]}", "recommended_action": "escalate"}
    reads = [tool_use("read_log", {"tail": True, "count": 60}), tool_use("diff_against_last_green", {}),
             tool_use("search_guides", {"query": query, "k": 3})]
    return [turn(*reads), turn(tool_use("propose_issue", issue), tool_use("submit_plan", submit))]


def whole_failed_steps(ctx) -> str:
    """Every line of the failed steps: what a prompt without a failure window would carry."""
    steps = failure_of(ctx).failed
    return "\n".join(line.text for step in steps for line in step.lines)


def analyse(sb: Sandbox, stub: MessagesStub, model: AnthropicModel, case_dir: Path, index: Any, kb: Any,
            baseline: bool) -> dict[str, Any]:
    """One analysis of one case; tokens from the bodies the stub received for it."""
    full_name, run_id = seed(sb, case_dir)
    ctx = tool_context(GitHub(base_url=sb.url, token=sb.token), full_name, run_id, kb=kb, index=index, policy=Policy())
    diagnosis = diagnose(ctx)
    if baseline:
        diagnosis = diagnosis.model_copy(update={"excerpt": whole_failed_steps(ctx)})
    stub.reply(*script(diagnosis))
    before = len(stub.requests)
    result = ToolLoop(model, Registry(), ctx).run(task_for(diagnosis, ctx))
    bodies = [request.body for request in stub.requests[before:]]
    return {"case": case_dir.name, "status": result.status, "requests": len(bodies),
            "tokens": sum(len(body) // 4 for body in bodies), "billed": round(billed(result.usage))}


def billed(usage: Any) -> float:
    """Input tokens weighted as priced: cache writes 1.25x, cache reads 0.1x."""
    return usage.input_tokens + 1.25 * usage.cache_creation_input_tokens + 0.1 * usage.cache_read_input_tokens


def percentile(values: list[int], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tokens = [row["tokens"] for row in rows]
    return {"analyses": len(rows), "submitted": sum(row["status"] == "submitted" for row in rows),
            "median": statistics.median(tokens) if tokens else 0, "p90": percentile(tokens, 0.9),
            "max": max(tokens, default=0), "median_billed": statistics.median([r["billed"] for r in rows] or [0])}


def run_bench(cases: list[Path]) -> dict[str, Any]:
    """Both variants over every case, each case in its own sandbox repo state."""
    kb = load_known_issues()
    work = Path(tempfile.mkdtemp(prefix="llm-tokens-"))
    os.environ["AGENT_HOME"] = str(work)
    index = Index(work / "index")
    index.build([guide_source()], vectors=False)
    results: dict[str, list[dict[str, Any]]] = {"window": [], "whole_step": []}
    with MessagesStub() as stub:
        model = AnthropicModel(base_url=stub.url, api_key="stub-key", max_retries=0)
        for case_dir in cases:
            for variant, rows in results.items():
                with Sandbox(ci_delay=0.01) as sb:
                    rows.append(analyse(sb, stub, model, case_dir, ModeIndex(index, "bm25"), kb,
                                        baseline=variant == "whole_step"))
    return {"cases": len(cases), "window": summary(results["window"]), "whole_step": summary(results["whole_step"]),
            "rows": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="?", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--limit", type=int, default=0, help="only the first N cases")
    parser.add_argument("--json", action="store_true", help="print every figure as one JSON object")
    args = parser.parse_args()
    cases = sorted(path.parent for path in args.cases.glob("*/case.yaml"))[:args.limit or None]
    report = run_bench(cases)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    window, whole = report["window"], report["whole_step"]
    print(f"cases: {report['cases']}  (2 requests per analysis; tokens = request bytes / 4, summed)")
    for label, figures in (("failure window (agent)", window), ("whole failed-step log", whole)):
        print(f"{label:<24}: median {figures['median']:>8,.0f}  p90 {figures['p90']:>8,.0f}  max {figures['max']:>8,}"
              f"  billed median {figures['median_billed']:>7,.0f}  submitted {figures['submitted']}/{figures['analyses']}")
    saving = 1 - window["median"] / whole["median"] if whole["median"] else 0
    met = "met" if window["median"] <= GOAL_MEDIAN else "NOT met"
    print(f"median saving vs whole step: {saving:.0%}; goal median <= {GOAL_MEDIAN:,}: {met}")


if __name__ == "__main__":
    main()
