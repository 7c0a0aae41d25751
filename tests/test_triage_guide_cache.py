"""The shipped guides' BM25 table is kept under the cache dir: reused, rebuilt when a guide changes or the file is
damaged, old tables pruned, and triage still cites guides when the cache cannot be used."""

from __future__ import annotations

import os

import pytest

from agent import triage

GUIDE = "# Containers\n\n## GLIBC too old in the container\n\nnode20 needs GLIBC 2.28; zebrafish quagga.\n"


@pytest.fixture
def guides(tmp_path, monkeypatch):
    folder = tmp_path / "guides"
    folder.mkdir()
    (folder / "troubleshooting.containers.md").write_text(GUIDE, encoding="utf-8")
    monkeypatch.setenv("AGENT_GUIDES", str(folder))
    monkeypatch.setenv("AGENT_CACHE", str(tmp_path / "cache"))
    triage._guide_store.cache_clear()
    yield folder
    triage._guide_store.cache_clear()


def tables(tmp_path):
    return sorted(p.name for p in (tmp_path / "cache").glob("guides-*.sqlite"))


def cited(words: str) -> list[str]:
    triage._guide_store.cache_clear()  # a new process
    return [ref.anchor for ref in triage.cite_guides([words], None)]


def test_the_table_is_built_once_and_reused(guides, tmp_path):
    assert cited("zebrafish quagga") == ["glibc-too-old-in-the-container"]
    [name] = tables(tmp_path)
    built = (tmp_path / "cache" / name).stat().st_mtime_ns
    assert cited("zebrafish") == ["glibc-too-old-in-the-container"]
    assert tables(tmp_path) == [name] and (tmp_path / "cache" / name).stat().st_mtime_ns == built


def test_a_changed_guide_gets_a_new_table_and_a_damaged_one_is_rebuilt(guides, tmp_path):
    cited("zebrafish")
    (guides / "troubleshooting.containers.md").write_text(GUIDE.replace("quagga", "okapi"), encoding="utf-8")
    os.utime(guides / "troubleshooting.containers.md", ns=(1, 10**18))
    assert cited("okapi") == ["glibc-too-old-in-the-container"]
    assert len(tables(tmp_path)) == 2
    newest = max((tmp_path / "cache").glob("guides-*.sqlite"), key=lambda p: p.stat().st_mtime_ns)
    newest.write_bytes(b"not a database")
    assert cited("okapi") == ["glibc-too-old-in-the-container"]


def test_old_tables_are_pruned_with_their_journal_files(guides, tmp_path):
    for n in range(triage.GUIDES_CACHE_KEEP + 2):
        (guides / "troubleshooting.containers.md").write_text(GUIDE + f"\nrevision {n}\n", encoding="utf-8")
        os.utime(guides / "troubleshooting.containers.md", ns=(1, 10**18 + n))
        cited("zebrafish")
    assert len(tables(tmp_path)) == triage.GUIDES_CACHE_KEEP
    kept = {name.removesuffix(".sqlite") for name in tables(tmp_path)}
    leftovers = {p.name.split(".sqlite")[0] for p in (tmp_path / "cache").glob("guides-*.sqlite-*")}
    assert leftovers <= kept


def test_without_a_usable_cache_dir_guides_are_still_cited(guides, tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a directory", encoding="utf-8")
    monkeypatch.setenv("AGENT_CACHE", str(blocked))
    assert cited("zebrafish") == ["glibc-too-old-in-the-container"]
