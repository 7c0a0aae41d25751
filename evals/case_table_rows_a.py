"""Eval cases rebuilt from aprapipes-ci.md rows 1-15 (container, Windows and vcpkg failures)."""

from __future__ import annotations

from evals.case_kit import (
                            CONTAINER,
                            MANIFEST,
                            VCPKG_CONFIG,
                            E,
                            J,
                            case,
                            edits,
                            hexof,
                            job,
                            manifest_without,
                            override_is,
)
from evals.case_repo import configuration

BIG_APT = {"apt": {"noise": 900, "noise_kind": "apt"}}
WIN_RUN = "D:\\a\\ApraPipes\\ApraPipes"
NOT_OUR_REF = "bf0c600c6a" + hexof("not-our-ref", 30)

CASES = [
    case("glibc-node20-old-container", "Node 20 actions fail inside an Ubuntu 18.04 container", "CI-Linux",
         [J("linux-cuda-docker / build", "container", container="nvidia/cuda:11.8.0-devel-ubuntu18.04", steps=job(
             "container", "checkout", noise=10, after=0, set_=BIG_APT, lines=[
                 "/usr/bin/docker exec  3f2a9c1e7b04 sh -c \"cat /etc/*release | grep ^ID\"",
                 ("/__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found "
                 "(required by /__e/node20/bin/node)")]))],
         E("container_incompatible", "auto_fix", ["GLIBC_2.28' not found"], [
             {"file": CONTAINER, "matches": r"nvidia/cuda:11\.8\.0-(cudnn8-)?devel-ubuntu2[02]\.04"},
             {"file": CONTAINER, "not_contains": "ubuntu18.04"},
             {"file": CONTAINER, "not_contains": "upload-artifact@v3"}], "glibc-node20-old-container", fix="container_image"),
         edits((CONTAINER, "nvidia/cuda:11.8.0-devel-ubuntu22.04", "nvidia/cuda:11.8.0-devel-ubuntu18.04"))),

    case("pip3-missing-in-container", "pip3 is not installed in the CUDA container", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job(
             "container", "pip", noise=4, after=0, exit_code=127, set_=BIG_APT,
             lines=["/__w/_temp/7d41c0a2-5b1e-4d0c-9a7f-2f0f1c3b8e11.sh: line 1: pip3: command not found"]))],
         E("dependency_missing", "auto_fix", ["pip3: command not found"],
           [{"file": CONTAINER, "matches": r"\bpython3-pip\b"}], "pip3-missing-in-container", fix="apt_package_add"),
         edits((CONTAINER, " python3-pip", ""))),

    case("cmake-too-old-in-container", "vcpkg needs CMake 3.30.1; the container has an older one", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job(
             "container", "bootstrap", noise=300, after=6, set_=BIG_APT, lines=[
                 "Downloading vcpkg-linux...", "vcpkg package management program version 2025-01-11-6a3c5bf3",
                 "-- Found CMake 3.22.1 at /usr/bin/cmake",
                 "A suitable version of cmake was not found (required v3.30.1).",
                 "Downloading cmake-3.30.1-linux-x86_64.tar.gz is not supported on this host; install it with pip."]))],
         E("dependency_missing", "auto_fix", ["A suitable version of cmake was not found (required v3.30.1)"],
           [{"file": CONTAINER, "matches": r"cmake==3\.30\.1"}], "cmake-too-old-in-container", fix="pip_package_add")),

    case("gperf-needs-autoconf-archive", "gperf port needs autoconf-archive in the container", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job("container", "configure", noise=900, after=30, lines=[
             "Building gperf:x64-linux-release@3.1#5...",
             "-- Using cached gperf-3.1.tar.gz.",
             "CMake Error at scripts/cmake/vcpkg_configure_make.cmake:742 (message):",
             "gperf currently requires the following programs from the system package manager: autoconf autoconf-archive automake libtoolize",
             "  On Debian and Ubuntu derivatives:",
             "    sudo apt-get install autoconf autoconf-archive automake libtool",
             "error: building gperf:x64-linux-release failed with: BUILD_FAILED"]))],
         E("dependency_missing", "pull_request", ["gperf currently requires the following programs"],
           [{"file": CONTAINER, "matches": r"\bautoconf-archive\b"}], "gperf-needs-autoconf-archive", fix="apt_package_add"),
         edits((CONTAINER, " autoconf-archive", ""))),

    case("autoconf-270-old-container", "Autoconf 2.70 required; the Ubuntu 20.04 container has 2.69", "CI-Linux",
         [J("linux-cuda-docker / build", "container", container="nvidia/cuda:11.8.0-devel-ubuntu20.04", steps=job(
             "container", "configure", noise=1000, after=25, lines=[
                 "Building libxcrypt:x64-linux-release@4.4.36...",
                 "-- Running autoreconf",
                 "configure.ac:22: error: Autoconf version 2.70 or higher is required",
                 "configure.ac:22: the top level",
                 "autom4te: error: /usr/bin/m4 failed with exit status: 63",
                 "error: building libxcrypt:x64-linux-release failed with: BUILD_FAILED"]))],
         E("container_incompatible", "auto_fix", ["Autoconf version 2.70 or higher is required"], [
             {"file": CONTAINER, "contains": "nvidia/cuda:11.8.0-devel-ubuntu22.04"},
             {"file": CONTAINER, "not_contains": "LinuxD-vcpkg-3-"}], "autoconf-270-old-container", fix="container_image"),
         edits((CONTAINER, "nvidia/cuda:11.8.0-devel-ubuntu22.04", "nvidia/cuda:11.8.0-devel-ubuntu20.04"))),

    case("cudnn-missing-in-container", "cuDNN header missing from the CUDA devel image", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job("container", "build", noise=1000, after=40, lines=[
             "FAILED: CMakeFiles/aprapipes.dir/src/FaceDetectorXform.cpp.o",
             ("/usr/bin/c++ -DBOOST_ALL_NO_LIB -I/__w/ApraPipes/ApraPipes/base/include -O2 -g -std=gnu++17 "
             "-c /__w/ApraPipes/ApraPipes/base/src/FaceDetectorXform.cpp"),
             "In file included from /__w/ApraPipes/ApraPipes/base/src/FaceDetectorXform.cpp:9:",
             ("/__w/ApraPipes/ApraPipes/build/vcpkg_installed/x64-linux/include/opencv4/opencv2/dnn/cudnn_helpers.hpp:14:10: "
             "fatal error: cudnn.h: No such file or directory"),
             "   14 | #include <cudnn.h>", "      |          ^~~~~~~~~", "compilation terminated."]))],
         E("container_incompatible", "pull_request", ["cudnn.h: No such file or directory"], [
             {"file": CONTAINER, "contains": "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04"},
             {"file": CONTAINER, "not_contains": "LinuxD-vcpkg-3-"}], "cudnn-missing-in-container", fix="container_image")),

    case("vcpkg-python312-distutils", "vcpkg's Python 3.12 has no distutils (Windows)", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "prep_configure", noise=900, after=20, lines=[
             "Building glib:x64-windows-cuda@2.78.4...",
             "-- Setting up python virtual environment...",
             "Traceback (most recent call last):",
             f'  File "{WIN_RUN}\\vcpkg\\downloads\\tools\\python\\python-3.12.7-x64\\Lib\\site-packages\\gyp\\__init__.py", line 8, in <module>',
             "    from distutils.version import LooseVersion",
             "ModuleNotFoundError: No module named 'distutils'",
             "error: building glib:x64-windows-cuda failed with: BUILD_FAILED"]))],
         E("toolchain", "escalate", ["No module named 'distutils'"], known_issue="vcpkg-python312-distutils")),

    case("vcpkg-libxml2-unexpected-hash", "libxml2 archive download has an unexpected hash (Windows)", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "prep_configure", noise=700, after=10, lines=[
             "-- Downloading https://gitlab.gnome.org/GNOME/libxml2/-/archive/v2.11.7/libxml2-v2.11.7.tar.gz -> GNOME-libxml2-v2.11.7.tar.gz...",
             "error: Failed to download from mirror set",
             "error: File does not have the expected hash:",
             "error: https://gitlab.gnome.org/GNOME/libxml2/-/archive/v2.11.7/libxml2-v2.11.7.tar.gz: unexpected hash",
             f"Expected: 289d8e30{hexof('libxml2-expected', 120)}",
             f"Actual  : eeb5e896{hexof('libxml2-actual', 120)}",
             "error: building libxml2:x64-windows-cuda failed with: BUILD_FAILED"]))],
         E("registry_fetch", "escalate", ["unexpected hash"], known_issue="vcpkg-download-unexpected-hash")),

    case("vcpkg-baseline-not-our-ref", "Registry baseline commit is not advertised", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "prep_configure", noise=40, after=2, lines=[
             "-- Fetching registry information from https://github.com/Apra-Labs/vcpkg.git (HEAD)...",
             f"error: failed to execute: \"C:\\Program Files\\Git\\cmd\\git.exe\" fetch --update-shallow -- https://github.com/Apra-Labs/vcpkg.git {NOT_OUR_REF}",
             f"fatal: remote error: upload-pack: not our ref {NOT_OUR_REF}",
             "-- Configuring incomplete, errors occurred!"])),
          J("linux-cuda / build", "linux", job("linux", None, [], set_={"build": {"noise": 700}}))],
         E("registry_fetch", "escalate", ["upload-pack: not our ref bf0c600c6a"], known_issue="vcpkg-baseline-not-advertised"),
         edits((VCPKG_CONFIG, configuration(NOT_OUR_REF)))),

    case("vcpkg-no-version-database-entry", "Baseline has no versions entry for an overridden port", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "prep_configure", noise=60, after=3, lines=[
             "-- Fetching registry information from https://github.com/Apra-Labs/vcpkg.git (HEAD)...",
             "error: no version database entry for nu-book-zxing-cpp at 2.2.1",
             "note: the versions database was read from the registry baseline"]))],
         E("registry_fetch", "escalate", ["no version database entry for nu-book-zxing-cpp"],
           known_issue="vcpkg-no-version-database-entry")),

    case("pkgconf-missing-windows", "CMake cannot find pkg-config on Windows", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "configure", noise=800, after=15, lines=[
             "CMake Error at C:/Program Files/CMake/share/cmake-3.30/Modules/FindPackageHandleStandardArgs.cmake:233 (message):",
             "  Could NOT find PkgConfig (missing: PKG_CONFIG_EXECUTABLE)",
             "Call Stack (most recent call first):",
             "  base/CMakeLists.txt:88 (find_package)",
             "-- Configuring incomplete, errors occurred!"]))],
         E("dependency_missing", "auto_fix", ["Could NOT find PkgConfig (missing: PKG_CONFIG_EXECUTABLE)"],
           [{"file": MANIFEST, "matches": r'"pkgconf"'}], "pkgconf-missing-windows", fix="vcpkg_dependency_add"),
         edits(manifest_without(dependencies=("pkgconf",)))),

    case("boost-missing-behind-continue-on-error", "Boost not found; an earlier continue-on-error step shows a different error",
         "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "configure", noise=500, after=20, set_={
             "prep_configure": {"failed": True, "continue_on_error": True, "noise": 600, "noise_after": 10, "lines": [
                 "CMake Error at base/CMakeLists.txt:26 (message):",
                 "  Prep phase: vcpkg dependencies are installed, stopping configure on purpose.",
                 "-- Configuring incomplete, errors occurred!"]}}, lines=[
             "CMake Error at C:/Program Files/CMake/share/cmake-3.30/Modules/FindPackageHandleStandardArgs.cmake:233 (message):",
             ("  Could NOT find Boost (missing: Boost_INCLUDE_DIR system thread filesystem serialization log chrono) "
             "(Required is at least version \"1.84.0\")"),
             "Call Stack (most recent call first):", "  base/CMakeLists.txt:61 (find_package)",
             "-- Configuring incomplete, errors occurred!"]))],
         E("dependency_missing", "escalate", ["Could NOT find Boost (missing: Boost_INCLUDE_DIR"],
           known_issue="boost-missing-after-earlier-error"),
         edits(manifest_without(dependencies=("boost-math", "boost-system", "boost-thread", "boost-filesystem",
                                              "boost-serialization", "boost-log", "boost-chrono")))),

    case("sfml-3-component-system", "SFML 3 has no system component (Windows configure)", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "configure", noise=900, after=10, lines=[
             f"CMake Error at {WIN_RUN.replace(chr(92), '/')}/build/vcpkg_installed/x64-windows-cuda/share/SFML/SFMLConfig.cmake:150 (message):",
             "  Unsupported SFML component: system",
             "Call Stack (most recent call first):", "  base/CMakeLists.txt:97 (find_package)"]))],
         E("dependency_version", "pull_request", ["Unsupported SFML component: system"],
           [override_is("sfml", "2.6.2")], "sfml-3-breaks-build", fix="vcpkg_override"),
         edits(manifest_without(overrides=("sfml",)))),

    case("sfml-3-int16-removed", "SFML 3 removed sf::Int16 (Windows compile)", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "build", noise=1000, after=30, lines=[
             (f"{WIN_RUN}\\base\\src\\AudioToTextXForm.cpp(42,21): error C2039: 'Int16': is not a member of 'sf' "
             f"[{WIN_RUN}\\build\\aprapipes.vcxproj]"),
             (f"{WIN_RUN}\\base\\src\\AudioToTextXForm.cpp(42,26): error C2065: 'Int16': undeclared identifier "
             f"[{WIN_RUN}\\build\\aprapipes.vcxproj]")]))],
         E("dependency_version", "pull_request", ["'Int16': is not a member of 'sf'"],
           [override_is("sfml", "2.6.2")], "sfml-3-breaks-build", fix="vcpkg_override"),
         edits(manifest_without(overrides=("sfml",)))),

    case("boost-filesystem-extension", "boost::filesystem::extension removed after Boost 1.84", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "build", noise=1100, after=30, lines=[
             (f"{WIN_RUN}\\base\\src\\ArchiveSpaceManager.cpp(87,37): error C2039: 'extension': is not a member of "
             f"'boost::filesystem' [{WIN_RUN}\\build\\aprapipes.vcxproj]")]))],
         E("dependency_version", "pull_request", ["'extension': is not a member of 'boost::filesystem'"],
           [override_is("boost", "1.84.0")], "boost-filesystem-extension-removed", fix="vcpkg_override"),
         edits(manifest_without(overrides=("boost",)))),
]
