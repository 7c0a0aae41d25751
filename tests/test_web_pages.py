"""`/metrics` in the Prometheus exposition format, parsed back; the dashboard's access rule."""

from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from test_executor_kit import REPO, add_novel_run, client

from agent.daemon.intake import Intake
from agent.daemon.receiver import WebhookReceiver
from agent.metrics import exposition
from agent.policy.schema import Actors
from agent.store import Store
from agent.web.pages import WebPages

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""


def samples(text: bytes) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text.decode("utf-8")):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def seeded(home) -> Store:
    store = Store(home / "agent.db")
    store.db.conn.execute("INSERT INTO deliveries (id, event, action, received_at, status) VALUES "
                          "('d1', 'workflow_run', 'completed', '2026-12-07T10:00:00+00:00', 'queued'),"
                          "('d2', 'workflow_run', 'completed', '2026-12-07T10:01:00+00:00', 'queued'),"
                          "('d3', 'ping', NULL, '2026-12-07T10:02:00+00:00', 'ignored')")
    store.db.conn.execute("INSERT INTO decisions (plan_id, decision, kind, rule, policy_version, at) VALUES "
                          "('p1', '{}', 'allow', NULL, '1', '2026-12-07T10:00:00+00:00'),"
                          "('p2', '{}', 'deny', 'kill_switch.pause', '1', '2026-12-07T10:00:00+00:00'),"
                          "('p3', '{}', 'deny', 'kill_switch.pause', '1', '2026-12-07T10:00:00+00:00')")
    store.db.conn.execute("INSERT INTO runs (repo, run_id, run_attempt, status, created_at, updated_at) VALUES "
                          "('o/r', 1, 1, 'done', '2026-12-07T10:00:00+00:00', '2026-12-07T10:00:30+00:00'),"
                          "('o/r', 2, 1, 'done', '2026-12-07T10:00:00+00:00', '2026-12-07T10:20:00+00:00'),"
                          "('o/r', 3, 1, 'queued', '2026-12-07T10:00:00+00:00', '2026-12-07T10:00:00+00:00')")
    store.db.conn.commit()
    store.save_llm_run("l1", [], usage={"input_tokens": 1200, "output_tokens": 300, "cost_usd": 0.0081},
                       status="submitted")
    return store


def test_metrics_page_parses_back_with_the_stores_counts(home):
    found = samples(exposition(seeded(home)))
    assert found[("agent_webhook_deliveries_total", (("event", "workflow_run"), ("status", "queued")))] == 2
    assert found[("agent_gate_decisions_total", (("kind", "deny"), ("rule", "kill_switch.pause")))] == 2
    assert found[("agent_jobs", (("status", "done"),))] == 2 and found[("agent_jobs", (("status", "queued"),))] == 1
    assert found[("agent_llm_tokens_total", (("kind", "input"),))] == 1200
    assert abs(found[("agent_llm_cost_usd_total", ())] - 0.0081) < 1e-9
    assert found[("agent_job_latency_seconds_count", ())] == 2
    assert found[("agent_job_latency_seconds_bucket", (("le", "60.0"),))] == 1
    assert found[("agent_job_latency_seconds_sum", ())] == 1230
    assert found[("agent_queue_lag_seconds", ())] > 0


def test_metrics_count_this_processes_github_requests(sb, home):
    before = samples(exposition(seeded(home))).get(
        ("agent_github_requests_total", (("method", "GET"), ("status", "200"))), 0)
    add_novel_run(sb)
    client(sb).repo_info(REPO)
    after = samples(exposition(Store(home / "agent.db")))
    assert after[("agent_github_requests_total", (("method", "GET"), ("status", "200")))] >= before + 1


def test_pages_beyond_localhost_need_the_dashboard_token(home):
    store = Store(home / "agent.db")
    closed = WebPages(None, store, [REPO], None, host="0.0.0.0", token="")
    guarded = WebPages(None, store, [REPO], None, host="0.0.0.0", token="s3cret")
    assert closed.answer("/metrics", {})[0] == 403
    assert guarded.answer("/metrics", {})[0] == 403
    assert guarded.answer("/metrics", {"Authorization": "Bearer wrong"})[0] == 403
    assert guarded.answer("/metrics", {"Authorization": "Bearer s3cret"})[0] == 200
    assert guarded.answer("/metrics?token=s3cret", {})[0] == 200
    assert WebPages(None, store, [REPO], None).answer("/nothing-here", {}) is None


def test_the_receiver_serves_metrics_and_still_404s_other_paths(home):
    store = seeded(home)
    receiver = WebhookReceiver(Intake(store, Actors(), repos=[REPO]), "secret")
    receiver.pages = WebPages(None, store, [REPO], None)
    receiver.start()
    try:
        with urllib.request.urlopen(receiver.url + "metrics", timeout=10) as page:
            assert page.status == 200 and "text/plain" in page.headers["Content-Type"]
            assert b"agent_gate_decisions_total" in page.read()
        try:
            urllib.request.urlopen(receiver.url + "elsewhere", timeout=10)
            raise AssertionError("expected 404")
        except urllib.error.HTTPError as missing:
            assert missing.code == 404
    finally:
        receiver.stop()
