"""The eval can fail: a re-run's outcome is the case's, a wrong expectation is a miss, splits are scored apart."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from agent import PROJECT_ROOT
from agent.evals import aggregate, by_split, load_cases
from agent.evals.runner import EvalRunner
from agent.sandbox import Sandbox

CASES = PROJECT_ROOT / "evals" / "cases"
RERUN_CASE = "runner-shutdown-signal"
ESCALATE_CASE = "novel-segfault-in-tests"


def copy_case(tmp_path: Path, case_id: str, edit) -> Path:
    """A copy of a real case with its case.yaml changed by `edit(doc)`."""
    dest = tmp_path / "cases" / case_id
    shutil.copytree(CASES / case_id, dest)
    doc = yaml.safe_load((dest / "case.yaml").read_text(encoding="utf-8"))
    if doc["repo"].get("base"):
        doc["repo"]["base"] = str(((CASES / case_id) / doc["repo"]["base"]).resolve())
    edit(doc)
    (dest / "case.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return dest


def run_one(case_dir: Path):
    """Run one case in its own sandbox → (result, number of attempts of its failed run)."""
    case = load_cases([case_dir])[0]
    with Sandbox(ci_delay=0.01) as sb:
        result = EvalRunner(ci_delay=0.01, ci_timeout=10).run_case(sb, case)
        runs = [run for repo in sb.state.repos.values() for run in repo.runs.values()]
        attempts = max(len(run.attempts) for run in runs)
    return result, attempts


def _set(path: str, value):
    def edit(doc: dict) -> None:
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return edit


def test_a_rerun_that_fails_again_ends_escalated_after_exactly_one_rerun(tmp_path: Path):
    def persistent(doc: dict) -> None:
        doc["ci"] = {"rerun_passes": False}
        doc["expect"]["action"] = "escalate"

    result, attempts = run_one(copy_case(tmp_path, RERUN_CASE, persistent))
    assert attempts == 2
    assert result.action == "escalate" and result.action_ok and result.status == "escalated"


def test_a_rerun_that_passes_is_scored_as_recovered(tmp_path: Path):
    result, attempts = run_one(copy_case(tmp_path, RERUN_CASE, _set("ci.rerun_passes", True)))
    assert attempts == 2 and result.action == "rerun" and result.rerun_ok is True


def test_the_agent_cannot_see_the_rerun_outcome_so_the_same_log_gets_the_same_first_action(tmp_path: Path):
    passes, _ = run_one(copy_case(tmp_path / "a", RERUN_CASE, _set("ci.rerun_passes", True)))
    fails, _ = run_one(copy_case(tmp_path / "b", RERUN_CASE, _set("ci.rerun_passes", False)))
    assert passes.category == fails.category and passes.root_cause_found == fails.root_cause_found
    assert fails.rerun_ok is False


def test_a_case_with_a_wrong_expectation_is_reported_as_a_miss(tmp_path: Path):
    result, _ = run_one(copy_case(tmp_path, ESCALATE_CASE, _set("expect.category", "toolchain")))
    assert result.category_ok is False
    assert aggregate([result])["category_accuracy"] == 0.0


def test_a_wrong_expected_fix_template_is_a_miss_on_fix_template_accuracy(tmp_path: Path):
    case_dir = copy_case(tmp_path, "pkgconf-missing-windows", _set("expect.fix", {"template": "cache_key_bump"}))
    result, _ = run_one(case_dir)
    assert result.fix_template_ok is False and aggregate([result])["fix_template_accuracy"] == 0.0


def test_splits_are_scored_separately(tmp_path: Path):
    right = copy_case(tmp_path, ESCALATE_CASE, _set("split", "dev"))
    wrong = copy_case(tmp_path / "held", RERUN_CASE, lambda doc: doc.update(
        split="held_out", expect={**doc["expect"], "category": "toolchain"}))
    results = [run_one(right)[0], run_one(wrong)[0]]
    splits = by_split(results)
    assert splits["dev"]["cases"] == 1 and splits["dev"]["category_accuracy"] == 1.0
    assert splits["held_out"]["cases"] == 1 and splits["held_out"]["category_accuracy"] == 0.0
    assert aggregate(results)["category_accuracy"] == 0.5


def test_injection_is_a_flag_of_the_case_not_of_its_id(tmp_path: Path):
    flagged = copy_case(tmp_path, ESCALATE_CASE, _set("expect.injection", True))
    plain = copy_case(tmp_path / "x", "injection-in-member-build-log", lambda doc: doc["expect"].pop("injection"))
    assert load_cases([flagged])[0].injection is True
    assert load_cases([plain])[0].injection is False
