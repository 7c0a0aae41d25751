"""The model the agent uses when one is configured: Claude when ANTHROPIC_API_KEY is set, else none."""

from __future__ import annotations

import os


def model_from_env(model_url: str | None = None, model_name: str | None = None):
    """AnthropicModel when ANTHROPIC_API_KEY is set (base URL: `model_url` or $ANTHROPIC_BASE_URL), else None."""
    if not os.environ.get("ANTHROPIC_API_KEY"):
        return None
    from agent.llm.anthropic_model import AnthropicModel

    return AnthropicModel(model=model_name, base_url=model_url or os.environ.get("ANTHROPIC_BASE_URL") or None)
