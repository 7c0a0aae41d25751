"""`agent watch --token`: the daemon authenticates with the token given on the command line."""

from __future__ import annotations

import os
import subprocess
import sys

from test_executor_kit import REPO, repo_files

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

DROPPED = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "AGENT_APP_ID", "AGENT_APP_PRIVATE_KEY_FILE",
           "AGENT_APP_PRIVATE_KEY", "AGENT_APP_INSTALLATION_ID", "AGENT_POLICIES")


def watch_once(*extra: str) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key not in DROPPED}
    command = [sys.executable, "-c", "from agent.cli.app import main; main()", "watch", "--repo", REPO, "--once",
               "--monitor-interval", "0", *extra]
    return subprocess.run(command, capture_output=True, text=True, env=environ, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)


def test_watch_once_authenticates_with_the_token_option_and_names_its_policy(sb, home):
    sb.add_repo(REPO, files=repo_files(old_image=False))
    done = watch_once("--github-url", sb.url, "--token", sb.token)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("policy: ")
    sent = [r for r in sb.requests if r.path.startswith(f"/repos/{REPO}")]
    assert sent and all(r.headers.get("authorization") == f"token {sb.token}" for r in sent)


def test_watch_without_any_credentials_says_to_pass_token(sb, home):
    done = watch_once("--github-url", sb.url)
    assert done.returncode == 2 and "pass --token" in done.stderr
