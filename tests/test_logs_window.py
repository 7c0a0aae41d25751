"""The failure window on realistic logs: failed steps, root-cause lines above the boundary, the excerpt."""

from __future__ import annotations

import pytest

from agent.logs.model import Limits
from agent.logs.reader import read_log
from agent.logs.window import failure_window
from agent.models import Category
from evals.synth import StepSpec, run_zip_bytes

CHECKOUT = StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4")

SIGNATURES = [
    ("glibc", [("/__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found "
                "(required by /__e/node20/bin/node)")], Category.container_incompatible, "GLIBC_2.28' not found"),
    ("artifact-v3", [("##[error]This request has been automatically failed because it uses a deprecated version "
                      "of `actions/upload-artifact: v3`. Learn more: https://github.blog/changelog/2024-04-16")],
     Category.action_deprecated, "deprecated version"),
    ("pip3", ["/__w/_temp/3f1.sh: line 4: pip3: command not found"], Category.dependency_missing, "pip3: command"),
    ("cmake-version", ["CMake Error at scripts/cmake/vcpkg_find_acquire_program.cmake:163 (message):",
                       "  A suitable version of cmake was not found (required v3.30.1)."],
     Category.dependency_missing, "required v3.30.1"),
    ("autoconf", ["configure.ac:22: error: Autoconf version 2.70 or higher is required"], None, "Autoconf version 2.70"),
    ("distutils", ["ModuleNotFoundError: No module named 'distutils'"], Category.dependency_missing, "distutils"),
    ("libxml2-hash", ["error: File does not have the expected hash:", "unexpected hash: expected 289d8e30 actual eeb5e896"],
     Category.registry_fetch, "expected hash"),
    ("not-our-ref", ["fatal: remote error: upload-pack: not our ref bf0c600c6a"], Category.registry_fetch, "not our ref"),
    ("pkgconfig", ["CMake Error at C:/hostedtoolcache/windows/CMake/share/cmake-3.30/Modules/FindPackageHandleStandardArgs.cmake:233 (message):",
                   "  Could NOT find PkgConfig (missing: PKG_CONFIG_EXECUTABLE)"], Category.dependency_missing, "PkgConfig"),
    ("sfml3", ["D:\\a\\ApraPipes\\base\\src\\AudioToTextXForm.cpp(42,21): error C2039: 'Int16': is not a member of 'sf'"],
     Category.compile_error, "'Int16'"),
    ("fmt", ["/usr/bin/ld: libopenal.a(alc.cpp.o): in function `al::print': alc.cpp:(.text+0x1a): undefined reference to `fmt::v12::vformat(fmt::v12::basic_string_view<char>)'",
             "collect2: error: ld returned 1 exit status"], Category.link_error, "fmt::v12::vformat"),
    ("ffmpeg-shr", ["src/libavcodec/x86/mathops.h:125: Error: operand type mismatch for `shr'"], Category.toolchain, "shr"),
    ("gcc-too-new", ["/usr/local/cuda/include/crt/host_config.h:132:2: error: #error -- unsupported GNU version! gcc versions later than 11 are not supported!"],
     Category.toolchain, "unsupported GNU version"),
    ("msvc", ["C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.8\\include\\crt/host_config.h(153): fatal error C1189: #error:  -- unsupported Microsoft Visual Studio version!"],
     Category.toolchain, "Visual Studio"),
    ("binary-cache", ["error: Environment variable VCPKG_DEFAULT_BINARY_CACHE must be a directory (was: ~/.cache/vcpkg)"],
     None, "VCPKG_DEFAULT_BINARY_CACHE"),
    ("disk", ["fatal: write error: No space left on device"], Category.disk_space, "No space left"),
    ("timeout", ["##[error]The job running on runner GitHub Actions 12 has exceeded the maximum execution time of 360 minutes."],
     Category.timeout, "360 minutes"),
    ("permissions", ["##[error]Resource not accessible by integration"], Category.permissions, "not accessible"),
    ("gtest", ["[  FAILED  ] H264DecoderTest.DecodeFrames (120 ms)", "[  FAILED  ] 1 test, listed below:"],
     Category.test_failure, "DecodeFrames"),
    ("boost-test", ["../test/mp4readersource_tests.cpp(88): error: in \"mp4readersource_tests/read_all\": check frames == 30 has failed",
                    "*** 1 failure is detected in the test module \"ApraPipesTest\""], Category.test_failure, "failure is detected"),
    ("runner", ["##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped."],
     Category.runner, "shutdown signal"),
    ("oom", ["c++: fatal error: Killed signal terminated program cc1plus", "compilation terminated."],
     Category.out_of_memory, "Killed signal"),
    ("compile", ["/home/runner/work/ApraPipes/ApraPipes/base/src/H264Decoder.cpp:57:5: error: 'frameSize' was not declared in this scope"],
     Category.compile_error, "frameSize"),
    ("lnk", ["aprapipes.lib(Mp4WriterSink.obj) : error LNK2019: unresolved external symbol mp4_close referenced in function flush"],
     Category.link_error, "LNK2019"),
    ("docker-rate", ["toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating."],
     Category.network, "pull rate limit"),
    ("workflow", ["/__w/_temp/a1.sh: line 12: unexpected EOF while looking for matching `\"'"], Category.workflow_config, "unexpected EOF"),
]


