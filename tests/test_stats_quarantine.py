"""Quarantined tests stay visible: in `agent stats` and on the dashboard issue's digest, until released."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.executor.digest import render_digest, week_items
from agent.stats import Window, compute, store_rows
from agent.store import Store

REPO = "Apra-Labs/ApraPipes"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def seeded(tmp_path) -> Store:
    store = Store(tmp_path / "agent.db")
    store.save_quarantine(REPO, "H264Decoder/decode_jetson", "boost", {"until": "2026-12-21", "issue": 41,
                                                                     "status": "pr_open"})
    store.save_quarantine(REPO, "Old/released", "boost", {"until": "2026-11-01", "issue": 7, "released": "expired"})
    return store


def test_stats_list_the_quarantined_tests_that_are_not_released(tmp_path):
    store = seeded(tmp_path)
    window = Window(datetime(2026, 11, 7, tzinfo=UTC), NOW)
    figures = compute([], store_rows(store, [REPO], window), window)
    assert [(q["test"], q["until"], q["issue"]) for q in figures["quarantined_tests"]] == [
        ("H264Decoder/decode_jetson", "2026-12-21", 41)]


def test_the_digest_shows_quarantined_tests_with_their_expiry_and_issue(tmp_path):
    body = render_digest(week_items(seeded(tmp_path), REPO, NOW))
    assert "### Quarantined tests (1)" in body
    assert "`H264Decoder/decode_jetson (boost)` until 2026-12-21 (issue #41)" in body
    assert "Old/released" not in body
