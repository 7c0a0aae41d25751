"""propose_fix_template: stage a known fix template with parameters (validated); nothing is written."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError

from agent.models import FixSpec
from tools.base import ToolContext, ToolInput
from tools.fixes import TEMPLATES
from tools.registry import describe

NAME = "propose_fix_template"
WRITES = True


class Input(ToolInput):
    template: str = Field(min_length=1, max_length=100,
                          description="A fix template name: " + ", ".join(sorted(TEMPLATES)) + ".")
    params: dict[str, Any] = Field(default_factory=dict, description="The template's parameters.")


def run(args: Input, ctx: ToolContext) -> dict:
    """Stage a fix template with its parameters into the plan (nothing is written to GitHub). The
    template and parameters are validated here; the policy gate later decides what, if anything, is
    carried out. A template proposed exactly as a known issue lists it keeps that issue's calibrated
    confidence; other parameters count as your own composition (at most a pull request for a human).
    """
    template = TEMPLATES.get(args.template)
    if template is None:
        raise ValueError(f"unknown fix template {args.template!r}; known: {', '.join(sorted(TEMPLATES))}")
    try:
        template.params_model.model_validate(args.params)
    except ValidationError as error:
        raise ValueError(f"invalid params for {args.template}: {describe(error)}") from None
    fix = FixSpec(template=args.template, params=args.params)
    if fix not in ctx.plan.fixes:
        ctx.plan.fixes.append(fix)
    return {"staged": fix.model_dump(), "fixes_staged": len(ctx.plan.fixes),
            "note": "staged only; the policy gate decides"}
