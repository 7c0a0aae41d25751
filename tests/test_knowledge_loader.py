"""The known-issue DB is validated at load: one ConfigError naming the entry for any bad entry."""

from __future__ import annotations

import pytest
import yaml

from agent.errors import ConfigError
from agent.knowledge import load_known_issues, parse_known_issues

GOOD = {
    "id": "glibc-node20-old-container", "title": "Node 20 in an old container", "category": "container_incompatible",
    "patterns": ["version `GLIBC_2\\.28' not found"], "severity": "high", "confidence": 0.95,
    "fix": {"template": "container_image", "params": {"image": "nvidia/cuda:11.8.0-devel-ubuntu22.04"}},
    "guide": "troubleshooting.containers.md#glibc-228-not-found",
    "known_wrong_fixes": [{"template": "action_version",
                           "params": {"action": "actions/upload-artifact", "version": "v3"}, "why": "rejected"}],
}


def _db(*entries) -> dict:
    return {"version": 1, "issues": list(entries)}


def test_a_valid_entry_loads_with_its_fix_and_wrong_fixes():
    kb = parse_known_issues(_db(GOOD))
    issue = kb.get("glibc-node20-old-container")
    assert issue.fix.template == "container_image" and issue.known_wrong_fixes[0].params["version"] == "v3"
    assert issue.match == "any" and kb.patterns == GOOD["patterns"]


@pytest.mark.parametrize("change, message", [
    ({"patterns": ["(unclosed"]}, "bad pattern"),
    ({"patterns": ["(?<=look)behind"]}, "bad pattern"),
    ({"not_patterns": ["a{2,1}"]}, "bad pattern"),
    ({"category": "mystery"}, "category"),
    ({"fix": {"template": "make_it_green", "params": {}}}, "unknown fix template 'make_it_green'"),
    ({"confidence": 1.5}, "confidence"),
    ({"match": "most"}, "match"),
    ({"severity": "huge"}, "severity"),
    ({"surprise": 1}, "surprise"),
    ({"patterns": []}, "patterns"),
])
def test_a_bad_entry_is_one_config_error_naming_the_entry(change, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_known_issues(_db(GOOD | change), "known-issues.yaml")
    text = str(caught.value)
    assert "'glibc-node20-old-container'" in text and "\n" not in text


def test_a_duplicate_id_is_a_config_error():
    with pytest.raises(ConfigError, match="'glibc-node20-old-container': duplicate id"):
        parse_known_issues(_db(GOOD, dict(GOOD)))


def test_an_entry_without_an_id_is_named_by_its_position():
    entry = {k: v for k, v in GOOD.items() if k != "id"}
    with pytest.raises(ConfigError, match="entry '#2'"):
        parse_known_issues(_db(GOOD | {"id": "first-one"}, entry))


@pytest.mark.parametrize("document", [[], {"issues": []}, {"version": 2, "issues": []}])
def test_a_bad_document_is_a_config_error(document):
    with pytest.raises(ConfigError):
        parse_known_issues(document)


def test_a_file_with_broken_yaml_is_one_line(tmp_path):
    path = tmp_path / "known-issues.yaml"
    path.write_text("version: 1\nissues: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML") as caught:
        load_known_issues(path)
    assert "\n" not in str(caught.value)


def test_an_explicit_missing_file_is_an_error_and_the_default_missing_is_empty(tmp_path, monkeypatch):
    with pytest.raises(ConfigError):
        load_known_issues(tmp_path / "absent.yaml")
    monkeypatch.setenv("AGENT_GUIDES", str(tmp_path))
    assert load_known_issues().issues == []


def test_the_shipped_known_issue_db_loads(repo_root):
    path = repo_root / "guides" / "known-issues.yaml"
    if not path.exists():
        pytest.skip("guides/known-issues.yaml not written yet")
    kb = load_known_issues(path)
    assert len(kb.issues) >= 10
    assert len({issue.id for issue in kb.issues}) == len(kb.issues)


def test_a_loaded_file_round_trips_through_yaml(tmp_path):
    path = tmp_path / "known-issues.yaml"
    path.write_text(yaml.safe_dump(_db(GOOD)), encoding="utf-8")
    assert load_known_issues(path).issues[0].id == "glibc-node20-old-container"
