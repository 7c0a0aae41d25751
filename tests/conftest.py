"""Test-wide guards: no outside network (only loopback), no model downloads."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

# Hermetic against the machine running the suite (a CI runner sets CI, GITHUB_*, maybe tokens): no setting
# of ours, GitHub's or Anthropic's leaks in, and nothing forces colour codes into the output tests read.
for _name in [n for n in os.environ if n.startswith(("AGENT_", "GITHUB_", "ANTHROPIC_")) and n != "AGENT_CACHE"]:
    os.environ.pop(_name)
for _name in ("GH_TOKEN", "CLICOLOR_FORCE", "FORCE_COLOR"):
    os.environ.pop(_name, None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("AGENT_CACHE", tempfile.mkdtemp(prefix="agent-cache-"))

NETGUARD = Path(__file__).resolve().parent / "netguard"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(NETGUARD), os.environ.get("PYTHONPATH")) if p)
_spec = importlib.util.spec_from_file_location("agent_tests_netguard", NETGUARD / "sitecustomize.py")
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))  # the same guard here as in every child


@pytest.fixture
def repo_root():
    from agent import PROJECT_ROOT

    return PROJECT_ROOT
