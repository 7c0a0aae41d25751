"""Test-wide guards: no outside network (only loopback), no model downloads."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("AGENT_CACHE", tempfile.mkdtemp(prefix="agent-cache-"))
os.environ.pop("ANTHROPIC_API_KEY", None)
os.environ.pop("GITHUB_TOKEN", None)

NETGUARD = Path(__file__).resolve().parent / "netguard"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(NETGUARD), os.environ.get("PYTHONPATH")) if p)
_spec = importlib.util.spec_from_file_location("agent_tests_netguard", NETGUARD / "sitecustomize.py")
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))  # the same guard here as in every child


@pytest.fixture
def repo_root():
    from agent import PROJECT_ROOT

    return PROJECT_ROOT
