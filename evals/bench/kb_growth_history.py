"""The hand-written six-week history `kb_growth` replays: kinds of failure, their log lines, the humans' fixes.

Written from what these failures look like in ApraPipes-style CI (aprapipes-ci.md), not from the agent's
code: each kind's `shape` says by hand which template the human's change has the shape of (or `other`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from evals import case_repo

REPO = "Apra-Labs/ApraPipes"
CONTAINER_WF = ".github/workflows/build-test-lin-container.yml"
BUILD_WF = ".github/workflows/build-test.yml"


@dataclass
class Fix:
    """A human's change, written by hand: replace `old` by `new` in `path`; `pull`: through a merged PR."""

    path: str
    old: str
    new: str
    message: str
    shape: str
    """What the change is, by hand: the template it has the shape of, or `other`."""
    pull: bool = False


@dataclass
class Kind:
    """One kind of failure: where it fails, its log lines for a run, and the human fix (if any)."""

    name: str
    workflow: str
    step: str
    lines: Any
    fix: Fix | None = None


def _root(rng: random.Random, windows: bool = False) -> str:
    """The checkout directory of a runner (a Windows one for MSVC's errors)."""
    if windows:
        return rng.choice(["D:\\a\\ApraPipes\\ApraPipes", "C:\\actions-runner\\_work\\ApraPipes\\ApraPipes"])
    return rng.choice(["/home/runner/work/ApraPipes/ApraPipes", "/__w/ApraPipes/ApraPipes"])


KINDS = {k.name: k for k in [
    Kind("glibc", CONTAINER_WF, "actions/checkout@v4", lambda r: [
        (f"/__e/node{r.choice([20, 24])}/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found "
        f"(required by /__e/node{r.choice([20, 24])}/bin/node)")],
        Fix(CONTAINER_WF, "ubuntu18.04", "ubuntu22.04", "Move the CUDA container to Ubuntu 22.04", "container_image")),
    Kind("artifact-v3", BUILD_WF, "Upload", lambda r: [
        ("##[error]This request has been automatically failed because it uses a deprecated version of "
        "`actions/upload-artifact: v3`. Learn more: https://github.blog/changelog/2024-04-16-deprecation-notice")],
        Fix(BUILD_WF, "upload-artifact@v3", "upload-artifact@v4", "ci: upload-artifact v4", "action_version")),
    Kind("zlib-missing", BUILD_WF, "Configure CMake", lambda r: [
        f"CMake Error at CMakeLists.txt:{r.randint(30, 60)} (find_package):",
        '  Could not find a package configuration file provided by "ZLIB" with any of the following names:'],
        Fix("base/vcpkg.json", '    "gtest"\n  ]', '    "gtest",\n    "zlib"\n  ]', "vcpkg: depend on zlib",
            "vcpkg_dependency_add", pull=True)),
    Kind("m-pi", BUILD_WF, "Build", lambda r: [
        (f"{_root(r, windows=True)}\\base\\src\\Overlay.cpp({r.randint(100, 400)},{r.randint(5, 40)}): error C2065: 'M_PI': "
        "undeclared identifier")],
        Fix("base/src/Overlay.cpp", "#include <cmath>", "#define _USE_MATH_DEFINES\n#include <cmath>",
            "Overlay: define _USE_MATH_DEFINES before cmath", "other")),
    Kind("pip-missing", CONTAINER_WF, "Install pip packages", lambda r: [
        f"/__w/_temp/{r.randrange(16**8):08x}.sh: line 1: pip3: command not found"],
        Fix(CONTAINER_WF, "python3-pip ", "python3-pip python3-venv ", "container: install python3-venv", "other",
            pull=True)),
    Kind("opencv-missing", BUILD_WF, "Configure CMake", lambda r: [
        f"CMake Error at CMakeLists.txt:{r.randint(30, 60)} (find_package):",
        '  Could not find a package configuration file provided by "OpenCV" with any of the following names:']),
    Kind("glibc-2.34", CONTAINER_WF, "actions/checkout@v4", lambda r: [
        ("/opt/hostedtoolcache/node/24.1.0/x64/bin/node: /lib64/libc.so.6: version `GLIBC_2.34' not found "
         "(required by /opt/hostedtoolcache/node/24.1.0/x64/bin/node)")]),
    Kind("download-v3", BUILD_WF, "Download", lambda r: [
        ("##[error]This request has been automatically failed because it uses a deprecated version of "
         "`actions/download-artifact: v3`. Learn more: https://github.blog/changelog/2024-04-16-deprecation-notice")]),
    Kind("disk-full", BUILD_WF, "Build", lambda r: [
        f"{_root(r)}/build/CMakeFiles/aprapipes.dir/src/H264Decoder.cpp.o: No space left on device",
        f"c++: fatal error: cannot write output: No space left on device (written {r.randint(1, 900)} MB)"]),
    Kind("gtest", BUILD_WF, "Run tests", lambda r: [
        f"[  FAILED  ] Mp4ReaderTests.seek_to_keyframe ({r.randint(10, 9000)} ms)",
        f"{_root(r)}/base/test/mp4readersource_tests.cpp:{r.randint(50, 900)}: Failure"]),
]}
WEEKS = [  # the runs of each week, then the kinds humans fix at its end
    (["glibc", "artifact-v3", "m-pi", "disk-full"], []),
    (["glibc", "zlib-missing", "opencv-missing", "disk-full", "gtest"], ["glibc", "artifact-v3"]),
    (["zlib-missing", "pip-missing", "gtest", "m-pi"], ["m-pi"]),
    (["glibc", "artifact-v3", "opencv-missing", "disk-full", "pip-missing"], ["zlib-missing", "pip-missing"]),
    (["glibc", "zlib-missing", "m-pi", "opencv-missing", "gtest", "pip-missing", "glibc-2.34"], []),
    (["artifact-v3", "zlib-missing", "opencv-missing", "disk-full", "m-pi", "glibc", "pip-missing", "download-v3",
      "glibc-2.34"], []),
]


def repo_files() -> dict[str, str]:
    """The repository before any fix: container on 18.04, upload-artifact v3, Overlay.cpp without the define."""
    files = case_repo.base_files()
    files[CONTAINER_WF] = files[CONTAINER_WF].replace("ubuntu22.04", "ubuntu18.04")
    files[BUILD_WF] = files[BUILD_WF].replace("upload-artifact@v4", "upload-artifact@v3")
    files["base/src/Overlay.cpp"] = "#include <cmath>\n"
    return files
