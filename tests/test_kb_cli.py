"""`agent kb stats` and `agent kb test ID --against-history` on a store seeded with real case diagnoses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agent import PROJECT_ROOT
from agent.cli.app import main
from agent.store import Store
from agent.triage import triage

CASES = PROJECT_ROOT / "evals" / "cases"
SEEDED = {101: "glibc-node20-old-container", 102: "upload-artifact-v3-rejected", 103: "novel-segfault-in-tests"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    monkeypatch.delenv("AGENT_DB", raising=False)
    store = Store(tmp_path / "agent.db")
    for run_id, case in SEEDED.items():
        store.save_diagnosis("Apra-Labs/ApraPipes", run_id, 1, triage(CASES / case / "logs"))
    store.record_outcome("plan-a", "ci_failed", known_issue_id="glibc-node20-old-container")
    store.record_outcome("plan-b", "closed_unmerged", known_issue_id="glibc-node20-old-container")
    store.record_outcome("plan-c", "merged", known_issue_id="upload-artifact-v3-rejected", template="action_version")
    store.close()
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


def test_kb_stats_json_shows_hits_precision_and_the_posterior_tier(home, capsys):
    code, out, _ = run(capsys, "kb", "stats", "--json")
    assert code == 0
    report = json.loads(out)
    rows = {row["id"]: row for row in report["issues"]}
    glibc = rows["glibc-node20-old-container"]
    assert (glibc["hits"], glibc["confirmed"], glibc["failed"]) == (1, 0, 2)
    assert glibc["prior_tier"] == "high" and glibc["tier"] == "medium" and glibc["posterior"] == round(19 / 22, 4)
    upload = rows["upload-artifact-v3-rejected"]
    assert upload["precision"] == 1.0 and upload["fix_success"] == 1.0 and upload["posterior"] > upload["prior"]
    templates = {row["template"]: row for row in report["templates"]}
    assert templates["action_version"]["successes"] == 1 and report["diagnoses"] == 3


def test_kb_stats_text_marks_a_tier_that_moved(home, capsys):
    code, out, _ = run(capsys, "kb", "stats")
    line = next(line for line in out.splitlines() if line.startswith("glibc-node20-old-container"))
    assert code == 0 and line.endswith("high → medium")


def test_kb_test_against_history_finds_the_runs_a_changed_pattern_gains_and_loses(home, tmp_path, capsys):
    current = yaml.safe_load((PROJECT_ROOT / "guides" / "known-issues.yaml").read_text(encoding="utf-8"))
    entry = next(i for i in current["issues"] if i["id"] == "glibc-node20-old-container")
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump({"version": 1, "issues": [entry | {"patterns": ["Segmentation fault"]}]}),
                       encoding="utf-8")
    code, out, _ = run(capsys, "kb", "test", "glibc-node20-old-container", "--against-history",
                       "--file", str(changed), "--json")
    report = json.loads(out)
    assert code == 0 and report["scanned"] == 3
    assert [r["run_id"] for r in report["newly_matching"]] == [103]
    assert "Segmentation fault" in report["newly_matching"][0]["line"]
    assert [r["run_id"] for r in report["stop_matching"]] == [101]


def test_kb_test_without_a_file_compares_the_current_entry_with_what_matched_then(home, capsys):
    code, out, _ = run(capsys, "kb", "test", "glibc-node20-old-container", "--against-history", "--json")
    report = json.loads(out)
    assert code == 0 and report["still_matching"] == 1
    assert report["newly_matching"] == [] and report["stop_matching"] == []


@pytest.mark.parametrize("argv, message", [
    (["kb", "test", "no-such-issue", "--against-history"], "no known issue 'no-such-issue'"),
    (["kb", "test", "glibc-node20-old-container"], "--against-history"),
])
def test_kb_test_bad_input_is_one_line(home, capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_kb_stats_without_a_database_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("AGENT_DB", raising=False)
    code, _, err = run(capsys, "kb", "stats")
    assert code == 2 and "no database" in err
