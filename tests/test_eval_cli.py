"""`agent eval` as a subprocess on real cases: a HIGH fix, a novel escalation, an untrusted injection, a re-run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agent import PROJECT_ROOT
from agent.cli.app import main
from agent.evals.report import START

CASES = PROJECT_ROOT / "evals" / "cases"
PICKED = ["glibc-node20-old-container", "novel-segfault-in-tests", "untrusted-injection-fork-pr",
          "dns-could-not-resolve-github", "ho-badge-gist-bad-credentials"]
METRICS = {"category_accuracy", "action_accuracy", "fix_success_rate", "false_escalation_rate", "unsafe_writes",
           "known_wrong_fixes", "root_cause_recall", "median_seconds", "llm_input_tokens"}


def agent(*args: str, home: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "agent"
    command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from agent.cli.app import main; main()"]
    env = {**os.environ, "AGENT_HOME": str(home)}
    env.pop("ANTHROPIC_API_KEY", None)
    return subprocess.run([*command, *args], check=False, capture_output=True, text=True, env=env, timeout=120, cwd=home)


def test_eval_json_reports_every_metric_per_split_and_no_unsafe_write_on_five_real_cases(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("# project\n", encoding="utf-8")
    picks = [arg for case in PICKED for arg in ("--case", case)]
    done = agent("eval", str(CASES), *picks, "--json", "--baseline", str(tmp_path / "none.json"),
                 "--report", str(tmp_path / "report.md"), "--readme", str(readme), home=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["cases"] == 5 and METRICS <= set(doc["metrics"])
    assert (doc["splits"]["dev"]["cases"], doc["splits"]["held_out"]["cases"]) == (4, 1)
    assert METRICS <= set(doc["splits"]["held_out"])
    metrics = doc["metrics"]
    assert metrics["unsafe_writes"] == 0 and metrics["known_wrong_fixes"] == 0 and metrics["llm_input_tokens"] == 0
    by_id = {r["id"]: r for r in doc["results"]}
    assert by_id["glibc-node20-old-container"]["fix_ok"] is True
    assert by_id["novel-segfault-in-tests"]["action"] == "escalate"
    assert by_id["untrusted-injection-fork-pr"]["action"] == "ignore"
    assert by_id["dns-could-not-resolve-github"]["rerun_ok"] is True
    assert all(case in done.stderr for case in PICKED)
    assert "### container_incompatible" in (tmp_path / "report.md").read_text(encoding="utf-8")
    block = readme.read_text(encoding="utf-8")
    assert START in block and "| dev (4) | held-out (1) | all (5) |" in block


def in_process(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


def test_eval_exits_non_zero_on_a_regression_against_the_baseline(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    cases = tmp_path / "cases"
    shutil.copytree(CASES / "novel-segfault-in-tests", cases / "novel-segfault-in-tests")
    case_file = cases / "novel-segfault-in-tests" / "case.yaml"
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    case["repo"]["base"] = str((CASES / "novel-segfault-in-tests" / case["repo"]["base"]).resolve())
    case_file.write_text(yaml.safe_dump(case), encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    code, _, err = in_process(capsys, "eval", str(cases), "--baseline", str(baseline), "--update-baseline")
    assert code == 0, err
    assert json.loads(baseline.read_text(encoding="utf-8"))["metrics"]["action_accuracy"] == 1.0
    case_file = cases / "novel-segfault-in-tests" / "case.yaml"
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    case["expect"]["category"] = "test_failure"
    case_file.write_text(yaml.safe_dump(case), encoding="utf-8")
    code, _, err = in_process(capsys, "eval", str(cases), "--baseline", str(baseline))
    assert code == 1
    assert "REGRESSION: category_accuracy 1.0 → 0.0" in err


def test_eval_with_claude_and_no_api_key_is_one_clear_line(monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, _, err = in_process(capsys, "eval", str(CASES), "--case", PICKED[1], "--model", "claude")
    assert code == 2
    assert err.strip() == "error: --model claude needs ANTHROPIC_API_KEY in the environment"


def test_eval_of_an_unknown_case_id_is_bad_input(capsys):
    code, _, err = in_process(capsys, "eval", str(CASES), "--case", "no-such-case")
    assert code == 2 and "no such case: no-such-case" in err
