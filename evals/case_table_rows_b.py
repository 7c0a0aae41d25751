"""Eval cases rebuilt from aprapipes-ci.md rows 16-29 (dependency pins, caches, toolchains, timeouts)."""

from __future__ import annotations

from evals.case_kit import (
                            BUILD_TEST,
                            CONTAINER,
                            SELF_HOSTED,
                            E,
                            J,
                            case,
                            edits,
                            hexof,
                            job,
                            manifest_without,
                            override_is,
)

WIN_RUN = "D:\\a\\ApraPipes\\ApraPipes"
JETSON = "/home/apra/actions-runner/_work/ApraPipes/ApraPipes"
OPENCV_PORTFILE = "thirdparty/arm64-overlay/opencv4/portfile.cmake"
OPENCV_EXPECTED, OPENCV_ACTUAL = hexof("opencv-exp", 128), hexof("opencv-act", 128)
HEADLESS_TIMEOUT = ["##[error]The action 'Run tests' has timed out after 45 minutes."]



def overlay_portfile(sha512: str) -> str:
    """The Jetson overlay's opencv4 portfile.cmake, declaring `sha512` for the 4.8.0 archive."""
    return (f"vcpkg_from_github(\n    OUT_SOURCE_PATH SOURCE_PATH\n    REPO opencv/opencv\n    REF \"${{VERSION}}\"\n"
            f"    SHA512 {sha512}\n    HEAD_REF master\n    PATCHES\n        0001-disable-downloading.patch\n"
            "        0019-jetson-cuda-arch.patch\n)\n\nvcpkg_cmake_configure(\n    SOURCE_PATH \"${SOURCE_PATH}\"\n"
            "    OPTIONS -DBUILD_TESTS=OFF -DWITH_CUDA=ON -DCUDA_ARCH_BIN=7.2\n)\nvcpkg_cmake_install()\n")


