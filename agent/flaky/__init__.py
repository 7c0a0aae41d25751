"""Flaky tests: results from artifacts and logs, verdicts on evidence, quarantine and release."""
