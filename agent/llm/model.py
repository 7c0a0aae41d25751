"""The model protocol every backend implements, its Anthropic-shaped response, usage and price."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from agent.errors import AgentError

PRICES_PER_MTOK = {
    "claude-opus-4": (15.0, 75.0), "claude-opus-4-1": (15.0, 75.0), "claude-opus-4-5": (5.0, 25.0),
    "claude-sonnet-4": (3.0, 15.0), "claude-sonnet-4-5": (3.0, 15.0), "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-opus": (15.0, 75.0), "claude-sonnet": (3.0, 15.0), "claude-haiku": (1.0, 5.0),
}
"""USD per million (input, output) tokens, longest prefix wins; an unlisted model of a family gets the
family's highest price, so budgets err on the safe side. Cache writes cost 1.25x input, reads 0.1x."""
DEFAULT_PRICE = (3.0, 15.0)
"""For a model not in the table (scripted, stub, unknown): Sonnet's price, so budgets still bind."""


class ModelError(AgentError):
    """The model backend rejected the request (bad request, authentication): retrying will not help."""


class ModelUnavailable(ModelError):
    """The model stayed unavailable (429/529/5xx/timeout) after the retries: the job stays pending."""


@dataclass
class Usage:
    """Token counts as the Messages API reports them, summed over calls."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @classmethod
    def from_api(cls, raw: Any) -> Usage:
        """From an API `usage` object or dict (missing or null counts are 0)."""
        get = raw.get if isinstance(raw, dict) else (lambda key: getattr(raw, key, 0))
        return cls(*(int(get(name) or 0) for name in ("input_tokens", "output_tokens",
                                                      "cache_creation_input_tokens", "cache_read_input_tokens")))

    @property
    def prompt_tokens(self) -> int:
        """Every input token the model processed, cached or not (what the input budget counts)."""
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    def add(self, other: Usage) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def cost_usd(self, model: str) -> float:
        """The estimated price of these tokens on `model`."""
        input_price, output_price = price_of(model)
        weighted = (self.input_tokens + 1.25 * self.cache_creation_input_tokens
                    + 0.1 * self.cache_read_input_tokens) * input_price + self.output_tokens * output_price
        return weighted / 1_000_000


def price_of(model: str) -> tuple[float, float]:
    """(input, output) USD per MTok for a model id, matching dated ids by prefix."""
    matches = [key for key in PRICES_PER_MTOK if model.startswith(key)]
    return PRICES_PER_MTOK[max(matches, key=len)] if matches else DEFAULT_PRICE


@dataclass
class Response:
    """One assistant turn, Anthropic-shaped: content blocks as plain dicts, a stop reason and usage."""

    content: list[dict[str, Any]]
    stop_reason: str | None
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    id: str = ""

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The `tool_use` blocks, in order."""
        return [block for block in self.content if block.get("type") == "tool_use"]

    def transcript_content(self) -> list[dict[str, Any]]:
        """The blocks as the API accepts them back: a tool input that is not an object becomes {}."""
        return [{**block, "input": {}} if block.get("type") == "tool_use" and not isinstance(block.get("input"), dict)
                else block for block in self.content]

    @property
    def text(self) -> str:
        return "\n".join(block.get("text", "") for block in self.content if block.get("type") == "text")


class Model(Protocol):
    """A Messages-API backend: one assistant turn for a system prompt, messages and tool specs."""

    name: str

    def complete(self, system: list[dict[str, Any]], messages: list[dict[str, Any]],
                 tools: list[dict[str, Any]]) -> Response: ...


def estimate_tokens(*parts: Any) -> int:
    """A rough token count of JSON-able parts: characters of their JSON / 4 (what the stub reports)."""
    return sum(len(json.dumps(part, ensure_ascii=False, default=str)) for part in parts) // 4
