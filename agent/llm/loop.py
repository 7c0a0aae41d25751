"""The Claude tool-calling loop: run → step → query → dispatch, every stop an exception caught in run()."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from agent.llm.limits import Limits, Stop
from agent.llm.model import Model, ModelError, ModelUnavailable, Response, Usage, estimate_tokens
from agent.llm.prompts import render_system, with_cache_breakpoint
from agent.llm.record import LoopResult, SaveRecord, store_saver
from tools.base import ToolContext, ToolResult
from tools.registry import CACHE_CONTROL, BoundCall, Registry, ToolCallError

NOT_RUN_MALFORMED = "not run: another tool call in this turn was malformed; send the turn's calls again"
NOT_RUN_STOPPED = "not run: the run stopped ({})"


class ToolLoop:
    """Drives one model through tool calls until it submits a plan, refuses, errs or hits a bound."""

    def __init__(self, model: Model, registry: Registry, ctx: ToolContext, limits: Limits | None = None,
                 save: SaveRecord | None = None, clock: Callable[[], float] = time.monotonic,
                 run_key: str | None = None, system: str | None = None):
        self.model, self.registry, self.ctx, self.clock = model, registry, ctx, clock
        self.limits = limits or Limits()
        self.save = save or (store_saver(ctx.store) if hasattr(ctx.store, "save_llm_run") else None)
        self.id = run_key or f"llm-{uuid.uuid4().hex[:12]}"
        writes = any(tool.writes for tool in registry.tools())
        self.system = [{"type": "text", "text": system or render_system(writes=writes),
                        "cache_control": dict(CACHE_CONTROL)}]  # tools + system: the cached static prefix
        self.tools = registry.specs(cache=True)
        self.messages: list[dict[str, Any]] = []
        self.usage, self.turns, self.repairs, self.errors_in_a_row = Usage(), 0, 0, 0
        self.status, self.reason, self.started = "running", "", clock()

    def run(self, task: str, history: list[dict[str, Any]] | None = None) -> LoopResult:
        """Work on `task` (after an earlier transcript, if any); every planned stop is a result, only bugs raise."""
        self.messages = [*(history or []), {"role": "user", "content": task}]
        self.started = self.clock()
        while True:
            try:
                self.step()
            except Stop as stop:
                self.messages.extend(stop.messages)
                self.status, self.reason = stop.status, stop.reason
                break
        self.save_record()
        return self.result()

    def step(self) -> None:
        """One model call and the tool calls it asked for; the record is saved afterwards."""
        self.check_limits()
        response = self.query()
        self.messages.append({"role": "assistant", "content": response.transcript_content()})
        self.dispatch(response)
        self.save_record()

    def check_limits(self) -> None:
        """Stop before a call that would break a bound (turns, prompt tokens, cost, wall time)."""
        next_tokens = estimate_tokens(self.system, self.tools, self.messages)
        reason = self.limits.exceeded(
            self.turns, self.usage.prompt_tokens, self.cost_usd, self.clock() - self.started,
            next_tokens, Usage(input_tokens=next_tokens).cost_usd(self.model.name))
        if reason:
            raise Stop("limit_reached", reason)

    def query(self) -> Response:
        """Ask the model for the next turn and count what it cost."""
        self.turns += 1
        try:
            response = self.model.complete(self.system, with_cache_breakpoint(self.messages), self.tools)
        except ModelUnavailable as error:
            raise Stop("model_unavailable", str(error)) from error
        except ModelError as error:
            raise Stop("model_error", str(error)) from error
        self.usage.add(response.usage)
        return response

    def dispatch(self, response: Response) -> None:
        """Run the turn's tool calls and append their results; stop if the turn ends the run."""
        calls = response.tool_calls
        if response.stop_reason == "refusal":
            raise Stop("refused", "the model refused the turn; none of its tool calls ran",
                       self.not_run(calls, "refused"))
        if not calls:
            raise Stop("answered", "the model ended its turn without calling a tool")
        bound, problems = self.validate(calls)
        if problems:
            return self.repair(calls, problems)
        results = [self.registry.execute(call, self.ctx) for call in bound]
        message = results_message(calls, results)
        self.errors_in_a_row = next_error_streak(self.errors_in_a_row, results)
        if self.ctx.plan.submitted:
            raise Stop("submitted", "the model submitted its plan", [message])
        if self.errors_in_a_row >= self.limits.max_consecutive_errors:
            raise Stop("needs_human", f"{self.errors_in_a_row} tool errors in a row", [message])
        self.messages.append(message)

    def validate(self, calls: list[dict[str, Any]]) -> tuple[list[BoundCall], dict[str, str]]:
        """Every call checked before any runs: (valid calls, problem per malformed call id)."""
        bound, problems = [], {}
        for call in calls:
            try:
                bound.append(self.registry.parse(call.get("name", ""), call.get("input")))
            except ToolCallError as error:
                problems[call["id"]] = self.ctx.fence.wrap(str(error), source="tool_call_error")
        return bound, problems

    def repair(self, calls: list[dict[str, Any]], problems: dict[str, str]) -> None:
        """A turn with a malformed call runs nothing; the model may repair it once (fault #16)."""
        self.repairs += 1
        results = [ToolResult(problems.get(call["id"], NOT_RUN_MALFORMED), True) for call in calls]
        message = results_message(calls, results)
        if self.repairs > self.limits.max_repairs:
            raise Stop("needs_human", f"malformed tool calls after {self.limits.max_repairs} repair(s)", [message])
        self.messages.append(message)

    def not_run(self, calls: list[dict[str, Any]], why: str) -> list[dict[str, Any]]:
        """Results for calls that will never run, so the transcript stays valid for a later turn."""
        results = [ToolResult(NOT_RUN_STOPPED.format(why), True) for _ in calls]
        return [results_message(calls, results)] if calls else []

    @property
    def cost_usd(self) -> float:
        return self.usage.cost_usd(self.model.name)

    def result(self) -> LoopResult:
        return LoopResult(self.id, self.status, self.reason, self.messages, self.usage, self.cost_usd,
                          self.turns, self.ctx.plan, dict(self.ctx.fence.findings))

    def save_record(self) -> None:
        if self.save is not None:
            self.save(self.result().record(self.ctx.repo, self.ctx.run_id, self.ctx.run_attempt, self.model.name))


def results_message(calls: list[dict[str, Any]], results: list[ToolResult]) -> dict[str, Any]:
    """One user message with a tool_result block per call, in the calls' order."""
    return {"role": "user", "content": [result.block(call["id"]) for call, result in zip(calls, results)]}


def next_error_streak(streak: int, results: list[ToolResult]) -> int:
    """Consecutive is_error results so far; a success resets the count."""
    for result in results:
        streak = streak + 1 if result.is_error else 0
    return streak
