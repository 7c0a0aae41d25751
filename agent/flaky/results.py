"""Test results from JUnit/Boost.Test XML artifacts, or from test-runner lines in logs when there is none."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

MAX_XML_BYTES = 64 * 1024 * 1024
"""An XML file larger than this is not parsed (a results file is a few MB at most)."""
MAX_ZIP_MEMBERS = 2000
STATUSES = ("passed", "failed", "skipped", "errored")
UNSAFE_XML = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
WORST = {"skipped": 0, "passed": 1, "failed": 2, "errored": 3}
BOOST_NOT_TESTS = frozenset({"boost_test", "setup-teardown"})
"""Boost.Test JUNIT entries for the module's and suites' fixtures: not tests a filter can exclude."""
BOOST_ERR_FILE = re.compile(r"^- file: (\S+)$", re.MULTILINE)


class UnsafeXml(ValueError):
    """The XML declares a DOCTYPE or entities, or is over the size cap: it is not parsed."""


@dataclass(frozen=True)
class TestResult:
    """One test's outcome in one run attempt (and job, when known)."""

    __test__ = False  # not a pytest class
    framework: str
    """boost | gtest | ctest | pytest | junit (a JUnit file whose runner is unknown)."""
    suite: str
    name: str
    status: str
    file: str | None = None
    job: str = ""

    @property
    def test_id(self) -> str:
        """The name the framework's own filter understands: suite/case, Suite.Name, path::test, name."""
        if self.framework == "boost":
            return "/".join(p for p in (self.suite, self.name) if p)
        if self.framework == "pytest":
            return f"{self.suite}::{self.name}" if self.suite else self.name
        if self.framework == "ctest" or not self.suite:
            return self.name
        return f"{self.suite}.{self.name}"


def parse_xml(data: bytes) -> ElementTree.Element:
    """The root element of an XML document, refusing DOCTYPE/ENTITY declarations and oversized input."""
    if len(data) > MAX_XML_BYTES:
        raise UnsafeXml(f"XML of {len(data)} bytes is over the cap of {MAX_XML_BYTES}")
    if UNSAFE_XML.search(data):
        raise UnsafeXml("XML with a DOCTYPE or ENTITY declaration is not parsed")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise UnsafeXml(f"not well-formed XML ({exc})") from None


def results_from_xml(data: bytes, job: str = "") -> list[TestResult]:
    """JUnit XML (GoogleTest, Boost.Test JUNIT, pytest, CTest) or a Boost.Test XML log/report."""
    root = parse_xml(data)
    if root.tag in ("TestLog", "TestResult") or root.find(".//TestCase") is not None:
        return merged(boost_xml(root, job))
    suites = [root, *root.iter("testsuite")]
    default = "pytest" if any(s.get("name") == "pytest" for s in suites) else "junit"
    cases = [junit_case(case, job, default) for case in root.iter("testcase")]
    return merged([c for c in cases if not (c.framework == "boost" and c.name in BOOST_NOT_TESTS)])


# ---- JUnit -------------------------------------------------------------------------------------------

def junit_framework(case: ElementTree.Element, default: str = "junit") -> str:
    """Which runner wrote a JUnit testcase, from the attributes each one writes."""
    attrs = case.attrib
    if "assertions" in attrs:
        return "boost"
    if "status" in attrs:
        return "ctest" if attrs.get("classname") == attrs.get("name") else "gtest"
    return "pytest" if attrs.get("file", "").endswith(".py") else default


def junit_status(case: ElementTree.Element) -> str:
    """failed / errored / skipped / passed from a testcase's children and status attributes."""
    if case.find("failure") is not None:
        return "failed"
    if case.find("error") is not None:
        return "errored"
    status, result = case.get("status", ""), case.get("result", "")
    if case.find("skipped") is not None or status in ("notrun", "disabled") or result in ("skipped", "suppressed"):
        return "skipped"
    return "failed" if status == "fail" else "passed"


def pytest_names(classname: str, name: str, file: str | None) -> tuple[str, str]:
    """(path[::Class], name) from pytest's dotted classname and its file attribute."""
    parts = classname.split(".")
    classes = [p for p in parts if p[:1].isupper()]
    module = parts[: len(parts) - len(classes)]
    path = file or "/".join(module) + ".py"
    return "::".join([path, *classes]), name


def junit_case(case: ElementTree.Element, job: str, default: str = "junit") -> TestResult:
    """One JUnit testcase as a result, named the way its runner's filter expects."""
    framework, classname, name = junit_framework(case, default), case.get("classname", ""), case.get("name", "")
    file = case.get("file") or None
    if framework == "boost":
        suite = classname.replace(".", "/")
        name = "setup-teardown" if name.endswith("-setup-teardown") else name
        file = file or boost_file(case)
    elif framework == "pytest":
        suite, name = pytest_names(classname, name, file)
    else:
        suite = "" if framework == "ctest" else classname
    return TestResult(framework, suite, name, junit_status(case), file, job)


def boost_file(case: ElementTree.Element) -> str | None:
    """The file name Boost.Test's JUNIT logger writes in a failed case's system-err (`- file: x.cpp`)."""
    match = BOOST_ERR_FILE.search(case.findtext("system-err") or "")
    return match.group(1) if match else None


# ---- Boost.Test XML log / report ---------------------------------------------------------------------

def boost_xml(root: ElementTree.Element, job: str) -> list[TestResult]:
    """Every TestCase of a Boost.Test XML log (`--log_format=XML`) or report (`--report_format=XML`)."""
    out: list[TestResult] = []

    def walk(node: ElementTree.Element, path: list[str]) -> None:
        for child in node:
            if child.tag == "TestSuite":
                walk(child, path + [child.get("name", "")])
            elif child.tag == "TestCase":
                out.append(TestResult("boost", "/".join(path[1:]), child.get("name", ""),
                                      boost_case_status(child), child.get("file") or None, job))

    walk(root, [])
    return out


def boost_case_status(case: ElementTree.Element) -> str:
    """A Boost.Test case's status from its `result`/`skipped` attributes or its Error/Exception children."""
    result = case.get("result")
    if result:
        return {"passed": "passed", "skipped": "skipped", "aborted": "errored"}.get(result, "failed")
    if case.get("skipped") == "yes":
        return "skipped"
    if case.find("Exception") is not None:
        return "errored"
    return "failed" if case.find("Error") is not None or case.find("FatalError") is not None else "passed"


def merged(results: list[TestResult]) -> list[TestResult]:
    """One result per (job, framework, test): the worst status seen (a repeated test that failed once failed)."""
    best: dict[tuple[str, str, str], TestResult] = {}
    for result in results:
        key = (result.job, result.framework, result.test_id)
        if key not in best or WORST[result.status] > WORST[best[key].status]:
            best[key] = result
    return list(best.values())


# ---- artifacts ---------------------------------------------------------------------------------------

def results_from_artifact(data: bytes, job: str = "") -> list[TestResult]:
    """Results of every XML file in an artifact zip (unsafe or malformed files are skipped)."""
    out: list[TestResult] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist()[:MAX_ZIP_MEMBERS]:
            if not info.filename.lower().endswith(".xml") or info.file_size > MAX_XML_BYTES:
                continue
            try:
                out += results_from_xml(archive.read(info), job)
            except UnsafeXml:
                continue
    return merged(out)
