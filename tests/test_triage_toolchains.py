"""On each common toolchain's failure, the first root-cause line is the real cause, not the summary line."""

from __future__ import annotations

import pytest

from agent.logs.reader import read_log
from agent.logs.window import failure_window
from evals.synth import StepSpec, run_zip_bytes

NOISE = ["Cloning into 'repo'...", "Resolving deltas: 100% (812/812), done.", "Using cached dependencies",
         "Setting up toolchain 1.2.3", "Downloading index (3.4 MB)"]

GO_TEST = ["=== RUN   TestParseConfig", "--- PASS: TestParseConfig (0.00s)", "=== RUN   TestServeHTTP",
           "--- FAIL: TestServeHTTP (0.02s)", "    server_test.go:48: status = 500, want 200",
           "FAIL", "FAIL\tgithub.com/acme/web/server\t0.031s", "ok  \tgithub.com/acme/web/util\t(cached)",
           "?   \tgithub.com/acme/web/cmd\t[no test files]", "FAIL"]
GRADLE = ["> Task :compileJava", "> Task :test", "", "com.acme.OrderServiceTest > refundsPartialOrders FAILED",
          "    org.opentest4j.AssertionFailedError: expected: <40.0> but was: <38.5>",
          "        at app//com.acme.OrderServiceTest.refundsPartialOrders(OrderServiceTest.java:77)", "",
          "12 tests completed, 1 failed", "", "FAILURE: Build failed with an exception.", "",
          "* What went wrong:", "Execution failed for task ':test'.",
          "> There were failing tests. See the report at: file:///build/reports/tests/test/index.html", "",
          "* Try:", "> Run with --stacktrace option to get the stack trace.", "", "BUILD FAILED in 41s",
          "4 actionable tasks: 4 executed"]
GRADLE_CONFIG = ["> Configure project :app", "", "FAILURE: Build failed with an exception.", "",
                 "* What went wrong:", "Could not determine the dependencies of task ':app:compileJava'.",
                 "> Could not resolve all task dependencies for configuration ':app:compileClasspath'.", "",
                 "* Try:", "> Run with --info or --debug option to get more log output.", "", "BUILD FAILED in 3s"]
MAVEN = ["[INFO] --- maven-compiler-plugin:3.11.0:compile (default-compile) @ billing ---",
         "[INFO] Compiling 42 source files to /work/billing/target/classes",
         "[ERROR] COMPILATION ERROR : ",
         "[ERROR] /work/billing/src/main/java/com/acme/Invoice.java:[31,17] cannot find symbol",
         "  symbol:   method roundHalfEven(double)", "[INFO] 1 error", "[INFO] BUILD FAILURE",
         ("[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile "
          "(default-compile) on project billing: Compilation failure")]
JAVA_EXCEPTION = ["Starting service on port 8080",
                  "Exception in thread \"main\" java.lang.IllegalStateException: datasource url is not set",
                  "\tat com.acme.Boot.start(Boot.java:22)",
                  "\tat com.acme.Boot.main(Boot.java:9)", "make: *** [Makefile:30: smoke] Error 1"]
PYTEST = ["============================= test session starts ==============================",
          "collected 31 items", "", "tests/test_parser.py ....F....", "",
          "=================================== FAILURES ===================================",
          "_____________________________ test_parse_empty_list _____________________________", "",
          "    def test_parse_empty_list():", ">       assert parse('[]') == []",
          "E       AssertionError: assert None == []", "E        +  where None = parse('[]')", "",
          "tests/test_parser.py:14: AssertionError",
          "=========================== short test summary info ============================",
          "FAILED tests/test_parser.py::test_parse_empty_list - AssertionError: assert None == []",
          "========================= 1 failed, 30 passed in 0.42s ========================="]
