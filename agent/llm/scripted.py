"""ScriptedModel: a Model that plays back Anthropic-shaped turns and records every request it saw.

A turn is a dict shaped like a Messages API response body (`content`, `stop_reason`, optional
`usage`), or a callable taking the request and returning one. Build turns with the helpers below:

    ScriptedModel([turn(tool_use("submit_plan", {"rationale": "...", "recommended_action": "escalate"}))])

The stub server (agent/llm/stub_server.py) serves the same turns over HTTP.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Iterable
from typing import Any

from agent.llm.model import ModelUnavailable, Response, Usage, estimate_tokens

Turn = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]
_ids = itertools.count(1)


def tool_use(name: str, input: Any, id: str | None = None) -> dict[str, Any]:
    """A `tool_use` content block (input may be any JSON value, or a raw string to test bad JSON)."""
    return {"type": "tool_use", "id": id or f"toolu_{next(_ids):06d}", "name": name, "input": input}


def text(value: str) -> dict[str, Any]:
    """A `text` content block."""
    return {"type": "text", "text": value}


def turn(*blocks: dict[str, Any], stop_reason: str | None = None, usage: dict[str, int] | None = None) -> dict[str, Any]:
    """A response body; stop_reason defaults to tool_use when a block calls a tool, else end_turn."""
    calls = any(block["type"] == "tool_use" for block in blocks)
    body: dict[str, Any] = {"content": list(blocks), "stop_reason": stop_reason or ("tool_use" if calls else "end_turn")}
    if usage is not None:
        body["usage"] = usage
    return body


def refusal(*blocks: dict[str, Any]) -> dict[str, Any]:
    """A refused turn (stop_reason "refusal"), possibly with partial blocks the loop must not run."""
    return turn(*blocks, stop_reason="refusal")


def message_body(body: dict[str, Any], request: dict[str, Any], model: str) -> dict[str, Any]:
    """A full Messages API response for a scripted turn; usage defaults to len(request JSON)/4."""
    content = body["content"]
    usage = {"input_tokens": estimate_tokens(request), "output_tokens": estimate_tokens(content),
             "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, **body.get("usage", {})}
    return {"id": f"msg_{next(_ids):06d}", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": body["stop_reason"], "stop_sequence": None, "usage": usage}


class ScriptedModel:
    """Plays `turns` in order; raises ModelUnavailable when the script runs out."""

    def __init__(self, turns: Iterable[Turn], name: str = "scripted"):
        self.turns: list[Turn] = list(turns)
        self.name = name
        self.requests: list[dict[str, Any]] = []
        """Every request, deep-copied as sent: {system, messages, tools}."""

    def complete(self, system: list[dict[str, Any]], messages: list[dict[str, Any]],
                 tools: list[dict[str, Any]]) -> Response:
        request = copy.deepcopy({"system": system, "messages": messages, "tools": tools})
        self.requests.append(request)
        if not self.turns:
            raise ModelUnavailable("the scripted model has no turns left")
        step = self.turns.pop(0)
        body = message_body(step(request) if callable(step) else step, request, self.name)
        return Response(copy.deepcopy(body["content"]), body["stop_reason"], Usage.from_api(body["usage"]),
                        self.name, body["id"])

    @property
    def sent_text(self) -> list[str]:
        """Each request as the JSON text a wire client would send (for assertions on exact prompt text)."""
        return [json.dumps(request, ensure_ascii=False) for request in self.requests]