CASES = [
    case("openal-soft-fmt-vformat", "openal-soft 1.24 needs a newer fmt (Linux NoCUDA link)", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "build", noise=1100, after=20, lines=[
             "FAILED: aprapipesut",
             "/usr/bin/ld: build/vcpkg_installed/x64-linux/lib/libopenal.a(alc.cpp.o): in function `alc::Event_Callback(int)':",
             ("alc.cpp:(.text+0x1a2): undefined reference to `fmt::v12::vformat(fmt::v12::basic_string_view<char>, "
             "fmt::v12::basic_format_args<fmt::v12::context>)'"),
             "collect2: error: ld returned 1 exit status"]))],
         E("dependency_version", "pull_request", ["undefined reference to `fmt::v12::vformat"],
           [override_is("openal-soft", "1.23.1")], "openal-soft-fmt-vformat", fix="vcpkg_override"),
         edits(manifest_without(overrides=("openal-soft",)))),

    case("libarchive-377-windows-cuda", "libarchive 3.7.7 fails to build for x64-windows-cuda", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "prep_configure", noise=1000, after=15, lines=[
             "Building libarchive:x64-windows-cuda@3.7.7...",
             "-- Building x64-windows-cuda-rel",
             "CMake Error at scripts/cmake/vcpkg_execute_build_process.cmake:134 (message):",
             ("    Command failed: C:/Program Files/Microsoft Visual Studio/2022/Enterprise/Common7/IDE/CommonExtensions/"
             "Microsoft/CMake/Ninja/ninja.exe -v"),
             f"    See logs for more information:\n      {WIN_RUN}\\vcpkg\\buildtrees\\libarchive\\install-x64-windows-cuda-rel-out.log",
             "error: building libarchive:x64-windows-cuda failed with: BUILD_FAILED"]))],
         E("dependency_version", "pull_request", ["building libarchive:x64-windows-cuda failed with: BUILD_FAILED"],
           [override_is("libarchive", "3.5.2")], "libarchive-377-build-failed", fix="vcpkg_override"),
         edits(manifest_without(overrides=("libarchive",)))),

    case("vcpkg-stale-binary-cache", "Stale vcpkg binaries restored from the GitHub cache", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "configure", noise=700, after=30, set_={
             "cache": {"lines": ["Cache restored from key: Linux-vcpkg-4-5b0f2c1de8a94a7c3e1f6a0b9d8c7e6f",
                                 "Cache Size: ~2411 MB (2528034816 B)"]}}, lines=[
             "Restored 412 package(s) from /home/runner/work/ApraPipes/.cache/vcpkg in 41.3 s. Use --debug to see more details.",
             ("error: ffmpeg:x64-linux-release: installed files hash mismatch for lib/libavcodec.a "
             f"(package ABI {hexof('abi-a', 16)}, restored {hexof('abi-b', 16)})")]))],
         E("cache_stale", "auto_fix", ["hash mismatch"],
           [{"file": BUILD_TEST, "not_contains": "-vcpkg-4-"}, {"file": BUILD_TEST, "matches": r"-vcpkg-[0-9]+-"}],
           "vcpkg-stale-binary-cache", fix="cache_key_bump")),

    case("arm64-overlay-opencv-hash", "OpenCV tarball hash mismatch in the ARM64 overlay port", "CI-Linux-ARM64",
         [J("jetson / build", "arm64", job("arm64", "configure", noise=800, after=10, lines=[
             "Building opencv4[contrib,cuda,dnn,jpeg,png,tiff]:arm64-linux-release@4.8.0...",
             "-- Downloading https://github.com/opencv/opencv/archive/4.8.0.tar.gz -> opencv-opencv-4.8.0.tar.gz...",
             "error: https://github.com/opencv/opencv/archive/4.8.0.tar.gz: unexpected hash",
             "error: File does not have the expected hash:",
             "             url: https://github.com/opencv/opencv/archive/4.8.0.tar.gz",
             f"       File path: {JETSON}/vcpkg/downloads/opencv-opencv-4.8.0.tar.gz.31044.part",
             f"   Expected hash: {OPENCV_EXPECTED}", f"     Actual hash: {OPENCV_ACTUAL}",
             "Call Stack (most recent call first):",
             "  scripts/cmake/vcpkg_from_github.cmake:106 (vcpkg_download_distfile)",
             f"  {JETSON}/thirdparty/arm64-overlay/opencv4/portfile.cmake:3 (vcpkg_from_github)",
             "error: building opencv4:arm64-linux-release failed with: BUILD_FAILED"]))],
         E("registry_fetch", "pull_request", ["unexpected hash"], [
             {"file": OPENCV_PORTFILE, "contains": f"SHA512 {OPENCV_ACTUAL}"},
             {"file": OPENCV_PORTFILE, "not_contains": OPENCV_EXPECTED}],
           "arm64-overlay-opencv-hash", fix="overlay_port_hash"),
         edits((OPENCV_PORTFILE, overlay_portfile(OPENCV_EXPECTED)))),

    case("ffmpeg-binutils-shr", "ffmpeg 4.4.3 assembly rejected by binutils 2.42 (Ubuntu 24.04)", "CI-Linux",
         [J("linux-cuda / build", "linux24", job("linux", "prep_configure", noise=1000, after=20, lines=[
             "Building ffmpeg:x64-linux-release@4.4.3#15...",
             "src/libavcodec/x86/mathops.h: Assembler messages:",
             "src/libavcodec/x86/mathops.h:125: Error: operand type mismatch for `shr'",
             "src/libavcodec/x86/mathops.h:125: Error: operand type mismatch for `shr'",
             "make: *** [ffbuild/common.mak:81: libavformat/adtsenc.o] Error 1",
             "error: building ffmpeg:x64-linux-release failed with: BUILD_FAILED"]))],
         E("toolchain", "escalate", ["operand type mismatch for `shr'"], known_issue="ffmpeg-binutils-shr-mismatch")),

    case("cuda-unsupported-gnu-version", "CUDA 11.8 rejects GCC 13 on Ubuntu 24.04", "CI-Linux",
         [J("linux-cuda / build", "linux24", job("linux", "build", noise=900, after=30, lines=[
             "FAILED: CMakeFiles/aprapipes.dir/src/CudaMemCopy.cu.o",
             ("/usr/local/cuda/bin/nvcc -forward-unknown-to-host-compiler -I/home/runner/work/ApraPipes/ApraPipes/base/include "
             "-c /home/runner/work/ApraPipes/ApraPipes/base/src/CudaMemCopy.cu"),
             ("/usr/local/cuda/include/crt/host_config.h:132:2: error: #error -- unsupported GNU version! gcc versions later "
             "than 11 are not supported! The nvcc flag '-allow-unsupported-compiler' can be used to override this version check."),
             "  132 | #error -- unsupported GNU version! gcc versions later than 11 are not supported!"]))],
         E("toolchain", "auto_fix", ["unsupported GNU version! gcc versions later than 11 are not supported!"],
           [{"file": BUILD_TEST, "matches": r"CUDAHOSTCXX:\s*[\"']?/usr/bin/g\+\+-11"}], "cuda-unsupported-gnu-version", fix="env_set")),

    case("jetson-vcpkg-compiler-detect", "vcpkg cannot detect the compiler on a Jetson (gcc-11 forced)", "CI-Linux-ARM64",
         [J("jetson / build", "arm64", job("arm64", "configure", noise=300, after=5, lines=[
             "-- The C compiler identification is unknown",
             "CMake Error at CMakeLists.txt:3 (project):",
             "  The CMAKE_C_COMPILER:", "    /usr/bin/gcc-11", "  is not a full path to an existing compiler tool.",
             "error: vcpkg was unable to detect the active compiler's information. See above for the CMake failure output."]))],
         E("toolchain", "escalate", ["vcpkg was unable to detect the active compiler's information"],
           known_issue="jetson-vcpkg-compiler-detect"),
         edits((SELF_HOSTED, ('if [ -x /usr/bin/gcc-11 ]; then echo "CC=/usr/bin/gcc-11" >> "$GITHUB_ENV"; '
                'echo "CXX=/usr/bin/g++-11" >> "$GITHUB_ENV"; fi'),
                'echo "CC=/usr/bin/gcc-11" >> "$GITHUB_ENV"; echo "CXX=/usr/bin/g++-11" >> "$GITHUB_ENV"'))),

    case("vcpkg-binary-cache-tilde", "VCPKG_DEFAULT_BINARY_CACHE=~/.cache/vcpkg on a self-hosted runner", "CI-Linux-ARM64",
         [J("linux-x64 / build", "linux-sh", job("arm64", "configure", noise=30, after=0, lines=[
             "error: Environment variable VCPKG_DEFAULT_BINARY_CACHE must be a directory (was: ~/.cache/vcpkg)"]),
            ),
          J("macos / build", "macos", job("macos", None, [], set_={"build": {"noise": 600}}))],
         E("cache_config", "auto_fix", ["VCPKG_DEFAULT_BINARY_CACHE must be a directory (was: ~/.cache/vcpkg)"], [
             {"file": SELF_HOSTED, "matches": r"VCPKG_DEFAULT_BINARY_CACHE:\s*[\"']?\$\{\{ github\.workspace \}\}/\.\./\.cache/vcpkg"},
             {"file": SELF_HOSTED, "not_contains": "~/.cache/vcpkg"}], "vcpkg-binary-cache-not-absolute", fix="absolute_path"),
         edits((SELF_HOSTED, "VCPKG_DEFAULT_BINARY_CACHE: ${{ github.workspace }}/../.cache/vcpkg",
                "VCPKG_DEFAULT_BINARY_CACHE: ~/.cache/vcpkg"))),

    case("docker-cache-abi-rebuild", "Container build restores the cache but rebuilds everything, then times out", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job("container", "configure", noise=1100, after=0, exit_code=None, set_={
             "cache": {"lines": ["Cache restored from key: LinuxD-vcpkg-3-5b0f2c1de8a94a7c3e1f6a0b9d8c7e6f",
                                 "Cache Size: ~2380 MB (2495610880 B)"]}}, lines=[
             "Restored 0 package(s) from /__w/.cache/vcpkg in 2.1 s. Use --debug to see more details.",
             "##[error]The job running on runner GitHub Actions 7 has exceeded the maximum execution time of 360 minutes.",
             "##[error]The operation was canceled."]))],
         E("cache_stale", "escalate", ["Restored 0 package(s)"], known_issue="vcpkg-cache-abi-compiler-path"),
         edits((CONTAINER, "    env:\n      VCPKG_DEFAULT_BINARY_CACHE: /__w/.cache/vcpkg",
                "    env:\n      CC: gcc\n      CXX: g++\n      VCPKG_DEFAULT_BINARY_CACHE: /__w/.cache/vcpkg"))),

    case("jetson-disk-full", "Jetson runner has 34 MB free; submodule checkout cannot write", "CI-Linux-ARM64",
         [J("jetson / build", "arm64", job("arm64", "checkout", noise=120, after=3, exit_code=None, lines=[
             "Fetching submodule vcpkg", "fatal: write error: No space left on device",
             "fatal: fetch-pack: invalid index-pack output",
             "##[error]The process '/usr/bin/git' failed with exit code 128"]))],
         E("disk_space", "pull_request", ["No space left on device"],
           [{"file": SELF_HOSTED, "matches": r"XDG_CACHE_HOME:\s*[\"']?/data/\.cache"}], "jetson-disk-full", fix="env_set")),

    case("cuda-unsupported-msvc", "CUDA 11.8 rejects the Visual Studio 2022 toolset", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "build", noise=900, after=20, lines=[
             ("C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v11.8\\include\\crt/host_config.h(153): fatal error C1189: "
             "#error:  -- unsupported Microsoft Visual Studio version! Only the versions between 2017 and 2022 (inclusive) "
             "are supported! The nvcc flag '-allow-unsupported-compiler' can be used to override this version check"),
             f"  CudaMemCopy.cu [{WIN_RUN}\\build\\aprapipes.vcxproj]"]))],
         E("toolchain", "escalate", ["unsupported Microsoft Visual Studio version!"], known_issue="cuda-unsupported-msvc-version")),

    case("windows-cuda-360-minutes", "Windows CUDA build exceeds the 360-minute job limit", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "build", noise=1300, after=0, exit_code=None, lines=[
             "##[error]The job running on runner GitHub Actions 12 has exceeded the maximum execution time of 360 minutes.",
             "##[error]The operation was canceled."]))],
         E("timeout", "pull_request", ["exceeded the maximum execution time of 360 minutes"],
           [{"file": BUILD_TEST, "matches": r"timeout-minutes:\s*330\b"},
            {"file": BUILD_TEST, "not_contains": "timeout-minutes: 360"}], "windows-cuda-job-360-minutes", fix="timeout_minutes")),

    case("arm64-tests-hang-headless", "GTK tests hang on a headless Jetson", "CI-Linux-ARM64",
         [J("jetson / build", "arm64", job("arm64", "test", noise=500, after=0, exit_code=None, lines=[
             "Entering test suite \"gtkglrenderer_tests\"", "Entering test case \"gtkgl_render_basic\"",
             "(aprapipesut:40211): Gtk-WARNING **: 10:42:11.201: cannot open display: ",
             *HEADLESS_TIMEOUT]))],
         E("timeout", "pull_request", ["cannot open display"],
           [{"file": SELF_HOSTED, "matches": r"\n        run: xvfb-run -a \./build/aprapipesut "}],
           "arm64-tests-hang-headless", fix="xvfb_run")),

    case("pep668-externally-managed", "pip refuses the system Python on an Ubuntu 24.04 self-hosted runner", "CI-Linux-ARM64",
         [J("linux-x64 / build", "linux-sh", job("arm64", "prep", noise=5, after=0, lines=[
             "error: externally-managed-environment", "",
             "× This environment is externally managed",
             "╰─> To install Python packages system-wide, try apt install python3-xyz, where xyz is the package you are trying to install.",
             ("note: If you believe this is a mistake, please contact your Python installation or OS distribution provider. "
             "You can override this, at the risk of breaking your Python installation or OS, by passing --break-system-packages."),
             "hint: See PEP 668 for the detailed specification."])),
          J("jetson / build", "arm64", job("arm64", None, [], set_={"build": {"noise": 800}}))],
         E("dependency_missing", "pull_request", ["externally-managed-environment"],
           [{"file": SELF_HOSTED, "matches": r"PIP_BREAK_SYSTEM_PACKAGES:\s*[\"']?1"}], "pep668-externally-managed", fix="env_set")),
]
