"""`agent triage` through the installed console script: JSON contract, human summary, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.synth import StepSpec, run_zip_bytes

AGENT = str(Path(sys.executable).parent / "agent")
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS = "ASIA" + "QX7ZK2M4N6P8R0T2"


def _agent(*args: str, input: bytes | None = None, home: Path, **extra_env: str) -> subprocess.CompletedProcess:
    env = {"PATH": str(Path(sys.executable).parent), "AGENT_HOME": str(home), "HOME": str(home), **extra_env}
    return subprocess.run([AGENT, *args], input=input, capture_output=True, timeout=120, env=env, check=False)


@pytest.fixture
def run_zip(tmp_path) -> Path:
    lines = [f"remote: Invalid username or password for https://x-access-token:{TOKEN}@github.com/Apra-Labs/ApraPipes",
             f"export AWS_ACCESS_KEY_ID={AWS}", "fatal: write error: No space left on device"]
    path = tmp_path / "logs.zip"
    path.write_bytes(run_zip_bytes({"build": [StepSpec(name="Build", lines=lines, noise=100, failed=True)]}))
    return path


def test_json_output_has_the_contract_fields_and_no_raw_secret(run_zip, tmp_path):
    done = _agent("triage", str(run_zip), "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")
    assert TOKEN not in out and AWS not in out
    data = json.loads(out)
    for key in ("signature", "category", "known_issue", "proposed_action", "fix", "root_cause_lines", "excerpt",
                "failed_steps", "redactions"):
        assert key in data
    assert data["category"] == "disk_space" and data["redactions"] >= 2
    assert data["failed_steps"] == [{"job": "build", "step": "Build"}]
    assert "[REDACTED:" in data["excerpt"]


def test_human_output_is_a_short_summary(run_zip, tmp_path):
    done = _agent("triage", str(run_zip), home=tmp_path)
    text = done.stdout.decode("utf-8")
    assert done.returncode == 0
    assert "category:        disk_space" in text and "proposed action:" in text and "No space left on device" in text
    assert "\nguides:          troubleshooting." in text
    assert TOKEN not in text


def test_stdin_is_accepted_as_a_dash(run_zip, tmp_path):
    done = _agent("triage", "-", "--json", input=run_zip.read_bytes(), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["category"] == "disk_space"


@pytest.mark.parametrize("name, payload", [
    ("missing.zip", None),
    ("picture.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20),
    ("corrupt.zip", b"PK\x03\x04" + b"\x17" * 300),
    ("empty.log", b""),
    ("blank.log", b"\n\n  \n"),
])
def test_bad_input_is_one_stderr_line_and_exit_2(tmp_path, name, payload):
    path = tmp_path / name
    if payload is not None:
        path.write_bytes(payload)
    done = _agent("triage", str(path), home=tmp_path)
    err = done.stderr.decode("utf-8")
    assert done.returncode == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    assert done.stdout == b""


def test_a_repo_dir_that_is_not_a_directory_is_bad_input(run_zip, tmp_path):
    done = _agent("triage", str(run_zip), "--repo-dir", str(tmp_path / "nope"), home=tmp_path)
    assert done.returncode == 2 and b"not a directory" in done.stderr


def test_a_bad_regex_in_the_known_issue_db_is_exactly_one_stderr_line_naming_the_entry(run_zip, tmp_path):
    guides = tmp_path / "guides"
    guides.mkdir()
    (guides / "known-issues.yaml").write_text(
        "version: 1\nissues:\n  - id: broken-entry\n    title: x\n    category: unknown\n"
        "    patterns: ['(unclosed']\n    confidence: 0.5\n", encoding="utf-8")
    done = _agent("triage", str(run_zip), home=tmp_path, AGENT_GUIDES=str(guides))
    err = done.stderr.decode("utf-8")
    assert done.returncode == 2 and done.stdout == b""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "'broken-entry'" in err and "missing ): (unclosed" in err and "b'" not in err
