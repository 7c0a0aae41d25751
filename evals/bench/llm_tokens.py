"""LLM input-token bench: tokens actually sent by the tool loop, against sending the whole log.

Run: python evals/bench/llm_tokens.py [CASES_DIR] [--json]
For every eval case: triage the logs, render the task prompt, and run a scripted three-turn loop
(read the excerpt, read it again, submit) with the REAL anthropic client against the local
Messages-API stub. Tokens are counted from the request bodies the stub received (bytes / 4).
The baseline, measured in the same run, is one request carrying the whole raw log (bytes / 4).
Cost is estimated at Sonnet prices, with and without the prompt cache on the static prefix.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pydantic import Field

from agent.llm.anthropic_model import AnthropicModel
from agent.llm.loop import ToolLoop
from agent.llm.model import Usage
from agent.llm.prompts import render_task
from agent.llm.scripted import tool_use, turn
from agent.llm.stub_server import MessagesStub
from agent.triage import triage
from tools.base import ToolContext, ToolInput, make_tool
from tools.registry import Registry, load_tools

SUBMIT = {"rationale": "bench", "recommended_action": "escalate"}


class ExcerptInput(ToolInput):
    lines: int = Field(40, description="How many lines of the excerpt to return.")


def read_excerpt(args: ExcerptInput, ctx: ToolContext) -> str:
    """Return the first lines of the diagnosis excerpt (a stand-in for the read tools)."""
    return "\n".join(ctx.diagnosis.excerpt.splitlines()[: args.lines]) if ctx.diagnosis else ""


def raw_log_bytes(logs: Path) -> int:
    return sum(path.stat().st_size for path in logs.rglob("*") if path.is_file())


def measure(case: Path, stub: MessagesStub) -> dict:
    """Tokens sent for one case, from the stub's recorded bodies, and the whole-log baseline."""
    diagnosis = triage(case / "logs")
    ctx = ToolContext(repo="Apra-Labs/ApraPipes", run_id=1, diagnosis=diagnosis)
    stub.requests.clear()
    stub.reply(turn(tool_use("read_excerpt", {"lines": 40})), turn(tool_use("read_excerpt", {"lines": 10})),
               turn(tool_use("submit_plan", SUBMIT)))
    model = AnthropicModel(model="claude-bench", base_url=stub.url, api_key="bench-key-0000")
    registry = Registry([make_tool("read_excerpt", ExcerptInput, read_excerpt), *load_tools()])
    result = ToolLoop(model, registry, ctx).run(render_task(diagnosis, ctx.fence, ctx.repo, 1))
    sent = sum(len(request.body) // 4 for request in stub.requests)
    uncached = Usage(input_tokens=sent, output_tokens=result.usage.output_tokens)
    return {"case": case.name, "status": result.status, "calls": len(stub.requests), "sent_tokens": sent,
            "cache_read_tokens": result.usage.cache_read_input_tokens, "baseline_tokens": raw_log_bytes(case / "logs") // 4,
            "cost_usd": round(result.usage.cost_usd("claude-sonnet-4-5"), 5),
            "cost_usd_uncached": round(uncached.cost_usd("claude-sonnet-4-5"), 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="?", default=str(ROOT / "evals" / "cases"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cases = sorted(path for path in Path(args.cases).iterdir() if (path / "logs").is_dir())
    with MessagesStub() as stub:
        rows = [measure(case, stub) for case in cases]
    summary = {key: statistics.median(row[key] for row in rows) for key in
               ("sent_tokens", "cache_read_tokens", "baseline_tokens", "cost_usd", "cost_usd_uncached")}
    if args.json:
        print(json.dumps({"cases": len(rows), "median": summary, "results": rows}, indent=2))
        return
    for row in rows:
        print(f"{row['case'][:40]:40} {row['status']:10} sent {row['sent_tokens']:>7} (cache read "
              f"{row['cache_read_tokens']:>6})  whole log {row['baseline_tokens']:>9}  ${row['cost_usd']:.4f}")
    print(f"\n{len(rows)} cases, medians: sent {summary['sent_tokens']:.0f} tokens over 3 calls "
          f"(cache reads {summary['cache_read_tokens']:.0f}); whole-log baseline {summary['baseline_tokens']:.0f} "
          f"tokens in 1 call; cost ${summary['cost_usd']:.4f} with cache vs ${summary['cost_usd_uncached']:.4f} without")


if __name__ == "__main__":
    main()
