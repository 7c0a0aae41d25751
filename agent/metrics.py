"""Prometheus metrics for `/metrics`: what the store recorded (every process sharing it) plus this process's
GitHub requests and rate-limit waits. Read at scrape time, so no hot path carries instrumentation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from agent.stats import parse_time

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)
"""Seconds from a job's enqueue to its last update."""

GITHUB_REQUESTS = Counter("agent_github_requests", "REST requests this process made to GitHub.",
                          ["method", "status"], registry=None)
RATE_LIMIT_WAITS = Counter("agent_github_rate_limit_waits", "Times this process slept on a GitHub rate limit or "
                           "retry-after before retrying.", registry=None)


def count_request(method: str, status: int) -> None:
    """One GitHub request of this process (status 0: no answer)."""
    GITHUB_REQUESTS.labels(method=method, status=str(status)).inc()


def count_rate_limit_wait() -> None:
    RATE_LIMIT_WAITS.inc()


def _seconds(start: str | None, end: str | None) -> float | None:
    began, ended = parse_time(start), parse_time(end)
    return (ended - began).total_seconds() if began and ended else None


class StoreCollector:
    """Counters and histograms computed from the store's tables at each scrape."""

    def __init__(self, store: Any, clock=lambda: datetime.now(UTC)):
        self.store, self.clock = store, clock

    def collect(self) -> Iterator[Metric]:
        yield self.grouped("agent_webhook_deliveries", "Webhook deliveries received, by event and status.",
                           "SELECT event, status, count(*) AS n FROM deliveries GROUP BY event, status",
                           ["event", "status"])
        yield self.grouped("agent_actions", "Side effects the executor recorded, by kind and status.",
                           "SELECT kind, status, count(*) AS n FROM actions GROUP BY kind, status", ["kind", "status"])
        yield self.grouped("agent_gate_decisions", "Gate decisions, by kind and deciding rule.",
                           "SELECT kind, coalesce(rule, '') AS rule, count(*) AS n FROM decisions GROUP BY kind, rule",
                           ["kind", "rule"])
        yield self.grouped("agent_outcomes", "Outcomes of the agent's fixes (ci_passed, merged, reverted, ...).",
                           "SELECT outcome, count(*) AS n FROM outcomes GROUP BY outcome", ["outcome"])
        yield self.jobs()
        yield from self.llm()
        yield self.latency()
        yield self.oldest_queued()

    def grouped(self, name: str, text: str, sql: str, labels: list[str]) -> CounterMetricFamily:
        family = CounterMetricFamily(name, text, labels=labels)
        for row in self.store.rows(sql):
            family.add_metric([str(row[label] or "") for label in labels], row["n"])
        return family

    def jobs(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily("agent_jobs", "Jobs in the queue now, by status.", labels=["status"])
        for row in self.store.rows("SELECT status, count(*) AS n FROM runs GROUP BY status"):
            family.add_metric([row["status"]], row["n"])
        return family

    def llm(self) -> Iterator[Metric]:
        tokens = CounterMetricFamily("agent_llm_tokens", "Model tokens the API reported, by kind.", labels=["kind"])
        cost = CounterMetricFamily("agent_llm_cost_usd", "Model spend in US dollars, from the reported usage.")
        totals = {"input": 0, "output": 0}
        dollars = 0.0
        for row in self.store.rows("SELECT usage FROM llm_runs"):
            usage = row.get("usage") or {}
            totals["input"] += int(usage.get("input_tokens") or 0)
            totals["output"] += int(usage.get("output_tokens") or 0)
            dollars += float(usage.get("cost_usd") or 0.0)
        for kind, value in totals.items():
            tokens.add_metric([kind], value)
        cost.add_metric([], dollars)
        yield tokens
        yield cost

    def latency(self) -> HistogramMetricFamily:
        """Enqueue to last update of finished jobs (queue lag plus work)."""
        values = [s for row in self.store.rows("SELECT created_at, updated_at FROM runs WHERE status IN "
                                               "('done', 'failed')")
                  for s in [_seconds(row["created_at"], row["updated_at"])] if s is not None]
        buckets = [(str(float(edge)), sum(1 for v in values if v <= edge)) for edge in LATENCY_BUCKETS]
        buckets.append(("+Inf", len(values)))
        family = HistogramMetricFamily("agent_job_latency_seconds", "Seconds from a job's enqueue to its end.")
        family.add_metric([], buckets, sum(values))
        return family

    def oldest_queued(self) -> GaugeMetricFamily:
        row = self.store.row("SELECT min(created_at) AS oldest FROM runs WHERE status = 'queued'")
        age = _seconds(row["oldest"], self.clock().isoformat()) if row and row["oldest"] else 0.0
        family = GaugeMetricFamily("agent_queue_lag_seconds", "Age of the oldest queued job (0: none queued).")
        family.add_metric([], max(age or 0.0, 0.0))
        return family


def exposition(store: Any) -> bytes:
    """The metrics page: the store's figures and this process's GitHub counters."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    registry.register(GITHUB_REQUESTS)
    registry.register(RATE_LIMIT_WAITS)
    return generate_latest(registry)
