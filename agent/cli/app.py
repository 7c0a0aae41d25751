"""The `agent` entry point: registers every command module and turns errors into one line."""

from __future__ import annotations

import importlib
import os
import sys

# No pydantic plugins in the CLI: finding them scans every installed package's entry points (~25 ms a start).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # Typer ≥ 0.29 vendors click: importing click itself would only cost start-up
from typer.exceptions import TyperException

from agent.errors import AgentError

app = typer.Typer(
    name="agent",
    help="devops-agent: keeps a repository's GitHub Actions CI green.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



def _print_version(value: bool) -> None:
    if value:
        from agent import __version__

        typer.echo(f"devops-agent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="print the version and exit", is_eager=True,
                                 callback=_print_version),
) -> None:
    """devops-agent: keeps a repository's GitHub Actions CI green."""


COMMAND_MODULES = [
    "index",
    "triage",
    "sandbox",
    "policy",
    "fix",
    "eval",
    "kb",
    "watch",
    "status",
    "demo",
    "chat",
    "mcp",
    "action",
    "pause",
    "stats",
    "flaky",
]
"""Modules under agent.cli; each exposes register(app). Keep their imports light."""

COMMAND_HOMES = {
    "triage": "triage", "index": "index", "search": "index", "sandbox": "sandbox", "policy": "policy",
    "fix": "fix", "eval": "eval", "kb": "kb", "watch": "watch", "status": "status", "history": "status",
    "demo": "demo", "chat": "chat", "mcp": "mcp", "action": "action",
    "pause": "pause", "resume": "pause", "stats": "stats", "flaky": "flaky",
}
"""Which module defines each top-level command, so `agent triage` imports only what it needs."""

_registered: set[str] = set()


def _command(argv: list[str]) -> str | None:
    """The invoked top-level command: the first argument that is not an option."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def _register(argv: list[str]) -> None:
    """Register the invoked command's module, or every module (for --help and unknown commands)."""
    home = COMMAND_HOMES.get(_command(argv) or "")
    for name in [home] if home in COMMAND_MODULES else COMMAND_MODULES:
        if name not in _registered:
            importlib.import_module(f"agent.cli.{name}").register(app)
            _registered.add(name)


def fail(message: str, code: int = 2) -> None:
    """Print one error line on stderr and exit with `code`."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


def usage_failed(exc: Exception) -> None:
    """A click/typer usage error (bad value, unknown option, missing argument) as one line, exit 2."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help text was already printed
        raise SystemExit(2)
    message = " ".join(exc.format_message().split()) or type(exc).__name__
    ctx = getattr(exc, "ctx", None)
    fail(f"{message} (see: {ctx.command_path} --help)" if ctx is not None else message, 2)


SKIPS_TEARDOWN = frozenset({"triage"})
"""Read-only commands that hold nothing to clean up at exit: their caches are renamed into place before use
and they start no process or server. Run from the `agent` executable, a successful one ends with its output
flushed and without the interpreter's teardown of every imported module (~35 ms of a ~0.3 s `agent triage`)."""


def _exit_now(args: list[str], code: object) -> None:
    """os._exit(0) after a successful read-only command whose output is flushed; otherwise return."""
    if _command(args) not in SKIPS_TEARDOWN or code not in (0, None) or "--help" in args:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # let the normal exit report a closed or broken stream
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; expected errors are one line on stderr with a non-zero exit, never a traceback.

    Called without `argv` (the `agent` executable), a successful read-only command skips the teardown."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        _register(args)
        code = app(args=args, standalone_mode=False)
        if argv is None:
            _exit_now(args, code)
    except AgentError as exc:
        fail(str(exc), exc.exit_code)
    except typer.Abort:
        fail("aborted", 130)
    except TyperException as exc:
        usage_failed(exc)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except (BrokenPipeError, SystemExit):
        raise
    except Exception as exc:
        if os.environ.get("AGENT_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set AGENT_DEBUG=1 for a traceback)", 1)
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # `python -m agent.cli.app …` (e.g. under -X importtime)
    main()