PY_TRACEBACK = ["Running migrations", "Traceback (most recent call last):", "  File \"manage.py\", line 22, in <module>",
                "    main()", "  File \"/app/db/migrate.py\", line 87, in main",
                "    conn = connect(settings.DATABASE_URL)",
                "KeyError: 'DATABASE_URL'", "Error: Process completed with exit code 1."]
JEST = ["PASS src/utils.test.js", "FAIL src/cart.test.js", "  \u25cf Cart \u203a applies the discount code", "",
        "    expect(received).toBe(expected) // Object.is equality", "", "    Expected: 90", "    Received: 100", "",
        "      at Object.<anonymous> (src/cart.test.js:21:30)", "",
        "Test Suites: 1 failed, 1 passed, 2 total", "Tests:       1 failed, 11 passed, 12 total",
        "npm ERR! code ELIFECYCLE", "npm ERR! errno 1", "npm ERR! shop@1.0.0 test: `jest`",
        "npm ERR! Exit status 1", "npm ERR! Failed at the shop@1.0.0 test script."]
MOCHA = ["  Router", "    \u2713 matches static paths", "    1) resolves parameters", "", "  14 passing (210ms)",
         "  1 failing", "", "  1) Router", "       resolves parameters:", "     AssertionError: expected '/users/:id' to equal '/users/42'",
         "      at Context.<anonymous> (test/router.spec.js:33:12)", "",
         "npm ERR! Test failed.  See above for more details."]
NPM_INSTALL = ["npm WARN deprecated request@2.88.2: request has been deprecated", "npm ERR! code E404",
               "npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found",
               "npm ERR! 404  'left-padd@^1.3.0' is not in this registry.",
               "npm ERR! A complete log of this run can be found in:",
               "npm ERR!     /home/runner/.npm/_logs/2024-01-01T00_00_00_000Z-debug.log"]
CARGO = ["   Compiling serde v1.0.190", "   Compiling app v0.1.0 (/work/app)",
         "error[E0308]: mismatched types", "  --> src/main.rs:14:20", "   |",
         "14 |     let total: u32 = price * 1.2;", "   |                      ^^^^^^^^^^^ expected `u32`, found `f64`",
         "", "For more information about this error, try `rustc --explain E0308`.",
         "error: could not compile `app` (bin \"app\") due to 1 previous error"]
CARGO_TEST = ["running 3 tests", "test tests::adds ... ok", "test tests::splits ... FAILED", "", "failures:", "",
              "---- tests::splits stdout ----", "thread 'tests::splits' panicked at src/lib.rs:40:9:",
              "assertion `left == right` failed", "  left: 2", " right: 3", "", "failures:", "    tests::splits",
              "", "test result: FAILED. 2 passed; 1 failed; 0 ignored", "",
              "error: test failed, to rerun pass `--lib`"]
DOTNET = ["  Determining projects to restore...", "  All projects are up-to-date for restore.",
          ("/work/src/Api/Controllers/OrdersController.cs(57,31): error CS1061: 'Order' does not contain a "
           "definition for 'Total' [/work/src/Api/Api.csproj]"), "", "Build FAILED.", "",
          "    0 Warning(s)", "    1 Error(s)", "", "Time Elapsed 00:00:09.12"]
DOTNET_TEST = ["Starting test execution, please wait...", "  Failed Api.Tests.OrderTests.TotalIncludesTax [12 ms]",
               "  Error Message:", "   Assert.Equal() Failure", "Expected: 108", "Actual:   100",
               "  Stack Trace:", "     at Api.Tests.OrderTests.TotalIncludesTax() in /work/tests/OrderTests.cs:line 31",
               "", "Failed!  - Failed:     1, Passed:    41, Skipped:     0, Total:    42"]
