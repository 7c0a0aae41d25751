"""The DB's fix for each fix case makes the case's CI pass; its known-wrong fixes do not."""

from pathlib import Path

import pytest
import re2
import yaml

fixes = pytest.importorskip("tools.fixes")

ROOT = Path(__file__).resolve().parents[1]
CASES_DIR = ROOT / "evals" / "cases"
DB = {e["id"]: e for e in yaml.safe_load((ROOT / "guides" / "known-issues.yaml").read_text(encoding="utf-8"))["issues"]}


def _case(case_dir: Path) -> dict:
    return yaml.safe_load((case_dir / "case.yaml").read_text(encoding="utf-8"))


FIX_CASES = [d for d in sorted(CASES_DIR.iterdir()) if (d / "case.yaml").is_file()
             and _case(d)["expect"].get("fixed_when") and _case(d)["expect"].get("known_issue")]


def _groups(case_dir: Path, entry: dict) -> dict:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((case_dir / "logs").glob("*.txt")))
    groups = {}
    for pattern in entry["patterns"]:
        found = re2.search(pattern, text)
        if found:
            groups.update({k: v for k, v in found.groupdict().items() if v})
    return groups


def _filled(params: dict, groups: dict) -> dict:
    return {k: v.format(**groups) if isinstance(v, str) and "{" in v and "${{" not in v else v for k, v in params.items()}


def _apply(case_dir: Path, fix: dict) -> dict[str, str]:
    repo = case_dir / "repo"
    files = {p.relative_to(repo).as_posix(): p.read_text(encoding="utf-8") for p in repo.rglob("*") if p.is_file()}
    template = fixes.TEMPLATES[fix["template"]]
    globs = fixes.touches_for(template, template.params_model.model_validate(fix["params"]))
    result = fixes.apply_template(fix["template"], {k: v for k, v in files.items() if fixes.matches_any(k, globs)},
                                  fix["params"])
    files.update({edit.path: edit.new for edit in result.edits})
    return files


def _passes(files: dict[str, str], predicates: list[dict]) -> bool:
    from agent.sandbox.ci import predicate_holds

    return all(predicate_holds(files.get(p["file"]), p) for p in predicates)


@pytest.mark.parametrize("case_dir", FIX_CASES, ids=lambda d: d.name)
def test_db_fix_applied_to_the_case_repo_makes_ci_pass(case_dir):
    expect = _case(case_dir)["expect"]
    entry = DB[expect["known_issue"]]
    fix = {"template": entry["fix"]["template"], "params": _filled(entry["fix"]["params"], _groups(case_dir, entry))}
    files = _apply(case_dir, fix)
    assert _passes(files, expect["fixed_when"])
    assert all(files[path] == (case_dir / "repo" / path).read_text(encoding="utf-8") for path in expect["must_not_touch"])


@pytest.mark.parametrize("case_dir", [d for d in FIX_CASES if DB[_case(d)["expect"]["known_issue"]].get("known_wrong_fixes")],
                         ids=lambda d: d.name)
def test_known_wrong_fix_is_refused_or_leaves_ci_red(case_dir):
    expect = _case(case_dir)["expect"]
    for wrong in DB[expect["known_issue"]]["known_wrong_fixes"]:
        try:
            files = _apply(case_dir, wrong)
        except (fixes.NotApplicable, ValueError):
            continue
        assert not _passes(files, expect["fixed_when"])


@pytest.mark.parametrize("case_dir", FIX_CASES, ids=lambda d: d.name)
def test_every_fix_case_names_the_db_entrys_fix_template(case_dir):
    expect = _case(case_dir)["expect"]
    assert expect["fix"]["template"] in fixes.TEMPLATES
    assert expect["fix"]["template"] == DB[expect["known_issue"]]["fix"]["template"]
