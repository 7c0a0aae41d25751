"""Command-line interface: one Typer sub-app (or command set) per file, all thin."""
