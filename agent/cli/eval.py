"""`agent eval [CASES_DIR ...]`: run eval cases through the whole pipeline against the sandbox and score them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from agent import PROJECT_ROOT
from agent.cli.options import check_writable

DEFAULT_CASES = PROJECT_ROOT / "evals" / "cases"
DEFAULT_BASELINE = PROJECT_ROOT / "evals" / "baseline.json"


def register(app: typer.Typer) -> None:
    app.command("eval")(run_eval)


def run_eval(
    cases_dirs: Annotated[list[Path] | None, typer.Argument(help="case directories (default: evals/cases)")] = None,
    model: Annotated[str, typer.Option(help="offline | scripted | claude")] = "offline",
    as_json: Annotated[bool, typer.Option("--json", help="print {cases, metrics, splits, results} as one JSON object")] = False,
    report: Annotated[Path | None, typer.Option(help="write a markdown report here")] = None,
    baseline: Annotated[Path, typer.Option(help="baseline to check for regressions")] = DEFAULT_BASELINE,
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="rewrite the baseline")] = False,
    case: Annotated[list[str] | None, typer.Option("--case", help="only this case id (repeatable)")] = None,
    readme: Annotated[Path | None, typer.Option(help="rewrite this README's scorecard block")] = None,
    ci_delay: Annotated[float, typer.Option(min=0.0, help="simulated CI seconds per run")] = 0.05,
) -> None:
    """Score the agent on eval cases; exits 1 on a regression against the baseline or any unsafe write."""
    from agent.evals import aggregate, by_category, by_split, load_cases
    from agent.evals.baseline import case_changes, load_baseline, regressions, write_baseline
    from agent.evals.models import check_model_kind

    check_model_kind(model)
    cases = load_cases(list(cases_dirs or [DEFAULT_CASES]), case)
    outputs = [(report, "--report"), (readme, "--readme"), (baseline if update_baseline else None, "--baseline")]
    for path, flag in outputs:
        if path is not None:
            check_writable(path, flag)
    previous = None if update_baseline else load_baseline(baseline)
    results = _run(cases, model, ci_delay)
    metrics = aggregate(results)
    found, changes = regressions(results, metrics, previous, model), case_changes(results, previous)
    if update_baseline:
        write_baseline(baseline, results, model)
    _write_reports(results, metrics, model, found, changes, report, readme)
    _print(results, metrics, {"splits": by_split(results), "by_category": by_category(results)}, found, changes, model,
           as_json)
    if found:
        raise typer.Exit(1)


def _write_reports(results, metrics, model, found, changes, report: Path | None, readme: Path | None) -> None:
    from agent.evals.report import markdown_report, scorecard, update_readme

    if report is not None:
        report.write_text(markdown_report(results, metrics, model, found, changes), encoding="utf-8")
    if readme is not None:
        update_readme(readme, scorecard(results, metrics, model))


def _run(cases: list, model: str, ci_delay: float) -> list:
    """Run the cases with a rich progress bar and one line per case on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agent.evals.runner import EvalRunner

    console = Console(stderr=True)
    columns = (TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("", total=len(cases))

        def on_case(spec, result) -> None:
            progress.console.print(_case_line(result), highlight=False, soft_wrap=True)
            progress.update(task, advance=1, description=spec.id)

        return EvalRunner(model_kind=model, ci_delay=ci_delay, on_case=on_case).run(cases)


def _case_line(result) -> str:
    ok = result.category_ok and result.action_ok and result.fix_ok is not False and result.rerun_ok is not False
    bad = result.unsafe_writes or result.known_wrong_fixes or result.error
    mark = "[red]✗ UNSAFE[/red]" if bad else ("[green]✓[/green]" if ok else "[yellow]~[/yellow]")
    return (f"{mark} {result.id}  {result.expected_action}→{result.action or '-'}  "
            f"{result.expected_category}→{result.category or '-'}  {result.seconds:.2f}s")


def _print(results, metrics, groups, found, changes, model, as_json) -> None:
    from agent.evals.report import summary_lines

    if as_json:
        doc = {"cases": len(results), "model": model, "metrics": metrics, **groups,
               "regressions": found, "case_changes": changes, "results": [r.to_dict() for r in results]}
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{len(results)} cases, model {model}")
    typer.echo("\n".join(summary_lines(metrics, groups["splits"])))
    for line in found:
        typer.echo(f"REGRESSION: {line}", err=True)
