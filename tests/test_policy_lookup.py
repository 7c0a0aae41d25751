"""Which policies file is in force (--policies, $AGENT_POLICIES, ./, $AGENT_HOME, packaged), and empty files refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.config import default_policies_path
from agent.errors import ConfigError
from agent.policy.lookup import load_configured_policy, policy_source

EMPTY_SHAPES = {
    "empty": "",
    "comments only": "# nothing here yet\n# rate_limits: {}\n",
    "tilde": "~\n",
    "null": "null\n",
    "empty mapping": "{}\n",
    "a list": "- rate_limits\n",
    "a string": "permissive\n",
}


def policy_file(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"version: '{version}'\n", encoding="utf-8")
    return path


@pytest.fixture
def places(tmp_path, monkeypatch):
    """An empty working directory and AGENT_HOME, no $AGENT_POLICIES."""
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("AGENT_HOME", str(home))
    monkeypatch.delenv("AGENT_POLICIES", raising=False)
    return work, home


def test_the_packaged_default_is_used_when_nothing_else_is_there(places):
    assert policy_source() == (default_policies_path(), "packaged default")


def test_each_step_of_the_lookup_wins_over_the_ones_after_it(places, monkeypatch, tmp_path):
    work, home = places
    policy_file(home / "policies.yaml", "home")
    assert load_configured_policy(quiet=True).version == "home"
    policy_file(work / "policies.yaml", "cwd")
    assert load_configured_policy(quiet=True).version == "cwd"
    monkeypatch.setenv("AGENT_POLICIES", str(policy_file(tmp_path / "env.yaml", "env")))
    assert load_configured_policy(quiet=True).version == "env"
    explicit = policy_file(tmp_path / "flag.yaml", "flag")
    assert load_configured_policy(explicit, quiet=True).version == "flag"
    assert policy_source(explicit)[1] == "--policies"


def test_the_file_in_force_is_named_on_stderr(places, capsys):
    policy_file(places[1] / "policies.yaml", "home")
    load_configured_policy()
    assert capsys.readouterr().err.strip() == f"policy: {places[1] / 'policies.yaml'} ($AGENT_HOME/policies.yaml)"


def test_a_named_policies_file_that_is_missing_is_an_error_not_the_default(places, monkeypatch, tmp_path):
    monkeypatch.setenv("AGENT_POLICIES", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_configured_policy(quiet=True)


@pytest.mark.parametrize("text", EMPTY_SHAPES.values(), ids=EMPTY_SHAPES.keys())
def test_a_policy_that_states_nothing_is_refused(places, text):
    (places[0] / "policies.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_configured_policy(quiet=True)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text", EMPTY_SHAPES.values(), ids=EMPTY_SHAPES.keys())
def test_policy_check_exits_2_on_a_policy_that_states_nothing(tmp_path, text):
    path = tmp_path / "policies.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", "from agent.cli.app import main; main()", "policy", "check"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "AGENT_HOME": str(tmp_path / "home")})
    assert done.returncode == 2, done.stdout
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
