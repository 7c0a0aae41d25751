"""Known issues written from the maintainers' own guides: each recognises a realistic log line of its
failure, and none of them fires on the logs of another failure's eval case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from agent.knowledge import load_known_issues
from agent.sandbox.cases import read_case, read_logs
from agent.triage import triage
from evals.synth import StepSpec, run_zip_bytes

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted(path for path in (ROOT / "evals" / "cases").iterdir() if (path / "case.yaml").is_file())
COVERAGE = ROOT / "guides" / "real-guides-coverage.md"

# A failing step's line as CI prints it, written from what each failure looks like (not copied from a case).
REAL_LINES = {
    "cuda-toolkit-not-found": "/home/runner/work/_temp/7d41e0a2.sh: line 3: nvcc: command not found",
    "cuda-no-capable-device": "CUDA error: no CUDA-capable device is detected (cudaGetDeviceCount returned 100)",
    "jetson-cuda-dev-libraries-missing":
        "make[2]: *** No rule to make target 'CUDA_cufft_LIBRARY-NOTFOUND', needed by 'aprapipesut'.  Stop.",
    "jetpack5-nvbuf-utils-removed":
        "CMake Error at CMakeLists.txt:240 (find_library): Could not find NVBUFUTILSLIB using the following names: "
        "nvbuf_utils",
    "cuda-libraries-not-in-loader-path": "./_build/aprapipesut: error while loading shared libraries: "
                                         "libnppig.so.11: cannot open shared object file: No such file or directory",
    "arm64-gtk3-not-linked": "GtkGlRenderer.cpp:(.text+0x2f0): undefined reference to `gtk_widget_queue_draw'",
    "arm64-tests-use-nv-test-utils": "/home/runner/ApraPipes/base/test/nvjpeg_tests.cpp:58:62: error: "
                                     "'if_h264_encoder_supported' was not declared in this scope",
    "static-link-missing-libdl": "/usr/bin/ld: libaprapipes.a(Module.cpp.o): undefined reference to symbol "
                                 "'pthread_mutexattr_settype@@GLIBC_2.17'",
    "libpng-header-path-mismatch": "/home/runner/ApraPipes/base/src/ImageEncoderCV.cpp:12:10: fatal error: "
                                   "libpng/png.h: No such file or directory",
    "pkgconfig-system-version-too-old": "Package 'glib-2.0' has version '2.72.4', required version is '>= 2.80'",
    "pkgconfig-required-package-missing": "Package 'xrandr', required by 'gdk-3.0', not found",
    "container-workspace-permission-denied":
        "mkdir: cannot create directory '/__w/ApraPipes/ApraPipes/build': Permission denied",
    "vcpkg-port-unsupported-platform": "error: libmount is only supported on 'linux', which does not match "
                                       "x64-windows. This usually means that there are known build failures",
    "curl-operation-timed-out": "curl: (28) Connection timed out after 120001 milliseconds",
}


# The guide item each entry was written from; a case written from the same item (its `source:`) is that
# failure, so the entry may fire on it (whether it should is the eval's question, not this test's).
SOURCES = {
    "cuda-toolkit-not-found": ["cuda.md C1", "cuda.md C2"],
    "cuda-no-capable-device": ["cuda.md C7"],
    "jetson-cuda-dev-libraries-missing": ["jetson.md J5"],
    "jetpack5-nvbuf-utils-removed": ["jetson.md J7"],
    "cuda-libraries-not-in-loader-path": ["jetson.md J8"],
    "arm64-gtk3-not-linked": ["jetson.md J10"],
    "arm64-tests-use-nv-test-utils": ["jetson.md J11"],
    "static-link-missing-libdl": ["jetson.md J3"],
    "libpng-header-path-mismatch": ["jetson.md J4"],
    "pkgconfig-system-version-too-old": ["jetson.md J6"],
    "pkgconfig-required-package-missing": ["macos.md (ARM64 build failing after macOS support)"],
    "container-workspace-permission-denied": ["containers.md D3"],
    "vcpkg-port-unsupported-platform": ["linux.md L2", "vcpkg.md (missing platform support)"],
    "curl-operation-timed-out": ["vcpkg.md (network timeouts)"],
}


def _same_failure(issue_id: str, source: str) -> bool:
    return any(re.search(re.escape(item) + r"(?![0-9])", source) for item in SOURCES[issue_id])


def _entries() -> dict[str, dict]:
    with open(ROOT / "guides" / "known-issues.yaml", encoding="utf-8") as handle:
        return {entry["id"]: entry for entry in yaml.safe_load(handle)["issues"]}


def _failed_run(line: str) -> bytes:
    steps = [StepSpec(name="actions/checkout@v4", uses="actions/checkout@v4", noise=20),
             StepSpec(name="Build", command="cmake --build build", lines=[line], noise=120, failed=True)]
    return run_zip_bytes({"build": steps}, labels="ubuntu-22.04")


@pytest.fixture(scope="module")
def kb():
    return load_known_issues()


@pytest.mark.parametrize("issue_id", sorted(REAL_LINES))
def test_a_failure_from_the_real_guides_is_recognised_in_a_noisy_log(kb, issue_id):
    diagnosis = triage(_failed_run(REAL_LINES[issue_id]), kb=kb)
    assert diagnosis.known_issue is not None and diagnosis.known_issue.id == issue_id
    assert diagnosis.category == _entries()[issue_id]["category"]


@pytest.mark.parametrize("case_dir", CASES, ids=lambda path: path.name)
def test_no_real_guide_entry_fires_on_another_failures_case(case_dir):
    text = "\n".join(data.decode("utf-8", "replace") for data in read_logs(case_dir).values())
    source = str(read_case(case_dir).get("source") or "")
    entries = _entries()
    fired = [issue_id for issue_id in REAL_LINES if not _same_failure(issue_id, source)
             and any(re.search(pattern, text, re.MULTILINE) for pattern in entries[issue_id]["patterns"])]
    assert fired == []


def test_each_real_guide_entry_is_in_the_db_and_in_the_coverage_file():
    coverage = COVERAGE.read_text(encoding="utf-8")
    assert set(REAL_LINES) <= set(_entries()) and set(SOURCES) == set(REAL_LINES)
    assert [issue_id for issue_id in REAL_LINES if f"→ known issue `{issue_id}`" not in coverage] == []


def test_every_known_issue_the_coverage_file_names_exists():
    named = set(re.findall(r"→ known issue `([a-z0-9-]+)`", COVERAGE.read_text(encoding="utf-8")))
    assert named and named <= set(_entries())
