"""Shared builders for the executor tests: ApraPipes-shaped sandbox repos, failed runs, pipelines."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.github import GitHub, RetryPolicy
from agent.github.retry import Retrier
from agent.pipeline import Pipeline
from agent.policy import load_policy
from agent.sandbox import Sandbox
from agent.store import Store
from evals import case_repo
from evals.synth import StepSpec, run_layout

REPO = "Apra-Labs/ApraPipes"
CONTAINER_WF = ".github/workflows/build-test-lin-container.yml"
BUILD_WF = ".github/workflows/build-test.yml"
OLD_IMAGE = "nvidia/cuda:11.8.0-devel-ubuntu18.04"
NEW_IMAGE = "nvidia/cuda:11.8.0-devel-ubuntu22.04"
GLIBC = ("/__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found "
         "(required by /__e/node20/bin/node)")
GLIBC_FIXED = [{"file": CONTAINER_WF, "matches": r"ubuntu2[02]\.04"},
               {"file": CONTAINER_WF, "not_contains": "upload-artifact@v3"}]
SFML_LINES = ["CMake Error at vcpkg_installed/x64-windows/share/sfml/SFMLConfig.cmake:139 (message):",
              "  Unsupported SFML component: system"]
SFML_FIXED = [{"file": "base/vcpkg.json", "matches": r'"name":\s*"sfml",\s*"version":\s*"2\.6\.2"'}]
MEMBER = {"login": "dev1", "association": "MEMBER"}
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def repo_files(old_image: bool = True) -> dict[str, str]:
    """The ApraPipes-shaped repository, its container job on Ubuntu 18.04 when `old_image`."""
    files = case_repo.base_files()
    if old_image:
        files[CONTAINER_WF] = files[CONTAINER_WF].replace("ubuntu22.04", "ubuntu18.04")
    return files


def glibc_logs(extra: list[str] | None = None, seed: int = 7) -> dict[str, str]:
    checkout = StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4", lines=[GLIBC, *(extra or [])],
                        failed=True)
    steps = {"build": [checkout, StepSpec(name="Build", command="cmake --build build", noise=50, failed=False)]}
    return run_layout(steps, workflow=CONTAINER_WF, container=OLD_IMAGE, seed=seed)


def failure_logs(lines: list[str], step: str = "Build", seed: int = 3, labels: str = "ubuntu-22.04") -> dict[str, str]:
    steps = {"build": [StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4"),
                       StepSpec(name=step, command="cmake --build build", lines=lines, noise=60, failed=True)]}
    return run_layout(steps, workflow=BUILD_WF, seed=seed, labels=labels)


def add_glibc_repo(sb: Sandbox, name: str = REPO, fixed_when=None, actor=None, **kw) -> int:
    """A repo whose container build fails with GLIBC_2.28 not found; → the failed run's id."""
    sb.add_repo(name, files=repo_files())
    return sb.add_failed_run(name, workflow=CONTAINER_WF, name="CI-Linux-CUDA-Docker", logs=glibc_logs(),
                             fixed_when=GLIBC_FIXED if fixed_when is None else fixed_when, actor=actor or MEMBER,
                             **kw)


def add_sfml_repo(sb: Sandbox, name: str = REPO) -> int:
    """A repo whose Windows build fails on SFML 3 (known issue at 0.85: a PR for a human)."""
    sb.add_repo(name, files=repo_files(old_image=False))
    return sb.add_failed_run(name, workflow=".github/workflows/CI-Windows.yml", name="CI-Windows",
                             logs=failure_logs(SFML_LINES, labels="windows-latest"), fixed_when=SFML_FIXED,
                             actor=MEMBER)


NOVEL = [("/home/runner/work/ApraPipes/base/src/Frobnicator.cpp:88: fatal: the frobnicator quantum flux "
          "capacitor is misaligned (code 7734)")]


