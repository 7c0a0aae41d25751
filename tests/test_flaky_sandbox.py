"""End to end on the sandbox: a flaky test gets a quarantine PR (not merged) and its issue, a broken one an issue."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from test_tools_world import sandbox  # noqa: F401 - fixture

from agent.github import GitHub, RetryPolicy
from agent.knowledge import load_known_issues
from agent.models import Action
from agent.pipeline import Pipeline
from agent.policy import load_policy
from agent.sandbox.api_actions import attach_artifact
from agent.sandbox.ci import build_attempt, settle
from agent.sandbox.model import Actor
from agent.store import Store
from evals.synth import StepSpec, run_layout

REPO = "Apra-Labs/ApraPipes"
WORKFLOW = ".github/workflows/CI-Linux.yml"
TEST_CMD = "build/aprapipesut --log_format=JUNIT --log_sink=CI_test_result.xml -p -l all"
FILES = {
    WORKFLOW: "name: CI-Linux\non: [push, pull_request]\npermissions:\n  contents: read\njobs:\n  build:\n"
              "    runs-on: ubuntu-22.04\n    timeout-minutes: 60\n    steps:\n      - uses: actions/checkout@v4\n"
              "      - name: Build\n        run: ./build.sh\n      - name: Run Tests\n        run: |\n"
              f"          {TEST_CMD}\n",
    ".github/CODEOWNERS": "* @lead\nbase/test/jpeg_tests.cpp @jpegdev\n",
    "base/test/jpeg_tests.cpp": "// jpeg tests\n",
    "base/test/cuda_tests.cpp": "// cuda tests\n",
    "build.sh": "#!/bin/sh\ncmake --build build\n",
}
FAST = RetryPolicy(max_attempts=2, max_total_wait=1, backoff_base=0.01, backoff_cap=0.02)


def boost_lines(outcomes: dict[str, bool]) -> list[str]:
    """Boost.Test `-l all` output for suite/case → passed?"""
    lines = ['Running 2 test cases...', 'Entering test module "aprapipesut"']
    for path, passed in outcomes.items():
        suite, case = path.split("/")
        lines += [f'Entering test suite "{suite}"', f'Entering test case "{case}"']
        if not passed:
            lines.append(f'base/test/{suite}.cpp(42): error: in "{path}": check frame != nullptr has failed')
        lines += [f'Leaving test case "{case}"; testing time: 1200us', f'Leaving test suite "{suite}"']
    failures = sum(not p for p in outcomes.values())
    return lines + ([f'*** {failures} failures are detected in the test module "aprapipesut"'] if failures
                    else ["*** No errors detected"])


def runner_logs(outcomes: dict[str, bool]) -> dict[str, bytes]:
    failed = not all(outcomes.values())
    steps = {"build": [StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4", failed=False),
                       StepSpec(name="Build", lines=["-- Build files written"], failed=False),
                       StepSpec(name="Run Tests", lines=boost_lines(outcomes), failed=failed,
                                exit_code=1 if failed else None)]}
    return {k: v.encode("utf-8") for k, v in run_layout(steps, workflow=WORKFLOW, seed=1).items()}


def add_attempt(sb, run_id: int, outcomes: dict[str, bool]) -> None:
    """A re-run attempt of a run with its own test outcomes."""
    with sb.lock:
        run = sb.repo(REPO).runs[run_id]
        attempt = build_attempt(sb, len(run.attempts) + 1, runner_logs(outcomes), Actor(login="dev1"))
        run.attempts.append(attempt)
        settle(attempt, "completed")


def junit_artifact(outcomes: dict[str, bool]) -> bytes:
    cases = "".join(f'<testcase assertions="1" classname="{p.split("/")[0]}" name="{p.split("/")[1]}" time="0.1">'
                    + ("" if ok else '<failure message="check failed" type="assertion error"/>') + "</testcase>"
                    for p, ok in outcomes.items())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("CI_test_result.xml", f'<?xml version="1.0"?><testsuite name="aprapipesut">{cases}</testsuite>')
    return buf.getvalue()


@pytest.fixture
def pipe(sandbox, tmp_path, monkeypatch):  # noqa: F811 - the fixture above
    monkeypatch.setenv("AGENT_HOME", str(tmp_path / "home"))
    gh = GitHub(base_url=sandbox.url, token=sandbox.token, retry=FAST)
    return Pipeline(gh, Store(tmp_path / "agent.db"), load_policy(), kb=load_known_issues(), verify_timeout=1,
                    poll_interval=0.05)


BOTH_FAIL = {"jpeg_tests/encode": False, "cuda_tests/oom": False}


def flaky_and_broken_history(sandbox) -> int:  # noqa: F811
    """A run where both tests failed and its re-run where only the broken one did, then a new failed run."""
    sandbox.add_repo(REPO, files=FILES)
    first = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=runner_logs(BOTH_FAIL))
    add_attempt(sandbox, first, {"jpeg_tests/encode": True, "cuda_tests/oom": False})  # the re-run: encode passes
    second = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=runner_logs(BOTH_FAIL))
    attach_artifact(sandbox, REPO, second, "test-results-linux", junit_artifact(BOTH_FAIL))
    return second


def add_run(sandbox, outcomes: dict[str, bool], hours: int, branch: str | None = None) -> int:  # noqa: F811
    """A later run (green when every test passed) with the given test outcomes."""
    when = (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run_id = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=runner_logs(outcomes), created_at=when,
                                    head_branch=branch)
    return sandbox.mark_succeeded(REPO, run_id) if all(outcomes.values()) else run_id


def test_only_the_flaky_test_gets_a_quarantine_pr_and_the_broken_one_an_issue(sandbox, pipe):  # noqa: F811
    second = flaky_and_broken_history(sandbox)

    result = pipe.handle_run(REPO, second)

    pulls = sandbox.repo(REPO).pulls
    assert len(pulls) == 1
    [pull] = pulls.values()
    assert not pull.merged
    quarantined = sandbox.file_text(REPO, WORKFLOW, pull.head)
    assert f"{TEST_CMD} --run_test=!jpeg_tests/encode\n" in quarantined
    assert "cuda_tests/oom" not in quarantined
    issues = sorted(sandbox.repo(REPO).issues.values(), key=lambda i: i.number)
    titles = [i.title for i in issues]
    assert any("Flaky test quarantined: jpeg_tests/encode" in t for t in titles)
    flaky_issue = next(i for i in issues if "Flaky test quarantined" in i.title)
    assert flaky_issue.assignees == ["jpegdev"]
    until = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    note = f"# devops-agent quarantine: jpeg_tests/encode (boost) until {until} issue #{flaky_issue.number} owner jpegdev"
    assert note in quarantined
    broken_issue = next(i for i in issues if "Flaky" not in i.title and i.number != pull.number)
    assert "cuda_tests/oom: broken" in broken_issue.body
    assert result.plan.action == Action.escalate
    assert any("cuda_tests/oom: broken" in line for line in result.diagnosis.root_cause_lines)
    assert "cuda_tests/oom" not in "".join(i.title for i in issues if "Flaky" in i.title)
    from_artifact = [r for r in pipe.store.test_observations(REPO) if r["run_id"] == second]
    assert {r["job"] for r in from_artifact} == {"test-results-linux"}


def test_a_merged_quarantine_is_released_by_a_pr_after_three_green_runs_with_the_test_back_in(sandbox, pipe):  # noqa: F811
    pipe.handle_run(REPO, flaky_and_broken_history(sandbox))
    [pull] = sandbox.repo(REPO).pulls.values()
    pipe.gh.merge_pull(REPO, pull.number, pull.head_sha)  # a maintainer merges the quarantine
    for hours in (1, 2, 3):  # runs where the test still ran (e.g. a release branch), green
        add_run(sandbox, {"jpeg_tests/encode": True, "cuda_tests/oom": True}, hours, branch="release/1.0")
    later = add_run(sandbox, {"cuda_tests/oom": False}, 4)

    pipe.handle_run(REPO, later)

    release = [p for p in sandbox.repo(REPO).pulls.values() if p.number != pull.number]
    assert len(release) == 1 and not release[0].merged
    released = sandbox.file_text(REPO, WORKFLOW, release[0].head)
    assert released == FILES[WORKFLOW]
    record = pipe.store.quarantine_records(REPO)[("boost", "jpeg_tests/encode")]
    assert record["released"]


def quarantine_plans(store) -> list[dict]:
    return [row["plan"] for row in store.rows("SELECT plan FROM plans WHERE template = 'quarantine_test'")]


def test_a_test_failing_every_time_gets_an_issue_and_never_a_quarantine_pr(sandbox, pipe):  # noqa: F811
    sandbox.add_repo(REPO, files=FILES)
    broken = {"cuda_tests/oom": False}
    first = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=runner_logs(broken))
    add_attempt(sandbox, first, broken)
    result = pipe.handle_run(REPO, sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=runner_logs(broken)))
    assert sandbox.repo(REPO).pulls == {} and quarantine_plans(pipe.store) == []
    assert result.status == "escalated" and result.plan.action == Action.escalate
    [issue] = sandbox.repo(REPO).issues.values()
    assert "cuda_tests/oom: broken (fails every time" in issue.body


def test_a_first_failure_without_evidence_is_handled_as_before(sandbox, pipe):  # noqa: F811
    sandbox.add_repo(REPO, files=FILES)
    result = pipe.handle_run(REPO, sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux",
                                                          logs=runner_logs({"jpeg_tests/encode": False})))
    assert quarantine_plans(pipe.store) == [] and sandbox.repo(REPO).pulls == {}
    assert not any("broken" in line for line in result.diagnosis.root_cause_lines)


def test_the_quarantine_is_a_pull_request_for_a_human_unless_the_policy_allows_auto_merge(sandbox, pipe):  # noqa: F811
    pipe.handle_run(REPO, flaky_and_broken_history(sandbox))
    [plan] = quarantine_plans(pipe.store)
    assert plan["action"] == "pull_request"
    decision = pipe.store.decisions(plan["id"])[-1]["decision"]
    assert (decision["decision"], decision["action"]) == ("allow", "pull_request")


def test_with_auto_merge_quarantine_allowed_the_quarantine_is_proposed_as_an_auto_fix(sandbox, pipe):  # noqa: F811
    from agent.policy.schema import Flaky

    auto = pipe.with_policy(pipe.policy.model_copy(update={"flaky": Flaky(auto_merge_quarantine=True)}))
    auto.handle_run(REPO, flaky_and_broken_history(sandbox))
    [plan] = quarantine_plans(auto.store)
    assert plan["action"] == "auto_fix"


def test_a_flaky_test_with_no_runner_command_to_exclude_it_in_is_not_quarantined_and_opens_no_tracking_issue(
        sandbox, pipe):  # noqa: F811
    scripted = FILES[WORKFLOW].replace(TEST_CMD, "./scripts/run_tests.sh")
    sandbox.add_repo(REPO, files={**FILES, WORKFLOW: scripted})
    first = sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux", logs=runner_logs({"jpeg_tests/encode": False}))
    add_attempt(sandbox, first, {"jpeg_tests/encode": True})
    pipe.handle_run(REPO, sandbox.add_failed_run(REPO, WORKFLOW, name="CI-Linux",
                                                 logs=runner_logs({"jpeg_tests/encode": False})))
    assert sandbox.repo(REPO).pulls == {}
    assert not any("Flaky test quarantined" in i.title for i in sandbox.repo(REPO).issues.values())


def test_a_flaky_test_failing_again_while_its_quarantine_pr_is_open_gets_no_second_pr(sandbox, pipe):  # noqa: F811
    pipe.handle_run(REPO, flaky_and_broken_history(sandbox))
    since = pipe.store.quarantine_records(REPO)[("boost", "jpeg_tests/encode")]["since"]
    again = add_run(sandbox, BOTH_FAIL, 1)
    pipe.handle_run(REPO, again)
    assert len(sandbox.repo(REPO).pulls) == 1
    assert pipe.store.quarantine_records(REPO)[("boost", "jpeg_tests/encode")]["since"] == since


def merged_quarantine(sandbox, pipe):  # noqa: F811
    pipe.handle_run(REPO, flaky_and_broken_history(sandbox))
    [pull] = sandbox.repo(REPO).pulls.values()
    pipe.gh.merge_pull(REPO, pull.number, pull.head_sha)  # a maintainer merges the quarantine
    return pull


def release_pulls(sandbox, quarantine_pull) -> list:  # noqa: F811
    return [p for p in sandbox.repo(REPO).pulls.values() if p.number != quarantine_pull.number]


def test_green_default_branch_runs_release_a_quarantine_without_waiting_for_another_failure(sandbox, pipe):  # noqa: F811
    pull = merged_quarantine(sandbox, pipe)
    add_run(sandbox, {"jpeg_tests/encode": True, "cuda_tests/oom": True}, 1, branch="release/1.0")
    green = add_run(sandbox, {"cuda_tests/oom": True}, 2)  # main is green: the quarantined test does not run there
    pipe.handle_default_branch_outcome(REPO, pipe.gh.get_run(REPO, green))
    assert release_pulls(sandbox, pull) == []  # one green run of the test is not enough evidence

    for hours in (3, 4):
        add_run(sandbox, {"jpeg_tests/encode": True, "cuda_tests/oom": True}, hours, branch="release/1.0")
    green = add_run(sandbox, {"cuda_tests/oom": True}, 5)
    pipe.handle_default_branch_outcome(REPO, pipe.gh.get_run(REPO, green))

    [release] = release_pulls(sandbox, pull)
    assert not release.merged and sandbox.file_text(REPO, WORKFLOW, release.head) == FILES[WORKFLOW]
    assert pipe.store.quarantine_records(REPO)[("boost", "jpeg_tests/encode")]["released"]
    pipe.handle_default_branch_outcome(REPO, pipe.gh.get_run(REPO, add_run(sandbox, {"cuda_tests/oom": True}, 6)))
    assert len(release_pulls(sandbox, pull)) == 1  # proposed once


def test_an_expired_quarantine_is_released_on_the_next_green_default_branch_run(sandbox, pipe):  # noqa: F811
    pull = merged_quarantine(sandbox, pipe)
    record = pipe.store.quarantine_records(REPO)[("boost", "jpeg_tests/encode")]
    pipe.store.save_quarantine(REPO, "jpeg_tests/encode", "boost", {**record, "until": "2000-01-01"})
    side = add_run(sandbox, {"cuda_tests/oom": True}, 1, branch="feature/x")
    pipe.handle_default_branch_outcome(REPO, pipe.gh.get_run(REPO, side))
    assert release_pulls(sandbox, pull) == []  # not the default branch
    pipe.handle_default_branch_outcome(REPO, pipe.gh.get_run(REPO, add_run(sandbox, {"cuda_tests/oom": True}, 2)))
    [release] = release_pulls(sandbox, pull)
    assert sandbox.file_text(REPO, WORKFLOW, release.head) == FILES[WORKFLOW]
    assert "quarantine expired" in sandbox.repo(REPO).issues[release.number].body
