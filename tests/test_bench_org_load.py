"""The organisation load benchmark at reduced size: nothing lost or duplicated, every figure measured."""

from __future__ import annotations

from evals.bench.org_load import arrivals, measure, simulate_day, table


def test_org_load_at_reduced_size_loses_nothing_and_measures_every_figure():
    report = measure(repos=6, runs=60, handled=6, workers=2, senders=4)
    for label in ("single", "org"):
        part = report[label]
        assert part["intake"]["lost"] == 0 and part["intake"]["duplicated"] == 0
        assert part["intake"]["non_2xx"] == 0 and part["intake"]["errors"] == 0
        assert part["handling"]["requests_per_run"] > 0 and part["handling"]["store_bytes_per_run"] > 0
        assert part["day"]["queue_lag_p99_s"] >= 0
    assert "6 repositories" in table(report)


def test_the_simulated_day_queues_work_when_service_is_slower_than_arrivals():
    times = arrivals(1000)
    assert 0 <= times[0] and times[-1] <= 24 * 3600 and times == sorted(times)
    assert simulate_day(times, [1.0], workers=2)["queue_lag_p99_s"] == 0.0
    assert simulate_day(times, [600.0], workers=1)["queue_lag_p99_s"] > 3600