def add_novel_run(sb: Sandbox, name: str = REPO, new_repo: bool = True, files: dict | None = None) -> int:
    """A failure no known issue describes."""
    if new_repo:
        sb.add_repo(name, files=files or repo_files(old_image=False))
    return sb.add_failed_run(name, workflow=".github/workflows/CI-Linux.yml", name="CI-Linux",
                             logs=failure_logs(NOVEL), actor=MEMBER)


def client(sb: Sandbox, max_total_wait: float = 30.0) -> GitHub:
    """A GitHub client for the sandbox with short retry waits."""
    policy = RetryPolicy(max_attempts=4, max_total_wait=max_total_wait, backoff_base=0.05, backoff_cap=0.2,
                         secondary_min_wait=0.2)
    return GitHub(base_url=sb.url, token=sb.token, retrier=Retrier(policy))


def policy_with(**sections) -> object:
    """policies.yaml with some sections' fields replaced, e.g. rate_limits={"prs_per_hour": 50}."""
    policy = load_policy()
    updates = {name: getattr(policy, name).model_copy(update=fields) if isinstance(fields, dict) else fields
               for name, fields in sections.items()}
    return policy.model_copy(update=updates)


def pipeline(sb: Sandbox, home: Path, policy=None, **kw) -> Pipeline:
    """A pipeline over the sandbox with a store under `home` and quick CI polling."""
    kw.setdefault("verify_timeout", 10.0)
    kw.setdefault("poll_interval", 0.05)
    return Pipeline(client(sb), Store(home / "agent.db"), policy or load_policy(), **kw)


def writes(sb: Sandbox) -> list[tuple[str, str]]:
    """Every mutating request the sandbox answered (or dropped)."""
    return [(r.method, r.path) for r in sb.requests if r.method in WRITES]


def pulls(sb: Sandbox, name: str = REPO) -> list:
    return list(sb.repo(name).pulls.values())


def issues(sb: Sandbox, name: str = REPO) -> list:
    return [i for i in sb.repo(name).issues.values() if not i.is_pull]


KNOWN_ISSUES = """version: 1
issues:
  - id: glibc-node20-old-container
    title: Node 20 actions cannot start inside an Ubuntu 18.04 container
    category: container_incompatible
    patterns: ['version `GLIBC_2\\.28'' not found']
    severity: high
    confidence: 0.95
    fix: {template: container_image, params: {image: "nvidia/cuda:11.8.0-devel-ubuntu22.04"}}
    guide: troubleshooting.containers.md#glibc-228-not-found
    known_wrong_fixes:
      - {template: action_version, params: {action: actions/upload-artifact, version: v3}}
  - id: sfml-3-breaks-build
    title: SFML 3 drops the system component
    category: dependency_version
    patterns: ['Unsupported SFML component: system']
    severity: medium
    confidence: 0.85
    fix: {template: vcpkg_override, params: {name: sfml, version: "2.6.2"}}
    guide: troubleshooting.windows.md#sfml-3-breaks-the-build
  - id: network-reset
    title: The connection was reset while downloading
    category: network
    patterns: ['Connection reset by peer']
    severity: low
    confidence: 0.7
"""
"""A pinned known-issue DB, so these tests do not move with guides/known-issues.yaml."""


@pytest.fixture
def home(tmp_path, monkeypatch):
    """AGENT_HOME in a temporary directory with a pinned known-issue DB, no kill switch, no Slack."""
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    guides = tmp_path / "guides"
    guides.mkdir()
    (guides / "known-issues.yaml").write_text(KNOWN_ISSUES, encoding="utf-8")
    monkeypatch.setenv("AGENT_GUIDES", str(guides))
    monkeypatch.delenv("AGENT_KILL_SWITCH", raising=False)
    monkeypatch.delenv("AGENT_SLACK_WEBHOOK", raising=False)
    return tmp_path


@pytest.fixture
def sb():
    with Sandbox(ci_delay=0.05) as sandbox:
        yield sandbox
