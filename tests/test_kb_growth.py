"""The kb growth replay: every human fix of the six-week sandbox history yields an entry that passes kb test."""

from __future__ import annotations

from evals.bench.kb_growth import run_seed
from evals.bench.kb_growth_history import KINDS


def test_every_human_fix_in_the_replayed_history_yields_an_entry_that_passes_kb_test_against_history(monkeypatch,
                                                                                                      tmp_path):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))  # run_seed sets its own; restored after the test
    monkeypatch.setenv("AGENT_GUIDES", str(tmp_path))
    report = run_seed(17)
    fixed = {name for _, name, _ in report["fixed"]}
    assert {e["kind"] for e in report["entries"]} == fixed and report["not_learned"] == {}
    assert all(e["kb_test_pass"] for e in report["entries"])
    for entry in report["entries"]:
        shape = KINDS[entry["kind"]].fix.shape
        assert entry["proposed_fix"] == (shape if shape != "other" else "diff"), entry["kind"]
        assert entry["learned"]["false"] == 0
