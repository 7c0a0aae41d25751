"""`agent triage LOG [--repo-dir DIR] [--last-green LOG] [--json]`: diagnose a failed run (offline, no writes)."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from agent.errors import BadInput

LOG_HELP = "run-log zip, run-log directory, job log, `gh run view --log` output, any text build log, or - for stdin"
GREEN_HELP = "log of the last successful run (same kinds as LOG): lines it also has rank down"
REPO_HELP = "checkout to resolve fix params against (read only)"


def render(diagnosis) -> str:
    """A short human summary: category, known issue, action, fix, where it failed, guides, root-cause lines."""
    known = diagnosis.known_issue
    lines = [
        f"category:        {diagnosis.category.value}",
        f"known issue:     {f'{known.id} (confidence {known.confidence:.2f})' if known else 'none'}",
        f"title:           {diagnosis.title or '-'}",
        f"proposed action: {diagnosis.proposed_action.value}",
        f"fix:             {_fix_text(diagnosis.fix)}",
    ]
    lines += [f"not this fix:    {_fix_text(wrong)}" for wrong in diagnosis.known_wrong_fixes]
    failed = ", ".join(f"{s.job} / {s.step}" for s in diagnosis.failed_steps) or "none marked"
    lines += [f"failed steps:    {failed}", f"signature:       {diagnosis.signature}"]
    cited = [f"{g.guide}#{g.anchor} ({g.title})" for g in diagnosis.guides] or ["none"]
    lines += [f"{'guides:' if n == 0 else '':<17}{text}" for n, text in enumerate(cited)]
    if diagnosis.redactions or diagnosis.truncated_bytes:
        lines.append(f"redactions:      {diagnosis.redactions}; truncated bytes: {diagnosis.truncated_bytes}")
    lines.append("root cause:")
    lines += [f"  | {line[:300]}" for line in diagnosis.root_cause_lines[:12]] or ["  (no error lines found)"]
    return "\n".join(lines)


def _fix_text(fix) -> str:
    if fix is None:
        return "none"
    params = ", ".join(f"{key}={value}" for key, value in fix.params.items())
    return f"{fix.template}({params})"


def _progress():
    if not sys.stderr.isatty():
        return nullcontext()
    from rich.console import Console

    return Console(stderr=True).status("reading the log…")


def register(app: typer.Typer) -> None:
    @app.command()
    def triage(
        log: Annotated[str, typer.Argument(help=LOG_HELP)],
        repo_dir: Annotated[Path | None, typer.Option("--repo-dir", help=REPO_HELP)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the diagnosis as one JSON object")] = False,
        last_green: Annotated[str | None, typer.Option("--last-green", help=GREEN_HELP)] = None,
    ) -> None:
        """Diagnose a failed run from its logs (GitHub Actions or any text build log): category, known issue,
        proposed action, fix."""
        from agent.triage import triage as run_triage

        if repo_dir is not None and not repo_dir.is_dir():
            raise BadInput(f"{repo_dir}: not a directory")
        if last_green is not None and last_green != "-" and not Path(last_green).exists():
            raise BadInput(f"{last_green}: no such file or directory (--last-green)")
        with _progress():
            diagnosis = run_triage(log, repo_dir=repo_dir, last_green=last_green)
        print(diagnosis.model_dump_json(indent=2) if as_json else render(diagnosis))
