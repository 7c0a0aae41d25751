"""Sanitizer reports, lint rows, xcpretty marks and TAP harness verdicts are root-cause lines, above the summary."""

from __future__ import annotations

from agent.models import Category
from agent.triage import triage


def joined(*rows: str) -> str:
    return "\n".join(rows)


def first_cause(text: str):
    diagnosis = triage(text.encode())
    return diagnosis.root_cause_lines[0], diagnosis.category


def causes(text: str) -> list[str]:
    return triage(text.encode()).root_cause_lines


def test_an_address_sanitizer_report_is_a_root_cause_beside_the_cmake_test_wrapper():
    log = joined(
        "$ make check", "[ RUN      ] FrameTest.Resize", "=================================================================",
        "==4242==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000011 at pc 0x55d1 bp 0x7ffd",
        "WRITE of size 4 at 0x602000000011 thread T0",
        "    #0 0x55d1 in Frame::resize(int) /src/frame.cpp:88:5", "    #1 0x55e2 in main /src/main.cpp:12:3",
        "SUMMARY: AddressSanitizer: heap-buffer-overflow /src/frame.cpp:88:5 in Frame::resize(int)",
        "CMake Error at cmake/RunTests.cmake:20 (message):", "  unit tests failed with error: 1",
        "make: *** [check] Error 1", 'The command "make check" exited with 2.')
    found = causes(log)
    assert first_cause(log)[1] == Category.test_failure  # the sanitizer's vote: CMake's wrapper names none
    assert any("ERROR: AddressSanitizer: heap-buffer-overflow" in line for line in found)
    assert not any("make: *** [check] Error 1" in line for line in found[:2])


def test_undefined_behaviour_sanitizer_runtime_error_is_the_cause():
    log = joined("$ make test", "./build/tests --seed 7", "Running 120 checks...",
                     "/src/codec/bits.cpp:41:17: runtime error: shift exponent 40 is too large for 32-bit type 'int'",
                     "make: *** [test] Error 1", 'The command "make test" exited with 2.')
    line, category = first_cause(log)
    assert "runtime error: shift exponent" in line and category == Category.test_failure


def test_an_eslint_row_beats_the_npm_footer():
    log = joined("$ npm run lint", "> app@1.0.0 lint /home/ci/app", "> eslint src", "",
                     "/home/ci/app/src/server.js", "  14:3  error  'port' is assigned a value but never used  no-unused-vars",
                     "", "✖ 1 problem (1 error, 0 warnings)", "npm ERR! code ELIFECYCLE", "npm ERR! errno 1",
                     "npm ERR! app@1.0.0 lint: `eslint src`", 'The command "npm run lint" exited with 1.')
    line, category = first_cause(log)
    assert "'port' is assigned a value but never used" in line and category == Category.compile_error


def test_xcpretty_error_mark_is_the_cause():
    log = joined("$ set -o pipefail && xcodebuild test -scheme App | xcpretty", "▸ Compiling Parser.swift",
                     "❌ /Users/ci/App/Sources/Parser.swift:97:2: cannot find 'tokenize' in scope", "",
                     "** TEST FAILED **", 'The command "xcodebuild test" exited with 65.')
    assert "cannot find 'tokenize' in scope" in first_cause(log)[0]


def test_a_tap_harness_verdict_beats_its_summary():
    log = joined("$ make test", "t/0001-init.t ........ ok", "t/0002-parse.t ....... ",
                     "not ok 7 - parses a quoted field", "#   Failed test 'parses a quoted field'",
                     "t/0002-parse.t ....... Dubious, test returned 1 (wstat 256, 0x100)", "Failed 1/12 subtests",
                     "Test Summary Report", "-------------------", "Result: FAIL", "make: *** [test] Error 1",
                     'The command "make test" exited with 2.')
    line, category = first_cause(log)
    assert ("not ok 7" in line or "Dubious, test returned 1" in line) and category == Category.test_failure