def _run(steps: list[StepSpec], **kw):
    return read_log(run_zip_bytes({"build": steps}, **kw))


@pytest.mark.parametrize("name, lines, category, cause", SIGNATURES, ids=[row[0] for row in SIGNATURES])
def test_failure_window_finds_the_root_cause_above_the_boundary(name, lines, category, cause):
    build = StepSpec(name="Build", command="cmake --build build", lines=lines, noise=300, failed=True)
    window = failure_window(_run([CHECKOUT, build]))
    assert [(s.job, s.step) for s in window.failed_steps] == [("build", "Build")]
    assert any(cause in line for line in window.root_cause_lines), window.root_cause_lines
    assert not any(line.startswith("##[error]Process completed") for line in window.root_cause_lines)
    if category is not None:
        assert window.category == category
    assert cause in window.excerpt and "Process completed with exit code 1." in window.excerpt


def test_the_step_that_failed_the_job_ranks_before_an_earlier_continue_on_error_step():
    prep = StepSpec(name="Configure (prep)", command="cmake -B build", continue_on_error=True, failed=True, noise=50,
                    lines=["CMake Error at base/CMakeLists.txt:26 (message):",
                           "  Prep phase: stopping configure on purpose."])
    configure = StepSpec(name="Configure", command="cmake -B build", failed=True, noise=50,
                         lines=["CMake Error at FindPackageHandleStandardArgs.cmake:233 (message):",
                                "  Could NOT find Boost (missing: Boost_INCLUDE_DIR system thread filesystem)"])
    window = failure_window(_run([CHECKOUT, prep, configure], labels="windows-latest"))
    assert [s.step for s in window.failed_steps] == ["Configure", "Configure (prep)"]
    assert [s.name for s in window.continued] == ["Configure (prep)"]
    assert "Could NOT find Boost" in " ".join(window.root_cause_lines[:2])
    assert window.root_cause_lines.index(next(l for l in window.root_cause_lines if "Boost" in l)) < \
        window.root_cause_lines.index(next(l for l in window.root_cause_lines if "Prep phase" in l))


def test_repeated_error_lines_appear_once():
    line = "/home/runner/work/x/src/A.cpp:1:1: error: expected ';' before '}' token"
    build = StepSpec(name="Build", lines=[line] * 40, failed=True)
    window = failure_window(_run([build]))
    assert window.root_cause_lines.count(line) == 1


def test_a_silent_failure_quotes_the_last_output_lines():
    build = StepSpec(name="Tests", lines=["running 12 suites", "test execution returned 3"], failed=True)
    window = failure_window(_run([build]))
    assert "test execution returned 3" in window.root_cause_lines


def test_excerpt_stays_within_its_budget_and_keeps_the_cause():
    many = [f"/src/F{i}.cpp:{i}:1: error: thing {i} " + "x" * 200 for i in range(400)]
    build = StepSpec(name="Build", lines=many, noise=2000, failed=True)
    window = failure_window(_run([build]), budget=8 << 10)
    assert len(window.excerpt.encode("utf-8")) <= 8 << 10
    assert "thing 0 " in window.excerpt


def test_excerpt_notes_truncation_when_a_step_was_cut():
    build = StepSpec(name="Build", lines=["fatal error: Killed signal terminated program cc1plus"], noise=6000, failed=True)
    run = read_log(run_zip_bytes({"build": [build]}), limits=Limits(step_bytes=64 << 10, tail_bytes=16 << 10,
                                                                       min_step_bytes=16 << 10))
    window = failure_window(run)
    assert window.truncated_bytes > 0
    assert "[truncated " in window.excerpt
    assert window.category == Category.out_of_memory


def test_a_cmake_error_header_brings_the_lines_that_say_what_is_wrong():
    build = StepSpec(name="Configure", failed=True, lines=[
        "CMake Error at base/CMakeLists.txt:612 (target_link_libraries):",
        "  Target \"aprapipes\" links to:", "    CUDA::nvjpeg_static", "-- Configuring incomplete, errors occurred!"])
    window = failure_window(_run([build]))
    assert "    CUDA::nvjpeg_static" in window.root_cause_lines


def test_a_step_that_timed_out_quotes_its_last_output_before_the_timeout():
    tests = StepSpec(name="Run tests", exit_code=None, failed=True, lines=[
        "Entering test case \"gtkglrenderer_basic\"", "(aprapipesut:4411): Gtk-WARNING **: cannot open display: :0",
        "##[error]The action 'Run tests' has timed out after 45 minutes."])
    window = failure_window(_run([tests]))
    assert window.category == Category.timeout
    assert any("cannot open display" in line for line in window.root_cause_lines)
    assert window.root_cause_lines[-1].startswith("##[error]The action 'Run tests' has timed out")
