"""A normal install works: the wheel carries the known-issue DB, guides, prompts, default policy and demo cases,
and `agent demo`, `agent triage` and `agent policy check` run from an empty directory with nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from agent import PROJECT_ROOT, __version__

SOURCES = ["agent", "tools", "guides", "prompts", "policies.yaml", "pyproject.toml", "setup.py", "README.md",
           "evals/cases/glibc-node20-old-container", "evals/cases/sfml-3-component-system",
           "evals/cases/novel-ci-script-keyerror", "evals/upstream/aprapipes"]
"""What the build reads: a copy, so building never writes build/ or egg-info into the working tree."""
GLIBC_LOG = ("2025-01-01T00:00:00.0000000Z ##[group]Run actions/checkout@v4\n"
             "2025-01-01T00:00:01.0000000Z /__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version "
             "`GLIBC_2.28' not found (required by /__e/node20/bin/node)\n"
             "2025-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 1.\n")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built offline from a copy of the source, installed alone (--no-deps) into its own directory."""
    root = tmp_path_factory.mktemp("install")
    source, wheels, target = root / "src", root / "wheels", root / "site"
    for name in SOURCES:
        origin = PROJECT_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif origin.exists():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels),
                    str(source)], check=True, capture_output=True, timeout=600)
    wheel = next(wheels.glob("devops_agent-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)], check=True,
                   capture_output=True, timeout=600)
    return target


def run_installed(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`agent ARGS` with the installed package first on the path (dependencies from this interpreter's venv)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("AGENT_POLICIES", "AGENT_GUIDES", "AGENT_DB", "GITHUB_TOKEN", "AGENT_DEBUG")}
    env |= {"PYTHONPATH": os.pathsep.join([str(site), env.get("PYTHONPATH", "")]), "AGENT_HOME": str(cwd / ".home")}
    command = [sys.executable, "-c", "from agent.cli.app import main; main()", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def empty_dir(tmp_path) -> Path:
    work = tmp_path / "empty"
    work.mkdir()
    return work


def test_the_wheel_carries_the_data_the_agent_reads(installed):
    data = installed / "agent" / "_data"
    for name in ("guides/known-issues.yaml", "guides/troubleshooting.containers.md", "prompts/system.md.j2",
                 "policies.yaml", "evals/cases/glibc-node20-old-container/case.yaml"):
        assert (data / name).is_file(), name
    wheel_names = zipfile.ZipFile(next(installed.parent.glob("wheels/*.whl"))).namelist()
    assert "agent/_data/guides/known-issues.yaml" in wheel_names


def test_the_installed_package_is_the_one_that_runs(installed, empty_dir):
    done = run_installed(installed, empty_dir, "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"devops-agent {__version__}"
    where = subprocess.run([sys.executable, "-c", "import agent; print(agent.__file__)"], capture_output=True,
                           text=True, env={**os.environ, "PYTHONPATH": str(installed)}, cwd=empty_dir, check=True)
    assert where.stdout.strip().startswith(str(installed))


def test_policy_check_from_an_empty_directory_reads_the_packaged_default(installed, empty_dir):
    done = run_installed(installed, empty_dir, "policy", "check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(installed / "agent" / "_data" / "policies.yaml"))
    assert "(packaged default)" in done.stdout


def test_triage_from_an_empty_directory_finds_the_known_issue(installed, empty_dir, tmp_path):
    log = tmp_path / "job.log"
    log.write_text(GLIBC_LOG, encoding="utf-8")
    done = run_installed(installed, empty_dir, "triage", str(log), "--json")
    assert done.returncode == 0, done.stderr
    assert "glibc-node20-old-container" in done.stdout


def test_demo_from_an_empty_directory_runs_end_to_end(installed, empty_dir):
    done = run_installed(installed, empty_dir, "demo", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"ok": true' in done.stdout
    assert {path.name for path in empty_dir.iterdir()} <= {".home"}  # nothing written to the working directory
