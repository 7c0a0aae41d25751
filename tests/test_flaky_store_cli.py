"""Test results in the store (a new table an older database gains in place), `agent flaky`, sandbox artifacts."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_tools_world import sandbox  # noqa: F401 - fixture

from agent.flaky.results import TestResult
from agent.github import GitHub
from agent.github.errors import NotFound
from agent.sandbox.api_actions import attach_artifact
from agent.store import SCHEMA_VERSION, Store

REPO = "octo/app"


def run(run_id: int, attempt: int = 1, sha: str = "c1", day: int = 1) -> dict:
    return {"id": run_id, "run_attempt": attempt, "head_sha": sha, "path": ".github/workflows/ci.yml",
            "head_branch": "main", "run_started_at": f"2026-12-0{day}T10:00:0{attempt}Z"}


def result(status: str, name: str = "encode") -> TestResult:
    return TestResult("boost", "jpeg_tests", name, status, "base/test/jpeg_tests.cpp", "linux")


def test_an_older_database_without_the_table_gains_it_in_place_with_its_data_kept(tmp_path):
    path = tmp_path / "agent.db"
    Store(path).set_kv("cursor", {"kept": True})
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE test_results")
    store = Store(path)
    store.record_test_results(REPO, run(1), [result("failed")], None)
    assert store.get_kv("cursor") == {"kept": True}
    assert store.schema_version() == SCHEMA_VERSION
    assert [r["test_id"] for r in store.test_observations(REPO)] == ["jpeg_tests/encode"]


def test_an_attempt_is_recorded_once_and_marked_seen_even_without_results(tmp_path):
    store = Store(tmp_path / "agent.db")
    assert store.record_test_results(REPO, run(1), [result("failed"), result("skipped", "off")], ["a.cpp"]) == 2
    assert store.record_test_results(REPO, run(1), [result("failed")], ["a.cpp"]) == 0
    store.record_test_results(REPO, run(2), [], None)
    assert store.test_results_seen(REPO, 2, 1) and not store.test_results_seen(REPO, 3, 1)
    [row] = store.test_observations(REPO)  # skipped results are no evidence either way
    assert row["changed"] == ["a.cpp"] and row["job"] == "linux" and row["status"] == "failed"
    assert store.last_observed_sha(REPO, ".github/workflows/ci.yml", "2026-12-09T00:00:00Z") == "c1"


def agent_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "agent"
    environ = {k: v for k, v in os.environ.items() if k not in ("GITHUB_REPOSITORY", "AGENT_DB")}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120, cwd=home, check=False,
                          env={**environ, "AGENT_HOME": str(home)})


def test_agent_flaky_lists_kind_flip_rate_last_seen_owner_and_quarantine(tmp_path):
    store = Store(tmp_path / "agent.db")
    store.record_test_results(REPO, run(1), [result("failed"), result("failed", "oom")], [])
    store.record_test_results(REPO, run(1, attempt=2), [result("passed"), result("failed", "oom")], [])
    store.save_quarantine(REPO, "jpeg_tests/encode", "boost",
                          {"until": "2026-12-21", "issue": 7, "since": "2026-12-07T00:00:00+00:00", "owners": ["dev1"]})
    done = agent_cli("flaky", "--repo", REPO, "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {row["test"]: row for row in json.loads(done.stdout)["tests"]}
    assert rows["jpeg_tests/encode"]["kind"] == "flaky" and rows["jpeg_tests/encode"]["quarantined_until"] == "2026-12-21"
    assert rows["jpeg_tests/encode"]["owners"] == ["dev1"] and rows["jpeg_tests/encode"]["flip_rate"] == 1.0
    assert rows["jpeg_tests/oom"]["kind"] == "broken" and rows["jpeg_tests/oom"]["quarantined_until"] is None
    text = agent_cli("flaky", "--repo", REPO, home=tmp_path).stdout
    assert "flaky" in text and "2026-12-21" in text and "jpeg_tests/encode (boost)" in text


def test_agent_flaky_with_a_bad_repository_name_is_one_error_line(tmp_path):
    done = agent_cli("flaky", "--repo", "not a repo", home=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: --repo") and "Traceback" not in done.stderr


def test_the_sandbox_serves_a_runs_artifacts_and_the_client_downloads_one_through_the_redirect(sandbox):  # noqa: F811
    sandbox.add_repo(REPO, files={"README.md": "x\n"})
    run_id = sandbox.add_failed_run(REPO, ".github/workflows/ci.yml", logs={"1_build.txt": "boom\n"})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("results.xml", "<testsuite/>")
    artifact_id = attach_artifact(sandbox, REPO, run_id, "test-results", buf.getvalue())
    gh = GitHub(base_url=sandbox.url, token=sandbox.token)
    [listed] = gh.list_artifacts(REPO, run_id)
    assert (listed["id"], listed["name"], listed["size_in_bytes"]) == (artifact_id, "test-results", len(buf.getvalue()))
    assert bytes(gh.download_artifact(REPO, artifact_id)) == buf.getvalue()
    with pytest.raises(NotFound):
        gh.download_artifact(REPO, artifact_id + 999)
