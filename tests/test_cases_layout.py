"""Eval cases parse, their logs are real Actions logs, and their expectations can be checked against them.

Expectations are hand-written in each case.yaml; nothing here compares them with the known-issue DB.
"""

import re
from functools import cache
from pathlib import Path

import pytest

from agent.evals.cases import SPLITS, case_from_dict
from agent.sandbox.cases import case_files, read_case, read_logs
from agent.sandbox.ci import predicate_holds

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "evals" / "cases"
CASE_DIRS = sorted(p for p in CASES_DIR.iterdir() if (p / "case.yaml").is_file()) if CASES_DIR.is_dir() else []
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z ")
REAL_TREE = ROOT / "evals" / "upstream" / "aprapipes"


@cache
def _case(case_dir: Path) -> dict:
    return read_case(case_dir)


@cache
def _logs(case_dir: Path) -> dict[str, str]:
    return {name: data.decode("utf-8") for name, data in read_logs(case_dir).items()}


def test_there_are_enough_cases_of_each_kind_and_split():
    cases = [case_from_dict(_case(d), d) for d in CASE_DIRS]
    assert sum(c.split == "held_out" for c in cases) >= 30
    assert sum(c.action == "rerun" for c in cases) >= 3
    assert any(c.action != "rerun" and c.category in ("network", "runner") for c in cases)
    assert sum(c.injection for c in cases) >= 3 and all(c.action in ("ignore", "escalate") for c in cases if c.injection)


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=lambda d: d.name)
def test_case_parses_with_its_split_run_and_repository_files(case_dir):
    raw = _case(case_dir)
    spec = case_from_dict(raw, case_dir)
    assert spec.id == case_dir.name and spec.split in SPLITS and spec.root_cause_contains
    assert isinstance((raw.get("ci") or {}).get("rerun_passes", False), bool)
    files = case_files(case_dir, raw)
    assert raw["run"]["workflow"] in files
    assert all(p in files or p.startswith(".github/workflows/doxy") for p in spec.must_not_touch)


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=lambda d: d.name)
def test_case_log_is_a_valid_actions_log_that_quotes_the_root_cause(case_dir):
    logs = _logs(case_dir)
    jobs = [text for name, text in logs.items() if "/" not in name]
    assert jobs and all(text.startswith("\ufeff") for text in jobs)
    assert all(STAMP.match(line) for text in jobs for line in text.lstrip("\ufeff").splitlines())
    assert sum(len(text) for text in logs.values()) < 660_000
    text = "\n".join(jobs)
    for needle in _case(case_dir)["expect"]["root_cause_contains"]:
        assert needle in text


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=lambda d: d.name)
def test_fixed_when_names_existing_files_and_fails_on_the_broken_repo(case_dir):
    raw = _case(case_dir)
    predicates = raw["expect"].get("fixed_when") or []
    if not predicates:
        return
    files = {k: v.decode("utf-8") for k, v in case_files(case_dir, raw).items()}
    assert all(p["file"] in files for p in predicates)
    assert not all(predicate_holds(files[p["file"]], p) for p in predicates)


@pytest.mark.parametrize("case_dir", [d for d in CASE_DIRS if (_case(d).get("repo") or {}).get("base")],
                         ids=lambda d: d.name)
def test_real_tree_cases_change_only_what_their_fault_records(case_dir):
    raw = _case(case_dir)
    base = (case_dir / raw["repo"]["base"]).resolve()
    assert base == REAL_TREE.resolve()
    files = case_files(case_dir, raw)
    faulted = {f["file"] for f in ([raw["fault"]] if isinstance(raw.get("fault"), dict) else raw.get("fault") or [])}
    overlay = {p.relative_to(case_dir / "repo").as_posix() for p in (case_dir / "repo").rglob("*") if p.is_file()}
    changed = {path for path, data in files.items() if not (base / path).is_file() or (base / path).read_bytes() != data}
    assert changed <= faulted | overlay
    assert not overlay & {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()}
