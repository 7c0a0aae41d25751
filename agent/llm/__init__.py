"""The Claude tool loop and its models. Light on import: names load from their modules on first use.

    from agent.llm import ToolLoop, Limits, ScriptedModel, render_task
    from agent.llm.anthropic_model import AnthropicModel   # the only module importing `anthropic`

Modules: loop (ToolLoop), limits (Limits, Stop, STATUSES), model (Model, Response, Usage,
ModelError, ModelUnavailable), fence (Fence), prompts (render_system, render_task), record
(LoopResult, store_saver), scripted (ScriptedModel and turn builders), stub_server (MessagesStub).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ToolLoop": "loop", "Limits": "limits", "Stop": "limits", "STATUSES": "limits",
    "Model": "model", "Response": "model", "Usage": "model", "ModelError": "model", "ModelUnavailable": "model",
    "Fence": "fence", "render_system": "prompts", "render_task": "prompts", "LoopResult": "record",
    "store_saver": "record", "ScriptedModel": "scripted", "MessagesStub": "stub_server",
}

__all__ = [
    "STATUSES",
    "Fence",
    "Limits",
    "LoopResult",
    "MessagesStub",
    "Model",
    "ModelError",
    "ModelUnavailable",
    "Response",
    "ScriptedModel",
    "Stop",
    "ToolLoop",
    "Usage",
    "render_system",
    "render_task",
    "store_saver",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'agent.llm' has no attribute {name!r}")
    return getattr(importlib.import_module(f"agent.llm.{_EXPORTS[name]}"), name)
