"""The same failure in two runs gets one signature; different failures get different ones."""

from __future__ import annotations

import re

import pytest

from agent.logs.redact import redact
from agent.logs.signature import failure_signature, normalise_line

RUN_A = [
    (
        "2024-05-01T10:00:01.1234567Z /home/runner/work/ApraPipes/ApraPipes/base/src/H264Decoder.cpp:42:10: "
        "error: 'cudaFree' was not declared in this scope"
    ),
    (
        "2024-05-01T10:00:01.2234567Z make[2]: *** [base/CMakeFiles/aprapipes.dir/build.make:1234: "
        "base/CMakeFiles/aprapipes.dir/src/H264Decoder.cpp.o] Error 1"
    ),
    "2024-05-01T10:00:02.0000000Z CMake Error at /tmp/tmpa8f3k2x/CMakeLists.txt:12 (find_package):",
    "2024-05-01T10:00:03.0000000Z job 5f0c6b8e-1a2b-4c3d-9e8f-0123456789ab failed after 1m 30s at commit 3f2a9c1",
    "2024-05-01T10:00:04.0000000Z Restored 412 package(s) from /home/runner/.cache/vcpkg/archives in 12.3 s",
    "2024-05-01T10:00:05.0000000Z fatal: could not read from https://x-access-token:[REDACTED:github-app-token#3d9b]@github.com/o/r",
    "2024-05-01T10:00:06.0000000Z ##[error]Process completed with exit code 2.",
]

RUN_B = [
    (
        "2024-06-17T22:41:59.9876543Z /opt/actions-runner/_work/ApraPipes/ApraPipes/base/src/H264Decoder.cpp:42:10: "
        "error: 'cudaFree' was not declared in this scope"
    ),
    (
        "2024-06-17T22:41:59.9976543Z make[3]: *** [base/CMakeFiles/aprapipes.dir/build.make:1250: "
        "base/CMakeFiles/aprapipes.dir/src/H264Decoder.cpp.o] Error 1"
    ),
    "2024-06-17T22:42:00.0000000Z CMake Error at /tmp/tmpZZ81qq0/CMakeLists.txt:12 (find_package):",
    "2024-06-17T22:42:01.0000000Z job 0a1b2c3d-4e5f-6789-abcd-ef0123456789 failed after 45s at commit 9e8d7c6",
    "2024-06-17T22:42:02.0000000Z Restored 398 package(s) from /home/builder/.cache/vcpkg/archives in 9.8 s",
    "2024-06-17T22:42:03.0000000Z fatal: could not read from https://x-access-token:[REDACTED:github-app-token#77aa]@github.com/o/r",
    "2024-06-17T22:42:04.0000000Z ##[error]Process completed with exit code 2.",
]


def test_same_failure_on_two_machines_gets_the_same_signature():
    assert failure_signature(RUN_A) == failure_signature(RUN_B)


def test_signature_ignores_order_and_repeats_of_lines():
    shuffled = list(reversed(RUN_B)) + RUN_B[:3]
    assert failure_signature(shuffled) == failure_signature(RUN_A)


def test_signature_is_sixteen_hex_chars_and_stable_across_calls():
    signature = failure_signature(RUN_A)
    assert re.fullmatch(r"[0-9a-f]{16}", signature)
    assert failure_signature(list(RUN_A)) == signature


def test_windows_and_linux_paths_to_the_same_file_normalise_alike():
    linux = normalise_line(
        "/home/runner/work/A/A/base/src/Foo.cpp: fatal error: bar.h: No such file or directory"
    )
    windows = normalise_line("D:\\a\\A\\A\\base\\src\\Foo.cpp: fatal error: bar.h: No such file or directory")
    relative = normalise_line("base/src/Foo.cpp: fatal error: bar.h: No such file or directory")
    assert linux == windows == relative == "<path>/Foo.cpp: fatal error: bar.h: No such file or directory"


def test_signature_of_redacted_text_does_not_depend_on_the_secret():
    first, _ = redact("remote: Invalid token ghp_" + "a1B2c3D4e5" * 4)
    second, _ = redact("remote: Invalid token ghp_" + "z9Y8x7W6v5" * 4)
    assert first != second
    assert failure_signature([first]) == failure_signature([second])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Restored 412 package(s) in 12.3 s", "Restored <n> package(s) in <dur>"),
        ("HEAD is now at 3f2a9c1d7e5b4a6f8c0d2e1f3a5b7c9d1e3f5a7b Bump", "HEAD is now at <n> Bump"),
        ("run 5f0c6b8e-1a2b-4c3d-9e8f-0123456789ab", "run <guid>"),
        ("at 2024-05-01 10:00:01,123 and 12:34:56", "at <ts> and <ts>"),
        (
            "\x1b[31;1mError:\x1b[0m /home/runner/work/_temp/3f2a9c1d.sh: line 3: ninja: command not found",
            "Error: <tmp>: line <n>: ninja: command not found",
        ),
        (
            "C:\\Users\\RUNNER~1\\AppData\\Local\\Temp\\cc3Xa8Zk.s: Assembler messages:",
            "<tmp>: Assembler messages:",
        ),
        (
            "version `GLIBC_2.28' not found (required by /__e/node20/bin/node)",
            "version `GLIBC_2.28' not found (required by <path>/node)",
        ),
        ("The requested URL returned error: 403", "The requested URL returned error: 403"),
        ("##[error]Process completed with exit code 137.", "##[error]Process completed with exit code 137."),
        ("token [REDACTED:github-pat#a1b2]", "token <redacted>"),
        ("", ""),
    ],
)
def test_normalise_line_masks_run_specific_parts(line, expected):
    assert normalise_line(line) == expected


DIFFERENT_FAILURES = [
    (
        "/w/base/src/Foo.cpp:42:10: error: 'x' was not declared",
        "/w/base/src/Bar.cpp:42:10: error: 'x' was not declared",
    ),
    ("error C2065: 'cudaFree': undeclared identifier", "error C2039: 'cudaFree': is not a member of 'std'"),
    ("##[error]Process completed with exit code 1.", "##[error]Process completed with exit code 137."),
    ("The requested URL returned error: 404", "The requested URL returned error: 503"),
    ("version `GLIBC_2.28' not found", "version `GLIBC_2.34' not found"),
    ("uses actions/upload-artifact@v3 which is deprecated", "uses actions/cache@v3 which is deprecated"),
    ("No space left on device", "Killed signal terminated program cc1plus"),
]


@pytest.mark.parametrize(("first", "second"), DIFFERENT_FAILURES)
def test_different_failures_get_different_signatures(first, second):
    assert failure_signature([first]) != failure_signature([second])


def test_a_ten_megabyte_line_normalises_quickly_to_a_bounded_string():
    line = "error: " + "/very/long/path/x" * 600_000
    assert len(normalise_line(line)) <= 4000
