"""The last green run's log: lines it also has rank down; without one the diagnosis is unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.knowledge import parse_known_issues
from agent.triage import triage
from evals.synth import StepSpec, run_zip_bytes

REAL = "src/codec/frame.c:212:9: error: 'FRAME_MAX' undeclared (first use in this function)"
OLD_NOISE = "/tmp/tmp8f3kq2/gen/compat.c:88:5: error: implicit declaration of function 'bzero' [-Wimplicit]"


def _failed() -> bytes:
    lines = ["configure: checking for gcc... gcc", OLD_NOISE, "[42/97] Compiling frame.c", REAL,
             "make: *** [Makefile:40: all] Error 1"]
    return ("\n".join(lines) + "\n").encode()


GREEN = (b"configure: checking for gcc... gcc\n"
         b"/tmp/tmpZZ91ab/gen/compat.c:91:5: error: implicit declaration of function 'bzero' [-Wimplicit]\n"
         b"[45/97] Linking libcodec.so\nBuild finished in 3m 12s\n")


def _kb():
    return parse_known_issues({"version": 1, "issues": []})


def test_without_a_green_log_the_first_compiler_error_leads():
    diagnosis = triage(_failed(), kb=_kb())
    assert diagnosis.root_cause_lines[0] == OLD_NOISE


def test_a_line_the_green_run_also_printed_ranks_below_one_it_did_not():
    diagnosis = triage(_failed(), kb=_kb(), last_green=GREEN)
    lines = diagnosis.root_cause_lines
    assert lines[0] == REAL
    assert OLD_NOISE not in lines or lines.index(OLD_NOISE) > lines.index(REAL)


def test_the_green_log_may_be_a_run_log_zip_like_the_failed_one():
    failed = run_zip_bytes({"build": [StepSpec(name="Build", lines=[OLD_NOISE, REAL], noise=30, failed=True)]})
    green = run_zip_bytes({"build": [StepSpec(name="Build", lines=[OLD_NOISE.replace("tmp8f3kq2", "tmpQ1")],
                                              noise=30)]}, seed=7)
    assert triage(failed, kb=_kb()).root_cause_lines[0] == OLD_NOISE
    assert triage(failed, kb=_kb(), last_green=green).root_cause_lines[0] == REAL


def test_no_green_log_or_an_unusable_one_changes_nothing():
    today = triage(_failed(), kb=_kb())
    assert triage(_failed(), kb=_kb(), last_green=None) == today
    assert triage(_failed(), kb=_kb(), last_green=b"") == today
    assert triage(_failed(), kb=_kb(), last_green=b"\x00\x01\x02" * 100) == today


def test_the_cli_takes_a_last_green_log_and_refuses_a_missing_one(tmp_path):
    old, real = "    clock_test.go:31: clock skew 12ms exceeds 5ms", "    parse_test.go:48: got nil, want an error"
    failed, green = tmp_path / "failed.log", tmp_path / "green.log"
    failed.write_text(f"=== RUN   TestClock\n{old}\n=== RUN   TestParse\n{real}\nFAIL\n", encoding="utf-8")
    green.write_text("=== RUN   TestClock\n    clock_test.go:31: clock skew 9ms exceeds 5ms\nok\n", encoding="utf-8")
    agent = [str(Path(sys.executable).parent / "agent")]
    before = subprocess.run([*agent, "triage", str(failed), "--json"], capture_output=True, check=False)
    assert json.loads(before.stdout)["root_cause_lines"][0] == old
    done = subprocess.run([*agent, "triage", str(failed), "--last-green", str(green), "--json"],
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["root_cause_lines"][0] == real
    missing = subprocess.run([*agent, "triage", str(failed), "--last-green", str(tmp_path / "nope.log")],
                             capture_output=True, check=False)
    assert missing.returncode == 2 and missing.stderr.decode().count("\n") == 1