GTEST = ["[ RUN      ] Decoder.RejectsTruncatedFrame", "/work/test/decoder_test.cc:88: Failure",
         "Expected equality of these values:", "  status", "    Which is: 0", "  Status::kTruncated",
         "[  FAILED  ] Decoder.RejectsTruncatedFrame (3 ms)", "[==========] 24 tests ran. (40 ms total)",
         "[  FAILED  ] 1 test, listed below:", "[  FAILED  ] Decoder.RejectsTruncatedFrame", " 1 FAILED TEST",
         "50% tests passed, 1 tests failed out of 2", "The following tests FAILED:",
         "\t  2 - decoder_test (Failed)", "Errors while running CTest"]
BOOST = ["Running 12 test cases...",
         "/work/test/queue_tests.cpp(54): error: in \"queue/pops_in_order\": check q.pop() == 2 has failed [3 != 2]",
         "", "*** 1 failure is detected in the test module \"Core\"",
         "make: *** [Makefile:40: test] Error 201"]
GIT = ["Fetching submodules", "Cloning into '/work/vendor/codec'...",
       "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
       "fatal: clone of 'https://github.com/acme/codec' into submodule path '/work/vendor/codec' failed",
       "Failed to clone 'vendor/codec'. Retry scheduled"]

CASES = [
    ("go-test", GO_TEST, "--- FAIL: TestServeHTTP"),
    ("gradle-test", GRADLE, "com.acme.OrderServiceTest > refundsPartialOrders FAILED"),
    ("gradle-config", GRADLE_CONFIG, "* What went wrong:"),
    ("maven", MAVEN, "Invoice.java:[31,17] cannot find symbol"),
    ("java-exception", JAVA_EXCEPTION, "java.lang.IllegalStateException: datasource url is not set"),
    ("pytest", PYTEST, "test_parse_empty_list"),
    ("python-traceback", PY_TRACEBACK, "Traceback (most recent call last):"),
    ("jest", JEST, "\u25cf Cart \u203a applies the discount code"),
    ("mocha", MOCHA, "resolves parameters"),
    ("npm-install", NPM_INSTALL, "404"),
    ("cargo-build", CARGO, "error[E0308]: mismatched types"),
    ("cargo-test", CARGO_TEST, "tests::splits"),
    ("dotnet-build", DOTNET, "error CS1061"),
    ("dotnet-test", DOTNET_TEST, "Failed Api.Tests.OrderTests.TotalIncludesTax"),
    ("gtest-ctest", GTEST, "decoder_test.cc:88: Failure"),
    ("boost-test", BOOST, "check q.pop() == 2 has failed"),
    ("git", GIT, "fatal: could not read Username"),
]
FOLLOWERS = {
    "gradle-config": "Could not determine the dependencies", "python-traceback": "KeyError: 'DATABASE_URL'",
    "pytest": "E       AssertionError: assert None == []", "go-test": "server_test.go:48: status = 500",
    "cargo-test": "panicked at src/lib.rs:40:9", "jest": "Expected: 90",
}
"""The line that must print with the first one (its block): the message under a header."""


def _plain(lines: list[str]) -> bytes:
    return ("\n".join(NOISE * 20 + lines) + "\n").encode("utf-8")


@pytest.mark.parametrize("name, lines, cause", CASES, ids=[case[0] for case in CASES])
def test_a_plain_log_of_each_toolchain_puts_its_real_cause_first(name, lines, cause):
    window = failure_window(read_log(_plain(lines)))
    assert cause in window.root_cause_lines[0], window.root_cause_lines
    if name in FOLLOWERS:
        assert any(FOLLOWERS[name] in line for line in window.root_cause_lines[1:6]), window.root_cause_lines


@pytest.mark.parametrize("name, lines, cause", CASES, ids=[case[0] for case in CASES])
def test_an_actions_log_of_each_toolchain_puts_its_real_cause_first(name, lines, cause):
    step = StepSpec(name="Test", command="make test", lines=lines, noise=200, failed=True)
    window = failure_window(read_log(run_zip_bytes({"test": [step]})))
    assert cause in window.root_cause_lines[0], window.root_cause_lines
