"""`agent sandbox serve`: run the local GitHub standalone, seeded from eval cases."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.options import check_writable
from agent.errors import BadInput


def case_dirs(root: Path) -> list[Path]:
    """Every directory under `root` holding a case.yaml (or `root` itself)."""
    if (root / "case.yaml").is_file():
        return [root]
    return sorted(p.parent for p in root.glob("*/case.yaml"))


def register(app: typer.Typer) -> None:
    sandbox_app = typer.Typer(help="A local GitHub (REST subset, CI simulator, webhooks) on 127.0.0.1.",
                              no_args_is_help=True)

    @sandbox_app.command()
    def serve(
        port: Annotated[int, typer.Option(help="API port (0: any free port)", min=0, max=65535)] = 0,
        log_port: Annotated[int, typer.Option(help="log-download host port (0: any free port)",
                                              min=0, max=65535)] = 0,
        cases: Annotated[Path | None, typer.Option(help="eval cases directory to seed (default: evals/cases)")] = None,
        ci_delay: Annotated[float, typer.Option(min=0.0, help="seconds from queued to completed")] = 2.0,
        state: Annotated[Path | None, typer.Option(help="persist state as JSON here")] = None,
        token: Annotated[str | None, typer.Option(help="the token to accept (default: a random one)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the seed summary as one JSON object")] = False,
    ) -> None:
        """Serve until Ctrl-C or SIGTERM; prints the URL, the token and each seeded repository's run."""
        from agent import PROJECT_ROOT

        root = cases or PROJECT_ROOT / "evals" / "cases"
        if cases is not None and not root.is_dir():
            raise BadInput(f"{root}: not a directory")
        sb = _sandbox(state, ci_delay=ci_delay, port=port, log_port=log_port, token=token)
        if not sb.state.repos and root.is_dir():  # a persisted state was seeded when it was created
            for case_dir in case_dirs(root):
                sb.load_case(case_dir)
        seeded = [(repo.full_name, min(repo.runs)) for repo in sb.state.repos.values() if repo.runs]
        _start(sb, port, log_port)
        _print_summary(sb, seeded, as_json)
        _wait_for_signal()
        sb.stop()

    app.add_typer(sandbox_app, name="sandbox")


def _sandbox(state: Path | None, **options):
    """The Sandbox, its --state file checked first: written on stop, so it must be writable now."""
    from agent.sandbox import Sandbox

    if state is None:
        return Sandbox(**options)
    check_writable(state, "--state")
    try:
        return Sandbox(state_path=state, **options)
    except (ValueError, KeyError, TypeError) as exc:  # the sandbox's own state loader; the file stays untouched
        reason = " ".join(str(exc).split())[:200]
        raise BadInput(f"--state {state}: not a sandbox state file ({type(exc).__name__}: {reason})") from None


def _start(sb, port: int, log_port: int) -> None:
    """Start the sandbox's servers; a port that cannot be bound is one line, not a traceback."""
    try:
        sb.start()
    except OSError as exc:  # the process ends next; a server that did start is a daemon thread
        ports = " or ".join(str(p) for p in (port, log_port) if p) or "a free port"
        raise BadInput(f"cannot listen on 127.0.0.1 port {ports} ({exc.strerror or exc})") from None


def _print_summary(sb: object, seeded: list[tuple[str, int]], as_json: bool) -> None:
    if as_json:
        runs = [{"repo": name, "run_id": run_id} for name, run_id in seeded]
        print(json.dumps({"url": sb.url, "log_url": sb.log_url, "token": sb.token, "runs": runs}), flush=True)
        return
    print(f"url    {sb.url}\ntoken  {sb.token}\nlogs   {sb.log_url}")
    for name, run_id in seeded:
        print(f"repo   {name}  failed run {run_id}")
    print("serving; Ctrl-C or SIGTERM to stop", flush=True)


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
