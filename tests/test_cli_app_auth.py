"""`agent fix` authenticated as a GitHub App from AGENT_APP_* (installation token), and its bad-key errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from test_executor_kit import REPO, add_novel_run, issues

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

APP_ID, INSTALLATION = 4242, 77
MINT = f"/app/installations/{INSTALLATION}/access_tokens"
DROPPED = ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "ANTHROPIC_API_KEY", "AGENT_DEBUG",
           "AGENT_APP_ID", "AGENT_APP_PRIVATE_KEY_FILE", "AGENT_APP_PRIVATE_KEY", "AGENT_APP_INSTALLATION_ID",
           "GITHUB_EVENT_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")


def pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem(key), public.decode()


def agent(*args: str, **env: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "agent"
    command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from agent.cli.app import main; main()"]
    environ = {key: value for key, value in os.environ.items() if key not in DROPPED} | env
    return subprocess.run([*command, *args], check=False, capture_output=True, text=True, env=environ, timeout=120,
                          stdin=subprocess.DEVNULL)


def app_env(home: Path, private_pem: str, as_file: bool = True) -> dict[str, str]:
    env = {"AGENT_APP_ID": str(APP_ID), "AGENT_APP_INSTALLATION_ID": str(INSTALLATION)}
    if not as_file:
        return env | {"AGENT_APP_PRIVATE_KEY": private_pem}
    key_file = home / "app.pem"
    key_file.write_text(private_pem, encoding="utf-8")
    return env | {"AGENT_APP_PRIVATE_KEY_FILE": str(key_file)}


@pytest.mark.parametrize("as_file", [True, False], ids=["key-file", "key-text"])
def test_fix_authenticates_as_the_app_with_an_installation_token(sb, home, app_key, as_file):
    sb.add_app(APP_ID, app_key[1], INSTALLATION)
    run_id = add_novel_run(sb)
    done = agent("fix", str(run_id), "--repo", REPO, "--github-url", sb.url, **app_env(home, app_key[0], as_file))
    assert done.returncode == 0, done.stderr
    assert "status:    escalated" in done.stdout and len(issues(sb)) == 1
    paths = [r.path for r in sb.requests]
    assert paths[0] == MINT and paths.count(MINT) == 1
    after = [r for r in sb.requests if r.path != MINT and r.host != "logs"]  # signed log URLs carry no token
    assert after and all(r.headers.get("authorization", "").startswith("token ghs_") for r in after)
    assert any(r.method == "POST" and r.path == f"/repos/{REPO}/issues" and r.status == 201 for r in after)


def other_key_pem() -> str:
    return pem(ec.generate_private_key(ec.SECP256R1()))


@pytest.mark.parametrize(("case", "says"), [
    ("missing file", "cannot read the private key"),
    ("malformed pem", "not a PEM private key"),
    ("not rsa", "not RSA"),
    ("incomplete", "set AGENT_APP_INSTALLATION_ID"),
    ("bad app id", "AGENT_APP_ID 'abc'"),
])
def test_bad_app_credentials_are_one_error_line_and_exit_2(sb, home, app_key, case, says):
    env = app_env(home, app_key[0])
    if case == "missing file":
        env["AGENT_APP_PRIVATE_KEY_FILE"] = str(home / "nowhere.pem")
    if case in ("malformed pem", "not rsa"):
        Path(env["AGENT_APP_PRIVATE_KEY_FILE"]).write_text(
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n" if case == "malformed pem"
            else other_key_pem(), encoding="utf-8")
    if case == "incomplete":
        del env["AGENT_APP_INSTALLATION_ID"]
    if case == "bad app id":
        env["AGENT_APP_ID"] = "abc"
    done = agent("fix", "123", "--repo", REPO, "--github-url", sb.url, **env)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and says in lines[0] and "Traceback" not in done.stderr
    assert sb.requests == []


def test_no_token_and_no_app_names_both_ways_to_authenticate(sb, home):
    done = agent("fix", "123", "--repo", REPO, "--github-url", sb.url)
    assert done.returncode == 2
    assert "--token" in done.stderr and "AGENT_APP_PRIVATE_KEY_FILE" in done.stderr
