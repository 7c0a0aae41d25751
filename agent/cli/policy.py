"""`agent policy check [FILE]` and `agent policy explain <plan-id>`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent import config
from agent.errors import BadInput
from agent.models import Plan
from agent.policy.explain import decision_lines, decision_record, effective_limits, plan_line
from agent.policy.lookup import policy_source
from agent.policy.schema import load_policy


def register(app: typer.Typer) -> None:
    """Add the `policy` sub-app."""
    policy_app = typer.Typer(help="Check the safety policy and explain the gate's decisions.", no_args_is_help=True)
    policy_app.command("check")(check)
    policy_app.command("explain")(explain)
    app.add_typer(policy_app, name="policy")


def check(
    file: Annotated[Path | None, typer.Argument(help="policies file (default: the lookup order of --policies)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Validate a policies file and print the limits it puts into force."""
    path, found_by = (file, "argument") if file else policy_source()
    policy = load_policy(path)
    if as_json:
        typer.echo(json.dumps({"ok": True, "path": str(path), "found_by": found_by,
                               "policy": policy.model_dump(mode="json")}, indent=2))
        return
    typer.echo(f"{path}: OK ({found_by})")
    for line in effective_limits(policy):
        typer.echo(f"  {line}")


def explain(
    plan_id: Annotated[str, typer.Argument(help="the id of a stored plan")],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Say which rule decided a stored plan, and why, with the policy version."""
    plan, records = _load(plan_id)
    if as_json:
        typer.echo(json.dumps({"plan": plan.model_dump(mode="json"), "decisions": records}, indent=2, default=str))
        return
    typer.echo(plan_line(plan))
    if not records:
        typer.echo("  no decision recorded yet")
    for record in records:
        typer.echo("\n".join(decision_lines(record)))


def _load(plan_id: str) -> tuple[Plan, list[dict]]:
    """The stored plan and its decisions, oldest first; a missing database or plan is bad input."""
    db = config.db_path()
    if not db.exists():
        raise BadInput(f"no database at {db}: nothing has been decided yet")
    from agent.store import Store

    store = Store(db)
    stored = store.get_plan(plan_id)
    if stored is None:
        raise BadInput(f"no plan {plan_id!r} in {db}")
    return _as_plan(stored), [decision_record(row) for row in store.decisions(plan_id)]


def _as_plan(stored: object) -> Plan:
    """A Plan from what the store returns: a Plan, a plan dict, or a row with a `plan` column."""
    if isinstance(stored, Plan):
        return stored
    data = dict(stored)  # type: ignore[call-overload]
    return Plan.model_validate(data["plan"] if isinstance(data.get("plan"), dict) else data)
