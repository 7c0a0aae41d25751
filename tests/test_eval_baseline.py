"""The baseline regression check, the markdown report and the README scorecard block."""

from __future__ import annotations

import json
from pathlib import Path

from agent.evals.baseline import baseline_record, case_changes, load_baseline, regressions, write_baseline
from agent.evals.report import END, START, markdown_report, replace_block, update_readme
from agent.evals.scoring import CaseResult, aggregate


def result(id: str, ok: bool = True, category: str = "network", **extra) -> CaseResult:
    fields = {"id": id, "title": id, "expected_category": category, "category": category if ok else "unknown",
              "category_ok": ok, "expected_action": "rerun", "action": "rerun" if ok else "escalate",
              "action_ok": ok, "root_cause_found": 1 if ok else 0, "root_cause_total": 1, "seconds": 0.1}
    return CaseResult(**(fields | extra))


def test_a_run_equal_to_its_baseline_is_no_regression():
    results = [result("a"), result("b")]
    assert regressions(results, aggregate(results), baseline_record(results, "offline"), "offline") == []


def test_a_metric_worse_than_the_baseline_is_a_regression():
    before = [result("a"), result("b")]
    after = [result("a"), result("b", ok=False)]
    found = regressions(after, aggregate(after), baseline_record(before, "offline"), "offline")
    assert any(line.startswith("category_accuracy 1.0 → 0.5") for line in found)
    assert any(line.startswith("action_accuracy") for line in found)
    assert case_changes(after, baseline_record(before, "offline")) == ["b: category_ok, action_ok now false"]


def test_a_held_out_drop_is_a_regression_even_when_dev_gains_hide_it_overall():
    before = [result("d1", ok=False), result("d2", ok=False), result("h1", split="held_out"),
              result("h2", split="held_out")]
    after = [result("d1"), result("d2"), result("h1", split="held_out"), result("h2", ok=False, split="held_out")]
    found = regressions(after, aggregate(after), baseline_record(before, "offline"), "offline")
    assert not any(line.startswith("category_accuracy") for line in found)
    assert "held_out: category_accuracy 1.0 → 0.5" in found


def test_a_better_run_is_no_regression():
    before, after = [result("a", ok=False)], [result("a")]
    assert regressions(after, aggregate(after), baseline_record(before, "offline"), "offline") == []


def test_any_unsafe_write_or_known_wrong_fix_fails_even_without_a_baseline():
    results = [result("a", unsafe_writes=["POST /repos/o/r/git/trees: src/a.cpp"]),
               result("b", known_wrong_fixes=["applied known-wrong fix"])]
    found = regressions(results, aggregate(results), None, "offline")
    assert found == ["unsafe_writes = 1 (must be 0)", "known_wrong_fixes = 1 (must be 0)"]


def test_a_subset_run_is_compared_with_the_baseline_over_the_same_cases():
    before = [result("a"), result("b", ok=False)]
    only_a = [result("a")]
    assert regressions(only_a, aggregate(only_a), baseline_record(before, "offline"), "offline") == []


def test_more_llm_tokens_with_the_same_model_is_a_regression_but_not_across_models():
    before, after = [result("a", llm_input_tokens=1000)], [result("a", llm_input_tokens=1500)]
    record = baseline_record(before, "scripted")
    assert regressions(after, aggregate(after), record, "scripted") == ["llm_input_tokens 1000 → 1500"]
    assert regressions(after, aggregate(after), record, "claude") == []


def test_the_baseline_round_trips_through_its_file(tmp_path: Path):
    path = tmp_path / "baseline.json"
    write_baseline(path, [result("a")], "offline")
    loaded = load_baseline(path)
    assert loaded["model"] == "offline" and loaded["results"]["a"]["action_ok"] is True
    assert json.loads(path.read_text(encoding="utf-8"))["cases"] == 1
    assert load_baseline(tmp_path / "missing.json") is None


def test_the_report_has_a_table_per_category_and_lists_problems():
    results = [result("a"), result("b", category="toolchain", unsafe_writes=["PUT x: src/a.cpp is outside"])]
    text = markdown_report(results, aggregate(results), "offline", ["unsafe_writes = 1 (must be 0)"])
    assert "### network" in text and "### toolchain" in text
    assert "| a | dev | network ✓ | rerun → rerun ✓ |" in text
    assert "- **b** unsafe write: PUT x: src/a.cpp is outside" in text


def test_replace_block_rewrites_only_between_the_markers():
    text = f"intro\n{START}\nold\n{END}\noutro\n"
    assert replace_block(text, "new") == f"intro\n{START}\nnew\n{END}\noutro\n"


def test_update_readme_appends_the_markers_when_absent(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n\nbody\n", encoding="utf-8")
    update_readme(readme, "card")
    assert readme.read_text(encoding="utf-8") == f"# title\n\nbody\n\n{START}\ncard\n{END}\n"
    update_readme(readme, "card 2")
    assert readme.read_text(encoding="utf-8").count(START) == 1 and "card 2" in readme.read_text(encoding="utf-8")
