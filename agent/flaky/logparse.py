"""Test results from runner output in logs: GoogleTest, CTest, Boost.Test and pytest lines."""

from __future__ import annotations

import io
import re
import zipfile

from agent.flaky.results import TestResult, merged

GTEST = re.compile(r"\[\s+(?P<st>OK|FAILED|SKIPPED)\s+\] (?P<suite>[\w/]+)\.(?P<name>[\w/]+)(?:, where .*)? \(\d+ ms\)\s*$")
CTEST = re.compile(
    r"\d+/\d+ Test\s+#\d+: (?P<name>\S+) \.*\s*(?:\*\*\*)?(?P<st>Passed|Failed|Timeout|Exception|Not Run|Skipped)")
CTEST_STATUS = {"Passed": "passed", "Failed": "failed", "Timeout": "errored", "Exception": "errored",
                "Not Run": "skipped", "Skipped": "skipped"}
BOOST_ERROR = re.compile(r'(?P<file>[^\s:()]+)\((?P<line>\d+)\): (?P<kind>fatal error|error): in "(?P<path>[^"]+)"')
BOOST_ENTER = re.compile(r'(?P<what>Entering|Leaving) test (?P<unit>suite|case) "(?P<name>[^"]+)"')
"""Units inside the test module (its own `Entering test module` line is not part of a test's path)."""
BOOST_SKIP = re.compile(r'Test case "?(?P<path>[\w/]+)"? (?:is skipped|did not run)')
PYTEST_LINE = re.compile(r"(?P<id>\S+?\.py::\S+) (?P<st>PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)\b")
PYTEST_SUMMARY = re.compile(r"^(?:\S+Z )?(?P<st>FAILED|ERROR) (?P<id>\S+?\.py::\S+)")
PYTEST_STATUS = {"PASSED": "passed", "XPASS": "passed", "FAILED": "failed", "ERROR": "errored",
                 "SKIPPED": "skipped", "XFAIL": "skipped"}
GTEST_STATUS = {"OK": "passed", "FAILED": "failed", "SKIPPED": "skipped"}


def boost_split(path: str) -> tuple[str, str]:
    suite, _, name = path.rpartition("/")
    return suite, name


class BoostLog:
    """Boost.Test's log (`-l all` or the default error level): suites entered, cases left, errors."""

    def __init__(self, job: str):
        self.job, self.stack, self.failed, self.out = job, [], {}, []

    def feed(self, line: str) -> None:
        if 'in "' not in line and "test " not in line and "Test case" not in line:
            return
        error = BOOST_ERROR.search(line) if 'in "' in line else None
        if error:
            unknown = "unknown location" in line
            self.failed[error.group("path")] = ("errored" if unknown else "failed",
                                                None if unknown else error.group("file"))
            return
        skip = BOOST_SKIP.search(line) if "Test case" in line else None
        if skip:
            self.out.append(TestResult("boost", *boost_split(skip.group("path")), "skipped", None, self.job))
            return
        unit = BOOST_ENTER.search(line)
        if unit is None:
            return
        if unit.group("unit") == "suite":
            (self.stack.append(unit.group("name")) if unit.group("what") == "Entering"
             else self.stack.pop() if self.stack else None)
        elif unit.group("what") == "Leaving":
            path = "/".join([*self.stack, unit.group("name")])
            status, file = self.failed.get(path, ("passed", None))
            self.out.append(TestResult("boost", *boost_split(path), status, file, self.job))

    def results(self) -> list[TestResult]:
        left = {r.test_id for r in self.out}
        errors = [TestResult("boost", *boost_split(path), status, file, self.job)
                  for path, (status, file) in self.failed.items() if path not in left]
        return self.out + errors


def line_result(line: str, job: str) -> TestResult | None:
    """The one test result a GoogleTest, CTest or pytest line reports, if any."""
    if "ms)" in line and (m := GTEST.search(line)):
        return TestResult("gtest", m.group("suite"), m.group("name"), GTEST_STATUS[m.group("st")], None, job)
    if " Test " in line and (m := CTEST.search(line)):
        return TestResult("ctest", "", m.group("name"), CTEST_STATUS[m.group("st")], None, job)
    if ".py::" in line and (m := PYTEST_LINE.search(line) or PYTEST_SUMMARY.search(line)):
        path, _, name = m.group("id").rpartition("::")
        return TestResult("pytest", path, name, PYTEST_STATUS[m.group("st")], path.split("::")[0], job)
    return None


def results_from_text(text: str, job: str = "") -> list[TestResult]:
    """Every test result printed in one job's log."""
    boost, out = BoostLog(job), []
    for line in text.splitlines():
        found = line_result(line, job)
        if found is not None:
            out.append(found)
        else:
            boost.feed(line)
    return merged(out + boost.results())


def job_name(member: str) -> str:
    """`3_build (ubuntu, Release).txt` → `build (ubuntu, Release)`."""
    stem = member.rsplit("/", 1)[-1].removesuffix(".txt")
    return re.sub(r"^\d+_", "", stem)


def results_from_logs(data: bytes) -> list[TestResult]:
    """Results from a run-log zip (one job per top-level file) or a single job's text log."""
    if not data.startswith(b"PK"):
        return results_from_text(data.decode("utf-8", "replace"))
    out: list[TestResult] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.endswith(".txt")]
        top = [n for n in names if "/" not in n]
        for name in top or names:
            job = job_name(name) if top else name.split("/", 1)[0]
            out += results_from_text(archive.read(name).decode("utf-8", "replace"), job)
    return merged(out)
