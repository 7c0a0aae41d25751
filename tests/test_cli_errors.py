"""Bad input through the `agent` console script: one `error:` line on stderr, exit 2 (1 for a failed pass), no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agent import PROJECT_ROOT

CASES = PROJECT_ROOT / "evals" / "cases"
ENV_DROPPED = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "AGENT_DB", "AGENT_DEBUG",
               "ANTHROPIC_API_KEY", "AGENT_WEBHOOK_SECRET")


def agent(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "agent"
    command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from agent.cli.app import main; main()"]
    environ = {key: value for key, value in os.environ.items() if key not in ENV_DROPPED}
    environ.update(AGENT_HOME=str(home), **env)
    return subprocess.run([*command, *args], check=False, capture_output=True, text=True, env=environ,
                          timeout=120, cwd=home, stdin=subprocess.DEVNULL)


def error_line(done: subprocess.CompletedProcess) -> str:
    """The one stderr line, checked to be a clean `error:` line (no traceback, no internal error); a command
    that writes first names its policies file (`policy: …`), which is not an error line."""
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("policy: ")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), done.stderr
    assert "internal error" not in lines[0] and "Traceback" not in done.stderr
    return lines[0]


def refused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("args, says", [
    (["fix", "abc", "--repo", "a/b"], "Invalid value for 'run_id'"),
    (["fix", "--bogus"], "No such option: --bogus"),
    (["fix"], "Missing argument 'run_id'"),
    (["no-such-command"], "No such command"),
    (["sandbox", "serve", "--port", "99999"], "--port"),
    (["watch", "--repo", "a/b", "--webhook-port", "70000"], "--webhook-port"),
    (["fix", "1", "--repo", "a/b", "--verify-timeout", "-1"], "--verify-timeout"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str):
    done = agent(*args, home=tmp_path)
    assert done.returncode == 2
    assert says in error_line(done)


@pytest.mark.parametrize("args", [["status", "--json"], ["history"], ["policy", "explain", "x"], ["kb", "stats"]])
def test_a_corrupt_database_is_named_in_one_line_and_left_untouched(tmp_path: Path, args: list[str]):
    db = tmp_path / "agent.db"
    garbage = os.urandom(8192)
    db.write_bytes(garbage)
    done = agent(*args, home=tmp_path)
    assert done.returncode == 2
    assert f"{db} is not an agent database" in error_line(done)
    assert db.read_bytes() == garbage


def test_another_programs_sqlite_file_is_refused_without_adding_tables(tmp_path: Path):
    import sqlite3

    db = tmp_path / "agent.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    before = db.read_bytes()
    done = agent("history", home=tmp_path)
    assert done.returncode == 2
    assert "is not an agent database (it holds other tables: users)" in error_line(done)
    assert db.read_bytes() == before


@pytest.mark.parametrize("flag", ["--report", "--readme"])
def test_eval_refuses_an_unwritable_output_before_running_any_case(tmp_path: Path, flag: str):
    target = tmp_path / "missing-dir" / "out.md"
    done = agent("eval", str(CASES), "--case", "glibc-node20-old-container", flag, str(target), home=tmp_path)
    assert done.returncode == 2
    assert f"{flag} {target}: the directory" in error_line(done)  # the only stderr line: no case ran


def test_demo_home_that_cannot_be_created_is_one_line(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    done = agent("demo", "--home", str(blocker / "home"), home=tmp_path)
    assert done.returncode == 2
    assert f"--home {blocker / 'home'}: cannot create it" in error_line(done)


def test_sandbox_port_in_use_is_one_line(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = agent("sandbox", "serve", "--port", str(port), home=tmp_path)
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1 port {port}" in error_line(done)


@pytest.mark.parametrize("command", ["fix", "chat"])
def test_refused_github_is_one_short_line_naming_the_url(tmp_path: Path, command: str):
    url = refused_url()
    done = agent(command, "123", "--repo", "a/b", "--github-url", url, home=tmp_path, GITHUB_TOKEN="t")
    assert done.returncode == 2
    line = error_line(done)
    assert line.startswith(f"error: cannot reach GitHub at {url} (connection refused)")
    assert "HTTPConnectionPool" not in line and len(line) < 160


def test_watch_once_exits_1_when_every_poll_failed(tmp_path: Path):
    url = refused_url()
    done = agent("watch", "--repo", "a/b", "--github-url", url, "--no-webhooks", "--once", home=tmp_path,
                 GITHUB_TOKEN="t")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: poll failed for a/b: cannot reach GitHub at {url} (connection refused)")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args, says", [
    (["fix", "123", "--repo", "nope"], "--repo 'nope': expected OWNER/NAME"),
    (["fix", "0", "--repo", "a/b"], "run id must be a positive number"),
    (["fix", "123", "--repo", "a/b"], "no GitHub token"),
    (["chat", "123", "--repo", "a/b/c"], "--repo 'a/b/c': expected OWNER/NAME"),
    (["mcp", "--repo", "x"], "--repo 'x': expected OWNER/NAME"),
])
def test_arguments_are_checked_before_credentials(tmp_path: Path, args: list[str], says: str):
    done = agent(*args, home=tmp_path)
    assert done.returncode == 2
    assert says in error_line(done)


@pytest.mark.parametrize("args", [["fix", "123", "--repo", "a/b"], ["chat", "123", "--repo", "a/b"], ["mcp"],
                                  ["watch", "--repo", "a/b", "--once"]])
def test_every_github_command_reads_github_api_url(tmp_path: Path, args: list[str]):
    done = agent(*args, home=tmp_path, GITHUB_API_URL="not-a-url", GITHUB_TOKEN="t")
    assert done.returncode == 2
    assert "GITHUB_API_URL 'not-a-url': expected an http(s) URL" in error_line(done)


def test_fix_sends_its_requests_to_github_api_url(tmp_path: Path):
    url = refused_url()
    done = agent("fix", "123", "--repo", "a/b", home=tmp_path, GITHUB_API_URL=url, GITHUB_TOKEN="t")
    assert f"cannot reach GitHub at {url} (connection refused)" in error_line(done)



def test_an_agent_home_that_cannot_be_created_is_one_line_naming_the_setting(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    environ = {**os.environ, "AGENT_HOME": str(blocker / "home")}
    done = subprocess.run([str(Path(sys.executable).parent / "agent"), "history"], check=False, capture_output=True,
                          text=True, env=environ, timeout=120, cwd=tmp_path)
    assert done.returncode == 2 and error_line(done).startswith("error: AGENT_HOME ")


@pytest.mark.parametrize("content", [b'{"x": 1}', b"\x00\xffgarbage"])
def test_a_state_file_that_is_not_a_sandbox_state_is_refused_and_left_untouched(tmp_path, content):
    state = tmp_path / "state.json"
    state.write_bytes(content)
    done = agent("sandbox", "serve", "--state", str(state), home=tmp_path)
    assert done.returncode == 2 and "not a sandbox state file" in error_line(done)
    assert state.read_bytes() == content
