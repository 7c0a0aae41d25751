"""The GitHub Action's entry point: handle the one `workflow_run` run of `$GITHUB_EVENT_PATH`, then exit.

No store survives between two runs of the action: the pipeline's SQLite store lives in the job's temp
directory, and what must last is found on GitHub again (the escalation issue and the fix pull request by
their markers), so a second run of the same failure comments instead of filing a duplicate.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import BadInput
from agent.gate_context import FAILING

EVENT_ENV = "GITHUB_EVENT_PATH"


@dataclass(frozen=True)
class WorkflowRunEvent:
    """The fields of a `workflow_run` event the action needs."""

    repo: str
    run_id: int
    attempt: int
    workflow_name: str
    workflow_path: str
    conclusion: str | None
    action: str


def event_path(given: str | Path | None) -> Path:
    """--event, else $GITHUB_EVENT_PATH; BadInput when neither is set."""
    chosen = given or os.environ.get(EVENT_ENV, "")
    if not chosen:
        raise BadInput(f"no event: pass --event FILE or set {EVENT_ENV} (the action sets it)")
    return Path(chosen)


def load_event(path: Path) -> dict[str, Any]:
    """The event payload as a mapping; BadInput when unreadable or not a JSON object."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"cannot read the event file {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"the event file {path} is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise BadInput(f"the event file {path} is not a JSON object")
    return payload


def parse_event(payload: dict[str, Any]) -> WorkflowRunEvent:
    """The workflow_run event's run; BadInput for any other event (the workflow's `on:` is wrong)."""
    run, repo = payload.get("workflow_run"), payload.get("repository") or {}
    if not isinstance(run, dict) or not isinstance(repo, dict):
        raise BadInput("the event is not a workflow_run event: trigger the agent with "
                       "`on: workflow_run: {workflows: [...], types: [completed]}`")
    try:
        return WorkflowRunEvent(
            repo=str(repo["full_name"]), run_id=int(run["id"]), attempt=int(run.get("run_attempt") or 1),
            workflow_name=str(run.get("name") or ""), workflow_path=str(run.get("path") or ""),
            conclusion=run.get("conclusion"), action=str(payload.get("action") or ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(f"the workflow_run event lacks a usable field: {exc}") from None


def watched_workflows(value: str | None) -> list[str]:
    """The `workflows` input: names or paths separated by commas or new lines (empty: every workflow)."""
    return [part.strip() for part in (value or "").replace("\n", ",").split(",") if part.strip()]


def skip_reason(event: WorkflowRunEvent, workflows: list[str]) -> str | None:
    """Why this event is not handled (None: handle it)."""
    if event.action != "completed":
        return f"the run is {event.action or 'not completed'}, not completed"
    if event.conclusion not in FAILING:
        return f"conclusion {event.conclusion}: nothing to fix"
    names = {event.workflow_name, event.workflow_path, Path(event.workflow_path).name}
    if workflows and not names & set(workflows):
        return f"workflow {event.workflow_name or event.workflow_path!r} is not in the workflows input"
    return None


def write_outputs(result: dict[str, Any], output_file: str | None = None, summary_file: str | None = None) -> None:
    """`status` and `url` as step outputs ($GITHUB_OUTPUT) and one line in the job summary."""
    output_file = output_file if output_file is not None else os.environ.get("GITHUB_OUTPUT")
    summary_file = summary_file if summary_file is not None else os.environ.get("GITHUB_STEP_SUMMARY")
    url = next((u for u in result.get("urls") or [] if u), "")
    status = str(result.get("status") or "")
    if output_file:
        with open(output_file, "a", encoding="utf-8") as out:
            out.write(f"status={_one_line(status)}\nurl={_one_line(url)}\n")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as out:
            reason = _one_line(str(result.get("reason") or ""))
            out.write(f"devops-agent: **{status}** {url} {reason}".rstrip() + "\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())
