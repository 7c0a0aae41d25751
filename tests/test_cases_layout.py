"""Eval cases are well formed, their predicates discriminate, and the known-issue DB matches them."""

from functools import cache
from pathlib import Path

import pytest
import re2
import yaml

from agent.models import Action, Category

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "evals" / "cases"
CASE_DIRS = sorted(p for p in CASES_DIR.iterdir() if (p / "case.yaml").is_file()) if CASES_DIR.is_dir() else []
DB = yaml.safe_load((ROOT / "guides" / "known-issues.yaml").read_text(encoding="utf-8"))
TIERS = [(0.90, "auto_fix"), (0.60, "pull_request")]
TRUSTED = ("OWNER", "MEMBER", "COLLABORATOR")


@cache
def _case(case_dir: Path) -> dict:
    return yaml.safe_load((case_dir / "case.yaml").read_text(encoding="utf-8"))


@cache
def _job_logs(case_dir: Path) -> tuple[str, ...]:
    return tuple(p.read_text(encoding="utf-8") for p in sorted((case_dir / "logs").glob("*.txt")))


@cache
def _text(case_dir: Path) -> str:
    """The job logs without timestamps, one log line per text line."""
    return "\n".join(line.lstrip("\ufeff")[29:] for text in _job_logs(case_dir) for line in text.splitlines())


def _hits(pattern: str, text: str) -> bool:
    """Does the pattern match within a single line of the text?"""
    regex = re2.compile(pattern)
    found = regex.search(text)
    if found is None:
        return False
    if "\n" not in found.group(0):
        return True
    return any(regex.search(line) for line in text.splitlines())


def _matching_entries(text: str) -> list[str]:
    out = []
    for entry in DB["issues"]:
        hits = [_hits(p, text) for p in entry["patterns"]]
        ok = all(hits) if entry.get("match", "any") == "all" else any(hits)
        if ok and not any(_hits(p, text) for p in entry.get("not_patterns") or []):
            out.append(entry["id"])
    return out


def _tier(entry: dict) -> str:
    if entry.get("action"):
        return entry["action"]
    if entry["category"] in ("network", "runner"):
        return "rerun"
    if not entry.get("fix"):
        return "escalate"
    return next((action for floor, action in TIERS if entry["confidence"] >= floor), "escalate")


def _predicate_holds(text: str | None, predicate: dict) -> bool:
    if "matches" in predicate:
        return text is not None and re2.search(predicate["matches"], text) is not None
    if "not_matches" in predicate:
        return text is None or re2.search(predicate["not_matches"], text) is None
    if "contains" in predicate:
        return text is not None and predicate["contains"] in text
    return text is None or predicate["not_contains"] not in text


def test_there_are_enough_cases_of_each_kind():
    cases = [_case(d) for d in CASE_DIRS]
    assert len(cases) >= 51
    assert sum(1 for c in cases if c["id"].startswith("novel-")) >= 5
    assert sum(1 for c in cases if c["expect"]["action"] == "rerun") >= 3
    untrusted = [c for c in cases if c["run"]["actor"]["association"] not in TRUSTED
                 or "injection" in c["id"]]
    assert len(untrusted) >= 3 and all(c["expect"]["action"] in ("ignore", "escalate") for c in untrusted)


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=lambda d: d.name)
def test_case_has_required_keys_valid_enums_and_files(case_dir):
    case = _case(case_dir)
    assert case["id"] == case_dir.name and case["repo"]["full_name"] and case["run"]["workflow"]
    expect = case["expect"]
    Category(expect["category"])
    Action(expect["action"])
    assert expect["root_cause_contains"] and ".github/workflows/doxy.yml" in expect["must_not_touch"]
    assert (case_dir / "repo" / case["run"]["workflow"]).is_file()
    assert (case_dir / "repo" / ".github/workflows/doxy.yml").is_file()
    logs = _job_logs(case_dir)
    assert logs and all(text.startswith("\ufeff") for text in logs)
    assert sum(p.stat().st_size for p in (case_dir / "logs").rglob("*.txt")) < 330_000


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=lambda d: d.name)
def test_root_cause_substrings_are_in_the_logs(case_dir):
    text = "\n".join(_job_logs(case_dir))
    for needle in _case(case_dir)["expect"]["root_cause_contains"]:
        assert needle in text


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=lambda d: d.name)
def test_fixed_when_files_exist_and_fail_on_the_unfixed_repo(case_dir):
    expect = _case(case_dir)["expect"]
    predicates = expect.get("fixed_when") or []
    assert bool(predicates) == (expect["action"] in ("auto_fix", "pull_request"))
    if not predicates:
        return
    texts = {}
    for predicate in predicates:
        path = case_dir / "repo" / predicate["file"]
        assert path.is_file(), predicate["file"]
        texts[predicate["file"]] = path.read_text(encoding="utf-8")
    assert not all(_predicate_holds(texts[p["file"]], p) for p in predicates)


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=lambda d: d.name)
def test_db_matches_exactly_the_expected_known_issue(case_dir):
    expect = _case(case_dir)["expect"]
    matched = _matching_entries(_text(case_dir))
    assert matched == ([expect["known_issue"]] if expect.get("known_issue") else [])


@pytest.mark.parametrize("case_dir", [d for d in CASE_DIRS if _case(d)["expect"].get("known_issue")], ids=lambda d: d.name)
def test_expected_action_and_category_agree_with_the_db_entry(case_dir):
    case = _case(case_dir)
    expect = case["expect"]
    entry = next(e for e in DB["issues"] if e["id"] == expect["known_issue"])
    assert entry["category"] == expect["category"]
    trusted = case["run"]["actor"]["association"] in TRUSTED and "head_repository" not in case["run"]
    assert expect["action"] == (_tier(entry) if trusted else "ignore")


def test_every_db_regex_compiles_and_matches_a_line_of_some_case():
    corpus = "\n".join(_text(d) for d in CASE_DIRS)
    missing = []
    for entry in DB["issues"]:
        for pattern in entry["patterns"] + (entry.get("not_patterns") or []):
            re2.compile(pattern)
            if not _hits(pattern, corpus):
                missing.append((entry["id"], pattern))
    assert missing == []
