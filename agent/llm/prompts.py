"""Render the Jinja prompts in prompts/ (StrictUndefined), fencing untrusted values; mark prompt-cache breakpoints."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import jinja2

from agent.config import prompts_dir
from agent.llm.fence import Fence
from agent.models import Diagnosis


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The prompts' Jinja environment: a missing variable is an error, nothing is HTML-escaped."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(prompts_dir())), undefined=jinja2.StrictUndefined,
        autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


def render(name: str, **values: Any) -> str:
    """Render prompts/<name> with `values`."""
    return environment().get_template(name).render(**values).strip() + "\n"


def render_system(writes: bool = True) -> str:
    """The static system prompt (identical across runs, so it caches); `writes` offers staging tools."""
    return render("system.md.j2", writes=writes)


def render_task(diagnosis: Diagnosis, fence: Fence, repo: str = "", run_id: int | None = None,
                run_attempt: int = 1, untrusted: Mapping[str, str] | None = None) -> str:
    """The first user message: the diagnosis with every log-derived value fenced by `fence`."""
    steps = "\n".join(f"{step.job} / {step.step}" for step in diagnosis.failed_steps)
    return render(
        "task.md.j2", d=diagnosis, repo=repo, run_id=run_id, run_attempt=run_attempt, tag=fence.tag,
        root_cause=fence.wrap("\n".join(diagnosis.root_cause_lines), "root_cause_lines")
        if diagnosis.root_cause_lines else "",
        failed_steps=fence.wrap(steps, "failed_steps") if steps else "",
        excerpt=fence.wrap(diagnosis.excerpt, "log_excerpt") if diagnosis.excerpt else "",
        fix_params=fence.wrap(json.dumps(diagnosis.fix.params, sort_keys=True), "fix_params")
        if diagnosis.fix else "",
        wrong_fixes=[{"template": f.template, "params": json.dumps(f.params, sort_keys=True)}
                     for f in diagnosis.known_wrong_fixes],
        context=[{"source": source, "text": fence.wrap(text, source)} for source, text in (untrusted or {}).items()],
    )


def with_cache_breakpoint(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of `messages` whose last block is marked cache_control, so the next turn reads the
    conversation so far from the prompt cache; the transcript itself is left unmarked."""
    if not messages or not messages[-1]["content"]:
        return messages
    last = messages[-1]
    blocks = last["content"] if isinstance(last["content"], list) else [{"type": "text", "text": last["content"]}]
    marked = [*blocks[:-1], {**blocks[-1], "cache_control": {"type": "ephemeral"}}]
    return [*messages[:-1], {**last, "content": marked}]
