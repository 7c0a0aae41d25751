"""Any text build log is read: plain, Travis-style, GitLab-style, gzipped; empty and binary ones are refused."""

from __future__ import annotations

import gzip

import pytest

from agent.errors import BadInput
from agent.logs.reader import read_log
from agent.logs.window import failure_window

MAKE_LOG = b"""gcc -O2 -c src/util.c -o build/util.o
gcc -O2 -c src/main.c -o build/main.o
src/main.c:41:12: error: 'buffer_len' undeclared (first use in this function)
make[1]: *** [Makefile:23: build/main.o] Error 1
make: *** [Makefile:12: all] Error 2
"""

TRAVIS_LOG = b"""travis_fold:start:worker_info\r\x1b[0KWorker information
hostname: 1a2b3c.travis-ci.com
travis_fold:end:worker_info\r\x1b[0K
travis_fold:start:install\r\x1b[0Ktravis_time:start:0a1b\r\x1b[0K$ pip install -r requirements.txt
Successfully installed requests-2.31.0
travis_fold:end:install\r\x1b[0K
$ pytest -q
F.
E       assert 3 == 4
tests/test_math.py:9: AssertionError
\x1b[31;1mThe command "pytest -q" exited with 1.\x1b[0m
travis_fold:start:cache.2\r\x1b[0Kstore build cache
nothing changed
travis_fold:end:cache.2\r\x1b[0K

Done. Your build exited with 1.
"""

GITLAB_LOG = b"""\x1b[0KRunning with gitlab-runner 16.5.0 (853330f9)\x1b[0;m
section_start:1700000000:prepare_executor\r\x1b[0K\x1b[0K\x1b[36;1mPreparing the "docker" executor\x1b[0;m
Using docker image golang:1.21 ...
section_end:1700000001:prepare_executor\r\x1b[0Ksection_start:1700000002:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting "step_script" stage of the job script\x1b[0;m
$ go build ./...
./server.go:17:2: undefined: handleRequest
section_end:1700000009:step_script\r\x1b[0K
\x1b[31;1mERROR: Job failed: exit code 1
\x1b[0;m
"""


def test_a_plain_build_log_is_one_job_with_one_step_and_its_compiler_error_leads():
    run = read_log(MAKE_LOG)
    assert run.kind == "text" and len(run.steps) == 1
    window = failure_window(run)
    assert window.root_cause_lines[0].startswith("src/main.c:41:12: error: 'buffer_len' undeclared")


def test_a_travis_log_is_split_on_its_folds_and_the_failed_command_marks_the_failed_step():
    run = read_log(TRAVIS_LOG)
    names = [step.name for step in run.steps]
    assert names[:4] == ["worker_info", "log", "install", "log"] and "cache.2" in names
    window = failure_window(run)
    assert [(s.step) for s in window.failed_steps] == ["log"]
    assert window.root_cause_lines[0] == "E       assert 3 == 4"
    assert not any("nothing changed" in line for line in window.root_cause_lines)


def test_a_gitlab_log_is_split_on_its_sections_and_ranks_the_compile_error_first():
    run = read_log(GITLAB_LOG)
    assert [step.name for step in run.steps][:3] == ["Set up job", "prepare_executor", "step_script"]
    window = failure_window(run)
    assert window.root_cause_lines[0] == "./server.go:17:2: undefined: handleRequest"
    assert window.failed_steps[0].step == "log"


def test_a_gzipped_log_reads_like_the_text_inside_it(tmp_path):
    path = tmp_path / "build.log.gz"
    path.write_bytes(gzip.compress(MAKE_LOG))
    run = read_log(path)
    assert [line.text for line in run.steps[0].lines] == MAKE_LOG.decode().splitlines()
    assert run.jobs[0].name == "build"


@pytest.mark.parametrize("payload, message", [
    (b"", "empty"),
    (b"\n \n\t\n", "empty"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8, "binary"),
    (b"\x00\x01\x02\x03" * 500, "binary"),
    (b"\x1f\x8b\x08\x00garbage that is not deflate", "corrupt gzip"),
])
def test_empty_binary_and_corrupt_input_is_still_refused(payload, message):
    with pytest.raises(BadInput, match=message):
        read_log(payload)



def test_a_plain_log_with_group_markers_reads_each_group_as_a_step():
    text = b"##[group]Install\nnpm ci\n##[endgroup]\n##[group]Test\nnpm test\nError: expected 2 to equal 3\n##[endgroup]\n"
    run = read_log(text)
    assert run.kind == "text"
    assert [step.name for step in run.steps] == ["Install", "log", "Test", "log"]
    assert failure_window(run).root_cause_lines[0] == "Error: expected 2 to equal 3"
