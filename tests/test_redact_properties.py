"""Redaction is idempotent, leaves ordinary build output alone, knows the process's own secrets, and copes with hostile input."""

from __future__ import annotations

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.logs.redact import PLACEHOLDER_PATTERN, Redactor, redact, redact_obj
from tests.test_redact_corpus import CORPUS, GHP, GHS, PEM_CASES

BUILD_LINES = [
    "2024-05-01T10:00:01.1234567Z HEAD is now at 3f2a9c1d7e5b4a6f8c0d2e1f3a5b7c9d1e3f5a7b Bump vcpkg baseline",
    "[command]/usr/bin/git checkout --progress --force -B main refs/remotes/origin/main",
    "Restored 412 package(s) from /home/runner/.cache/vcpkg/archives in 12.3 s",
    "Restored 412 package(s) from C:\\Users\\runneradmin\\AppData\\Local\\vcpkg\\archives",
    "-- Using vcpkg ABI hash 9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c for opencv4",
    "-- Build files have been written to: /home/runner/work/ApraPipes/ApraPipes/build",
    "/home/runner/work/ApraPipes/ApraPipes/base/src/H264Decoder.cpp:42:10: error: 'cudaFree' was not declared",
    "CMake Error at CMakeLists.txt:12 (find_package): Could not find a package configuration file",
    "Run actions/upload-artifact@v3",
    "  token: ***",
    "  GITHUB_TOKEN: ***",
    "http.https://github.com/.extraheader AUTHORIZATION: basic ***",
    "  with:\n    token: ${{ secrets.GITHUB_TOKEN }}",
    "PASS: tests/test_h264_decoder",
    "tokenizers==0.15.2 sentencepiece==0.2.0",
    "secret_store.cpp:1234:56: error: expected ';' before '}' token",
    "sha256:4bcff63911fcb4448bd4fdacec207030997caf25e9bea4045fa6c8c44de311d1",
    "Downloading https://github.com/microsoft/vcpkg/archive/a34c873a9717a888f58dc05268dea15592c2f0ff.tar.gz",
    "git@github.com:Apra-Labs/ApraPipes.git",
    "docker pull nvidia/cuda:11.8.0-devel-ubuntu22.04@sha256:aa11bb22",
    "Error: The process '/usr/bin/git' failed with exit code 128",
    "##[error]Process completed with exit code 1.",
    "PWD=/home/runner/work/ApraPipes/ApraPipes",
    "scikit-learn sk-learn-compat-layer-for-tests enabled",
    "AKIAlike word AKIA but short",
    "  Authorization: Bearer",
]


@pytest.mark.parametrize("line", BUILD_LINES)
def test_ordinary_build_line_survives_unchanged(line):
    assert redact(line) == (line, 0)


@pytest.mark.parametrize(("kind", "line", "secret"), CORPUS)
def test_redacting_twice_changes_nothing(kind, line, secret):
    once, _ = redact(line)
    assert redact(once) == (once, 0)


@pytest.mark.parametrize("block", PEM_CASES)
def test_redacting_a_private_key_twice_changes_nothing(block):
    once, _ = redact(block)
    assert redact(once) == (once, 0)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from([line for _, line, _ in CORPUS] + BUILD_LINES + ["", " ", "=", "@", ":"]), max_size=8
    ),
    st.text(max_size=40),
)
def test_redaction_is_idempotent_on_any_mix_of_lines(lines, noise):
    once, _ = redact(noise.join(lines))
    assert redact(once) == (once, 0)


def test_placeholder_pattern_matches_what_redact_emits():
    redacted, _ = redact(f"x {GHP} y")
    assert re2.search(PLACEHOLDER_PATTERN, redacted)


def test_value_of_secret_environment_variable_is_redacted_wherever_it_appears(monkeypatch):
    value = "hook-secret-" + "Zq8" * 6
    monkeypatch.setenv("AGENT_WEBHOOK_SECRET", value)
    redacted, count = redact(f"payload signed with {value} (len 30)")
    assert value not in redacted and count == 1
    assert "[REDACTED:agent-webhook-secret#" in redacted


def test_registered_literal_secret_is_redacted_and_short_ones_are_ignored():
    redactor = Redactor(use_env=False)
    redactor.add_secret("plainwordsecret", kind="App Key")
    redactor.add_secret("x")
    redacted, count = redactor.redact("using plainwordsecret for x")
    assert redacted.startswith("using [REDACTED:app-key#") and redacted.endswith(" for x")
    assert count == 1


def test_redact_obj_redacts_nested_strings_and_secret_named_keys():
    obj = {
        "excerpt": [f"clone https://x-access-token:{GHS}@github.com/o/r"],
        "n": 3,
        "headers": {"Authorization": "Bearer short123"},
        "password": "correct horse",
        "nested": ({"ok": "Restored 412 package(s)"},),
    }
    cleaned = redact_obj(obj)
    assert GHS not in str(cleaned) and "short123" not in str(cleaned) and "correct horse" not in str(cleaned)
    assert cleaned["n"] == 3 and cleaned["nested"] == ({"ok": "Restored 412 package(s)"},)
    assert redact_obj(cleaned) == cleaned


def test_ten_megabyte_line_without_newlines_is_handled():
    line = ("a" * 1000 + "=" + "b" * 50) * 10_000 + f" token={GHP}"
    redacted, count = redact(line)
    assert GHP not in redacted and count == 1 and len(redacted) > 10_000_000


def test_binary_garbage_with_lone_surrogates_and_nul_bytes_does_not_crash():
    garbage = bytes(range(256)).decode("utf-8", "surrogateescape") + "\x00\x1b[31m" + f"key {GHP}\x00"
    redacted, count = redact(garbage)
    assert GHP not in redacted and count == 1


@pytest.mark.parametrize(
    ("kind", "labels"),
    [("mixed", "ubuntu-22.04"), ("vcpkg", "windows-2022"), ("cmake", "macos-14"), ("test", "ubuntu-22.04")],
)
def test_synthesized_build_noise_has_no_false_positives(kind, labels):
    from evals.synth import StepSpec, render_job_log

    step = StepSpec(
        name="Build", lines=["[ 98%] Linking CXX executable aprapipesut"], noise=3000, noise_kind=kind
    )
    log = render_job_log("build", [step], labels=labels, seed=11)
    assert redact(log) == (log, 0)
