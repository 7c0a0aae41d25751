"""`agent triage` starts lean: only its own command module, no click, no heavy libraries; help lists everything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.cli.app import COMMAND_HOMES
from agent.models import Action, Category, Diagnosis, FailedStep, KnownIssueRef

HEAVY = ("click", "chromadb", "sentence_transformers", "torch", "anthropic", "github", "httpx", "requests", "jinja2",
         "mcp", "rich")
"""Libraries `agent triage` never needs (Typer ≥ 0.29 vendors click; rich only draws help and progress on a tty)."""

PROBE = """
import json, sys
from agent.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
finally:
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(args: list[str], tmp_path: Path) -> tuple[str, set[str]]:
    """(stdout, the modules imported) of the CLI run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, check=False)
    return done.stdout, set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_triage_imports_only_its_own_command_module_and_no_heavy_library(tmp_path):
    log = tmp_path / "job.log"
    log.write_text("$ make\nsrc/a.c:3:1: error: 'frame' undeclared (first use in this function)\n"
                   "make: *** [all] Error 1\n", encoding="utf-8")
    out, modules = _modules_after(["triage", str(log), "--json"], tmp_path)
    assert json.loads(out)["category"]
    commands = {name for name in modules if name.startswith("agent.cli.")}
    assert commands == {"agent.cli.app", "agent.cli.triage"}
    assert not [name for name in HEAVY if name in modules]
    assert not {"agent.rag.index", "agent.rag.vectors"} & modules  # the BM25 table only, no hybrid index


def test_help_still_lists_every_command(tmp_path):
    out, _ = _modules_after(["--help"], tmp_path)
    for command in COMMAND_HOMES:
        assert f" {command} " in out, command


def test_diagnosis_json_keeps_its_field_order_and_shape():
    diagnosis = Diagnosis(signature="abc", category=Category.network, proposed_action=Action.rerun,
                          known_issue=KnownIssueRef(id="dns", confidence=0.9),
                          root_cause_lines=["Could not resolve host: github.com"],
                          failed_steps=[FailedStep(job="build", step="Run make")])
    assert diagnosis.model_dump_json() == (
        '{"signature":"abc","category":"network","known_issue":{"id":"dns","confidence":0.9},"title":null,'
        '"proposed_action":"rerun","fix":null,"known_wrong_fixes":[],'
        '"root_cause_lines":["Could not resolve host: github.com"],"excerpt":"",'
        '"failed_steps":[{"job":"build","step":"Run make"}],"redactions":0,"truncated_bytes":0,"guides":[]}')


def test_the_executable_skips_teardown_only_after_flushing_everything(tmp_path):
    """`agent triage` ends with os._exit(0): its whole output must still reach a file, and errors keep their code."""
    log = tmp_path / "job.log"
    log.write_text("".join(f"step {i}: compiling unit {i}\n" for i in range(3000))
                   + "src/a.c:3:1: error: 'frame' undeclared (first use in this function)\nmake: *** [all] Error 1\n",
                   encoding="utf-8")
    out = tmp_path / "out.json"
    with out.open("w") as sink:
        done = subprocess.run([sys.executable, "-m", "agent.cli.app", "triage", str(log), "--json"], stdout=sink,
                              stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["category"] == "compile_error"
    missing = subprocess.run([sys.executable, "-m", "agent.cli.app", "triage", str(tmp_path / "nope.log")],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert missing.returncode == 2 and missing.stderr.startswith("error: ")
