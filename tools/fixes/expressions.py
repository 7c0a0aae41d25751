"""workflow_expression, reusable_input_format: GitHub expressions written the way the runner accepts them."""

from __future__ import annotations

import re

from pydantic import field_validator
from yaml.nodes import ScalarNode

from tools.fixes.base import Change, Files, NotApplicable, Params, select_workflows, splice
from tools.fixes.yamlspan import (
    compose,
    get,
    jobs,
    pairs,
    render_scalar,
    replace_scalar,
    scalar,
    walk_mappings,
)

BARE_BANG_IF = re.compile(r"^[ \t]*(?:-[ \t]+)?if:[ \t]+(?P<expr>!(?![!=])[^\r\n#]*[^\s#])", re.MULTILINE)
"""Fallback when the file does not compose: an `if:` whose whole value starts with a bare `!`."""
WHOLE_EXPRESSION = re.compile(r"^\$\{\{\s*(?P<expr>.+?)\s*\}\}$", re.DOTALL)
INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class WorkflowExpressionParams(Params):
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""


class ReusableInputParams(Params):
    input: str
    """The `with:` input of a reusable-workflow call that must be passed as a string, e.g. `run_id`."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""

    @field_validator("input")
    @classmethod
    def _name(cls, value: str) -> str:
        if not INPUT_NAME.match(value):
            raise ValueError(f"not a workflow input name: {value!r}")
        return value


def is_bang_tag(node) -> bool:
    """A scalar YAML read as a local tag (`!inputs.x`): what a bare `!` expression turns into."""
    return isinstance(node, ScalarNode) and node.tag.startswith("!") and not node.tag.startswith("!!")


def wrapped(expr: str) -> str:
    """`!x` → `${{ !x }}`, as a YAML scalar (quoted only when plain would not read back)."""
    return render_scalar("${{ " + expr.strip() + " }}", None)


def bang_if_replacements(text: str) -> list[tuple[int, int, str, int]]:
    """(start, end, new, line) for each `if:` whose value YAML reads as a tag."""
    root = compose(text)
    if root is None:
        return [
            (m.start("expr"), m.end("expr"), wrapped(m.group("expr")), text.count("\n", 0, m.start()) + 1)
            for m in BARE_BANG_IF.finditer(text)
        ]
    out = []
    for mapping in walk_mappings(root):
        for key, value in pairs(mapping):
            if key.value == "if" and is_bang_tag(value):
                start, end = value.start_mark.index, value.end_mark.index
                out.append((start, end, wrapped(text[start:end]), value.start_mark.line + 1))
    return out


def workflow_expression(files: Files, params: WorkflowExpressionParams) -> Change:
    """Wrap a bare `if: !expr` (a YAML tag, so an invalid workflow) in `${{ }}`."""
    change, fixed = Change(), []
    for path, text in select_workflows(files, params.files).items():
        found = bang_if_replacements(text)
        if not found:
            continue
        new = splice(text, [(s, e, n) for s, e, n, _ in found])
        if compose(new) is None:
            raise NotApplicable(f"{path} still does not parse after wrapping its `if: !…` expressions")
        change.texts[path] = new
        fixed += [{"file": path, "line": line, "from": text[s:e], "to": n} for s, e, n, line in found]
    if not fixed:
        raise NotApplicable("no `if:` starting with a bare `!` in the selected workflows")
    change.resolved = {"files": sorted(change.texts), "fixed": fixed}
    return change


def as_string_expression(value: str | None) -> str | None:
    """`${{ x }}` → `${{ format('{0}', x) }}`; None when the value is not one whole expression or already is."""
    found = WHOLE_EXPRESSION.match(value or "")
    if not found or "${{" in found.group("expr") or "}}" in found.group("expr"):
        return None
    expr = found.group("expr")
    return None if expr.startswith("format(") else "${{ format('{0}', " + expr + ") }}"


def reusable_input_format(files: Files, params: ReusableInputParams) -> Change:
    """Pass a reusable-workflow input as a string: `${{ x }}` → `${{ format('{0}', x) }}`."""
    change, fixed = Change(), []
    for path, text in select_workflows(files, params.files).items():
        replacements = []
        for job_id, job in jobs(compose(text)):
            node = get(get(job, "with"), params.input)
            new = as_string_expression(scalar(node)) if scalar(get(job, "uses")) else None
            if new is None or node.style in ("|", ">"):
                continue
            replacements.append(replace_scalar(text, node, new))
            fixed.append({"file": path, "job": job_id, "from": scalar(node), "to": new})
        if replacements:
            change.texts[path] = splice(text, replacements)
    if not fixed:
        raise NotApplicable(f"no reusable-workflow call passes {params.input} as a bare expression")
    change.resolved = {"files": sorted(change.texts), "fixed": fixed}
    return change
