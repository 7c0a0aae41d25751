"""`agent triage` (placeholder registration; the triage helper replaces this file)."""

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def triage(log: str = typer.Argument(..., help="run-log zip, directory, job log, or - for stdin")) -> None:
        """Diagnose a failed GitHub Actions log."""
        raise typer.Exit(3)
