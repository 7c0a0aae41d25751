"""The three ways to run the agent ship valid files: the GitHub Action, the container image, the systemd unit."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(row.split(None, 1)[0].upper(), row.split(None, 1)[1] if " " in row else "") for row in rows]


@pytest.mark.parametrize(("path", "schema"), [("action.yml", "vendor.github-actions"),
                                              ("examples/devops-agent.yml", "vendor.github-workflows")])
def test_action_and_example_workflow_pass_the_builtin_schema(path, schema):
    done = subprocess.run([tool("check-jsonschema"), "--builtin-schema", schema, str(ROOT / path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_and_example_workflow_have_no_zizmor_finding():
    done = subprocess.run([tool("zizmor"), "--offline", "--format", "json", str(ROOT / "action.yml"),
                           str(ROOT / "examples/devops-agent.yml")], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout or "[]") == []


def test_action_passes_inputs_to_scripts_through_env_never_by_expression():
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    scripts = [step["run"] for step in action["runs"]["steps"] if "run" in step]
    assert scripts and not any("${{" in script for script in scripts)
    assert all(re.fullmatch(r"[^@]+@[0-9a-f]{40}", step["uses"]) for step in action["runs"]["steps"] if "uses" in step)


def test_action_installs_the_cpu_torch_pin_and_runs_the_agent_action_command():
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert "torch==2.13.0" in action and "download.pytorch.org/whl/cpu" in action
    assert re.search(r"^\s*agent action\b", action, re.MULTILINE)


def test_example_workflow_triggers_on_completed_runs_with_read_only_permissions():
    flow = yaml.safe_load((ROOT / "examples/devops-agent.yml").read_text(encoding="utf-8"))
    trigger = flow[True]["workflow_run"]  # PyYAML reads the key `on` as True
    assert trigger["types"] == ["completed"] and trigger["workflows"]
    assert flow["permissions"] == {}
    for job in flow["jobs"].values():
        assert set(job["permissions"].values()) == {"read"}
        assert not any("actions/checkout" in str(step.get("uses", "")) for step in job["steps"])
    assert "GITHUB_TOKEN" in (ROOT / "examples/devops-agent.yml").read_text(encoding="utf-8")


def test_dockerfile_runs_agent_watch_as_a_non_root_user_from_the_pinned_lock():
    rows = dockerfile_instructions()
    kinds = [kind for kind, _ in rows]
    assert re.fullmatch(r"python:3\.11-slim\S*", rows[0][1]) and kinds[0] == "FROM"
    user = [args for kind, args in rows if kind == "USER"]
    assert user and not user[-1].startswith(("root", "0"))
    assert kinds.index("USER") < kinds.index("ENTRYPOINT")
    runs = " ".join(args for kind, args in rows if kind == "RUN")
    assert "torch==2.13.0" in runs and "-r requirements.lock" in runs
    entry = json.loads(dict(rows)["ENTRYPOINT"])
    assert entry[:2] == ["agent", "watch"]
    port = entry[entry.index("--webhook-port") + 1]
    assert dict(rows)["EXPOSE"] == port and "0.0.0.0" in entry


def test_dockerfile_copies_only_paths_that_exist():
    for kind, args in dockerfile_instructions():
        if kind == "COPY":
            for source in shlex.split(args)[:-1]:
                assert (ROOT / source).exists(), source


def test_compose_keeps_agent_home_on_a_volume_and_the_port_on_localhost():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["devops-agent"]
    home = re.search(r"AGENT_HOME=(\S+)", (ROOT / "Dockerfile").read_text(encoding="utf-8")).group(1)
    assert any(volume.split(":")[1] == home for volume in service["volumes"])
    assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    assert service["volumes"][0].split(":")[0] in compose["volumes"]


def test_systemd_unit_runs_the_daemon_unprivileged_with_its_state_directory():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(ROOT / "examples/devops-agent.service", encoding="utf-8")
    service = unit["Service"]
    assert " watch " in service["ExecStart"] and service["User"] not in ("root", "0")
    assert "AGENT_HOME=/var/lib/devops-agent" in service["Environment"].split()
    assert service["StateDirectory"] == "devops-agent"
    assert service["Restart"] == "on-failure"


def docker_engine() -> bool:
    docker = shutil.which("docker")
    if not docker:
        return False
    return subprocess.run([docker, "info"], capture_output=True, timeout=30, check=False).returncode == 0


@pytest.mark.skipif(not docker_engine(), reason="no Docker engine on this machine (the client alone cannot build)")
def test_the_image_builds_and_its_agent_answers(tmp_path):
    tag = "devops-agent-test:latest"
    built = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=3600,
                           check=False)
    assert built.returncode == 0, built.stderr[-2000:]
    ran = subprocess.run(["docker", "run", "--rm", "--entrypoint", "agent", tag, "--help"], capture_output=True,
                         text=True, timeout=120, check=False)
    assert ran.returncode == 0 and "watch" in ran.stdout
