"""Test results from JUnit and Boost.Test XML (safely parsed) and from runner lines in logs."""

from __future__ import annotations

import io
import zipfile

import pytest

from agent.flaky.logparse import results_from_logs, results_from_text
from agent.flaky.results import MAX_XML_BYTES, UnsafeXml, parse_xml, results_from_artifact, results_from_xml


def summary(results) -> list[tuple[str, str, str]]:
    return sorted((r.framework, r.test_id, r.status) for r in results)


GTEST_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="1" name="AllTests">
  <testsuite name="Net" tests="3" failures="1">
    <testcase name="Connect" file="test/net_test.cc" line="10" status="run" result="completed" classname="Net"/>
    <testcase name="Reconnect" status="run" result="completed" classname="Net">
      <failure message="net_test.cc:20&#x0A;Expected equality" type=""/>
    </testcase>
    <testcase name="Slow" status="notrun" result="suppressed" classname="Net"/>
  </testsuite>
</testsuites>"""
BOOST_JUNIT = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite tests="3" skipped="1" errors="1" failures="2" id="0" name="aprapipesut" time="1.2">
<testcase assertions="4" classname="jpeg_tests" name="encode" time="0.1"><failure message="check failed"
 type="assertion error"><![CDATA[ASSERTION FAILURE: - file : jpeg_tests.cpp - line : 42]]></failure></testcase>
<testcase assertions="0" classname="cuda_tests.memory" name="oom" time="0.0"><error message="memory access violation"
 type="uncaught exception"/></testcase>
<testcase assertions="0" classname="nvmm_tests" name="hang" time="0.0"><skipped/></testcase>
<testcase assertions="1" classname="nvmm_tests" name="decode" time="0.0"><failure message="f" type="assertion error"/>
<system-err><![CDATA[Failures detected in:
- test case: nvmm_tests/decode
- file: nvmm_tests.cpp
- line: 12
]]></system-err></testcase>
<testcase assertions="1" name="nvmm_tests-setup-teardown" classname="" time="0"><error message="x" type="y"/></testcase>
<testcase assertions="1" name="boost_test" time="0"/>
</testsuite>"""
PYTEST_JUNIT = b"""<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1"
 skipped="0" tests="2"><testcase classname="tests.test_net" name="test_connect" time="0.01"/>
<testcase classname="tests.test_net.TestRetry" name="test_backoff" time="0.2"><failure message="assert 1 == 2"/>
</testcase></testsuite></testsuites>"""
CTEST_JUNIT = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="host" tests="3" failures="1" disabled="1" skipped="0" hostname="host" time="1">
<testcase name="unit_a" classname="unit_a" time="0.1" status="run"/>
<testcase name="unit_b" classname="unit_b" time="0.2" status="fail"><failure message="Failed"/></testcase>
<testcase name="unit_c" classname="unit_c" time="0" status="disabled"><skipped message="Disabled"/></testcase>
</testsuite>"""
BOOST_XML_LOG = b"""<TestLog><TestSuite name="aprapipesut"><TestSuite name="jpeg_tests">
<TestCase name="encode" file="base/test/jpeg_tests.cpp" line="30"><Error file="base/test/jpeg_tests.cpp" line="42">
check failed</Error><TestingTime>10</TestingTime></TestCase><TestCase name="decode"><TestingTime>5</TestingTime>
</TestCase></TestSuite><TestCase name="top"><Exception file="x.cpp" line="1">boom</Exception></TestCase>
<TestCase name="off" skipped="yes" reason="disabled"/></TestSuite></TestLog>"""


@pytest.mark.parametrize(("xml", "expected"), [
    (GTEST_XML, [("gtest", "Net.Connect", "passed"), ("gtest", "Net.Reconnect", "failed"),
                 ("gtest", "Net.Slow", "skipped")]),
    (BOOST_JUNIT, [("boost", "cuda_tests/memory/oom", "errored"), ("boost", "jpeg_tests/encode", "failed"),
                   ("boost", "nvmm_tests/decode", "failed"), ("boost", "nvmm_tests/hang", "skipped")]),
    (PYTEST_JUNIT, [("pytest", "tests/test_net.py::TestRetry::test_backoff", "failed"),
                    ("pytest", "tests/test_net.py::test_connect", "passed")]),
    (CTEST_JUNIT, [("ctest", "unit_a", "passed"), ("ctest", "unit_b", "failed"), ("ctest", "unit_c", "skipped")]),
    (BOOST_XML_LOG, [("boost", "jpeg_tests/decode", "passed"), ("boost", "jpeg_tests/encode", "failed"),
                     ("boost", "off", "skipped"), ("boost", "top", "errored")]),
], ids=["googletest", "boost-junit", "pytest", "ctest", "boost-xml-log"])
def test_each_runners_xml_gives_results_named_as_its_filter_expects(xml, expected):
    assert summary(results_from_xml(xml)) == expected


def test_the_test_file_is_kept_when_the_xml_names_it():
    [encode] = [r for r in results_from_xml(BOOST_XML_LOG) if r.name == "encode"]
    assert encode.file == "base/test/jpeg_tests.cpp"
    [decode] = [r for r in results_from_xml(BOOST_JUNIT) if r.name == "decode"]
    assert decode.file == "nvmm_tests.cpp"  # Boost's JUNIT logger writes the base name only


@pytest.mark.parametrize("xml", [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><testsuite>&lol2;</testsuite>',
    b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><testsuite/>',
    b"<testsuite><testcase",
])
def test_xml_with_entities_a_doctype_or_broken_markup_is_refused(xml):
    with pytest.raises(UnsafeXml):
        parse_xml(xml)


def test_xml_over_the_size_cap_is_not_parsed():
    with pytest.raises(UnsafeXml, match="over the cap"):
        parse_xml(b"<testsuite>" + b" " * MAX_XML_BYTES + b"</testsuite>")


def test_an_artifact_zip_yields_the_results_of_its_xml_files_and_skips_unsafe_ones():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("CI_test_result_linux.xml", BOOST_JUNIT)
        archive.writestr("evil.xml", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><testsuite>&e;</testsuite>')
        archive.writestr("readme.txt", b"not results")
    results = results_from_artifact(buf.getvalue(), "test-results")
    assert len(results) == 4 and {r.job for r in results} == {"test-results"}


LOG = """2026-12-07T10:00:00.0000000Z [ RUN      ] Net.Connect
2026-12-07T10:00:00.0000000Z [       OK ] Net.Connect (3 ms)
2026-12-07T10:00:00.0000000Z [  FAILED  ] Net.Reconnect (12 ms)
2026-12-07T10:00:00.0000000Z [  FAILED  ] Net.Reconnect
2026-12-07T10:00:00.0000000Z [  FAILED  ] Param/Codec.Decode/1, where GetParam() = 4 (0 ms)
2026-12-07T10:00:01.0000000Z       Start  1: unit_a
2026-12-07T10:00:01.0000000Z  1/3 Test  #1: unit_a ...........................   Passed    0.01 sec
2026-12-07T10:00:01.0000000Z  2/3 Test  #2: unit_b ...........................***Failed    0.02 sec
2026-12-07T10:00:01.0000000Z  3/3 Test  #3: unit_hang ........................***Timeout 1500.01 sec
2026-12-07T10:00:02.0000000Z base/test/jpeg_tests.cpp(42): error: in "jpeg_tests/encode": check frame failed
2026-12-07T10:00:02.0000000Z unknown location(0): fatal error: in "cuda_tests/oom": memory access violation
2026-12-07T10:00:02.0000000Z *** 2 failures are detected in the test module "aprapipesut"
2026-12-07T10:00:03.0000000Z tests/test_net.py::test_connect PASSED                              [ 50%]
2026-12-07T10:00:03.0000000Z tests/test_net.py::TestRetry::test_backoff FAILED                   [100%]
2026-12-07T10:00:03.0000000Z =========================== short test summary info ============================
2026-12-07T10:00:03.0000000Z FAILED tests/test_net.py::test_flaky - AssertionError: assert 1 == 2
"""


def test_runner_lines_in_a_log_give_results_when_there_is_no_artifact():
    assert summary(results_from_text(LOG)) == [
        ("boost", "cuda_tests/oom", "errored"), ("boost", "jpeg_tests/encode", "failed"),
        ("ctest", "unit_a", "passed"), ("ctest", "unit_b", "failed"), ("ctest", "unit_hang", "errored"),
        ("gtest", "Net.Connect", "passed"), ("gtest", "Net.Reconnect", "failed"),
        ("gtest", "Param/Codec.Decode/1", "failed"),
        ("pytest", "tests/test_net.py::TestRetry::test_backoff", "failed"),
        ("pytest", "tests/test_net.py::test_connect", "passed"), ("pytest", "tests/test_net.py::test_flaky", "failed")]
    [encode] = [r for r in results_from_text(LOG) if r.name == "encode"]
    assert encode.file == "base/test/jpeg_tests.cpp"


def test_boost_log_at_level_all_gives_passes_with_their_suite_path():
    log = """Entering test module "aprapipesut"
Entering test suite "jpeg_tests"
Entering test case "decode"
Leaving test case "decode"; testing time: 12us
Leaving test suite "jpeg_tests"
Leaving test module "aprapipesut"
"""
    assert summary(results_from_text(log)) == [("boost", "jpeg_tests/decode", "passed")]


def test_a_run_log_zip_gives_each_jobs_results_once_despite_the_step_files():
    files = {"1_linux.txt": "[       OK ] A.B (1 ms)\n", "linux/3_Run tests.txt": "[       OK ] A.B (1 ms)\n",
             "2_jetson.txt": "[  FAILED  ] A.B (1 ms)\n", "jetson/3_Run tests.txt": "[  FAILED  ] A.B (1 ms)\n"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    results = results_from_logs(buf.getvalue())
    assert sorted((r.job, r.status) for r in results) == [("jetson", "failed"), ("linux", "passed")]
