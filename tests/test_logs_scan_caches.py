"""The on-disk caches behind a fast `agent triage`: validated DB versions and compiled hyperscan databases.

Both are keyed by content, so a changed input is validated or compiled again, and a damaged cache file
is ignored.
"""

from __future__ import annotations

import datetime

import pytest
import yaml

from agent.errors import ConfigError
from agent.knowledge import load_known_issues
from agent.logs.hyperscan_lines import HyperscanLines, hyperscan_available

ENTRY = {
    "id": "glibc-node20-old-container", "title": "Node 20 in an old container", "category": "container_incompatible",
    "patterns": ["version `GLIBC_2\\.28' not found"], "severity": "high", "confidence": 0.95,
    "fix": {"template": "container_image", "params": {"image": "nvidia/cuda:11.8.0-devel-ubuntu22.04"}},
}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AGENT_CACHE", str(tmp_path / "home" / "cache"))
    return tmp_path / "home"


def _write_db(path, *entries) -> None:
    path.write_text(yaml.safe_dump({"version": 1, "issues": list(entries)}), encoding="utf-8")


def test_a_second_load_comes_from_the_validated_cache_and_is_the_same(tmp_path, home):
    path = tmp_path / "known-issues.yaml"
    _write_db(path, ENTRY)
    first = load_known_issues(path)
    assert len(list((home / "cache").glob("known-issues-*.json"))) == 1
    second = load_known_issues(path)
    assert second.issues == first.issues and second.patterns == first.patterns
    assert second.get(ENTRY["id"]).category.value == "container_incompatible"


def test_an_edited_db_is_validated_again_even_after_a_cached_load(tmp_path, home):
    path = tmp_path / "known-issues.yaml"
    _write_db(path, ENTRY)
    load_known_issues(path)
    _write_db(path, ENTRY | {"patterns": ["(unclosed"]})
    with pytest.raises(ConfigError, match="bad pattern"):
        load_known_issues(path)


def test_a_damaged_validated_cache_is_ignored(tmp_path, home):
    path = tmp_path / "known-issues.yaml"
    _write_db(path, ENTRY)
    load_known_issues(path)
    for cached in (home / "cache").glob("known-issues-*.json"):
        cached.write_text("{not json", encoding="utf-8")
    assert load_known_issues(path).get(ENTRY["id"]) is not None


def test_a_db_json_cannot_hold_exactly_is_not_cached(tmp_path, home):
    path = tmp_path / "known-issues.yaml"
    fix = {"template": "container_image", "params": {"expires": datetime.date(2026, 6, 30)}}  # a YAML date
    _write_db(path, ENTRY | {"fix": fix})
    assert load_known_issues(path).get(ENTRY["id"]).fix.params == {"expires": datetime.date(2026, 6, 30)}
    assert not list((home / "cache").glob("known-issues-*.json"))


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan is optional and not installed")
def test_a_compiled_hyperscan_database_is_reused_and_a_damaged_one_rebuilt(home):
    patterns = ["error: ", "warning: [a-z]+"]
    block = b"x\nwarning: deprecated\nerror: y\n"
    assert HyperscanLines(patterns).starts(block) == [2, 22]
    [cached] = (home / "cache").glob("hyperscan-*.db")
    assert HyperscanLines(patterns).starts(block) == [2, 22]
    cached.write_bytes(b'{"rejected": []}\nnot a database')
    rebuilt = HyperscanLines(patterns)
    assert rebuilt.starts(block) == [2, 22] and rebuilt.blocks == {"hyperscan": 1, "re2": 0}
    assert cached.read_bytes() != b'{"rejected": []}\nnot a database'
