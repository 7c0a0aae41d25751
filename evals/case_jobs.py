"""Job skeletons for eval cases: the steps each ApraPipes workflow runs, failing at a chosen one."""

from __future__ import annotations

from dataclasses import replace

from evals.synth import StepSpec

CHECKOUT = StepSpec("Run actions/checkout@v4", uses="actions/checkout@v4", noise=12, noise_kind="cmake",
                    with_={"submodules": "recursive", "lfs": "true", "fetch-depth": "0"})
CACHE_KEY = "Linux-vcpkg-4-5b0f2c1de8a94a7c3e1f6a0b9d8c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d"


def _linux_like(windows: bool) -> dict[str, StepSpec]:
    boot = ".\\vcpkg\\bootstrap-vcpkg.bat" if windows else "./vcpkg/bootstrap-vcpkg.sh"
    key = CACHE_KEY.replace("Linux", "Windows") if windows else CACHE_KEY
    prep = ("choco install -y ninja nasm pkgconfiglite" if windows else
            "sudo apt-get update -qq\nsudo apt-get install -y ninja-build nasm flex bison autoconf automake "
            "autoconf-archive libtool pkg-config libgtk-3-dev libx11-dev")
    toolchain = "-DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake"
    return {
        "prep": StepSpec("Prepare builder (Windows)" if windows else "Prepare builder (Linux)", command=prep,
                         noise=40, noise_kind="cmake"),
        "checkout": CHECKOUT,
        "bootstrap": StepSpec("Bootstrap vcpkg", command=boot, noise=20, noise_kind="cmake"),
        "cache": StepSpec("Cache dependencies", uses="actions/cache@v3",
                          with_={"path": "/home/runner/work/ApraPipes/ApraPipes/../.cache/vcpkg", "key": key},
                          lines=[f"Cache not found for input keys: {key}"]),
        "prep_configure": StepSpec("Configure CMake (prep phase)", command=f"cmake -B build -S base -G Ninja {toolchain}",
                                   noise=250, noise_kind="vcpkg"),
        "configure": StepSpec("Configure CMake", command=f"cmake -B build -S base -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo {toolchain}",
                              noise=60, noise_kind="cmake"),
        "build": StepSpec("Build", command="cmake --build build --config RelWithDebInfo -j 4", noise=300, noise_kind="build"),
        "test": StepSpec("Run tests", command="./build/aprapipesut --log_format=JUNIT --log_sink=CI_test_result.xml -p -l all",
                         noise=150, noise_kind="test"),
        "check": StepSpec("Check test results", command="python3 .github/scripts/check_junit.py CI_test_result.xml", noise=3),
        "upload": StepSpec("Run actions/upload-artifact@v4", uses="actions/upload-artifact@v4",
                           with_={"name": "TestResults_Linux-CUDA", "path": "CI_test_result.xml"}),
    }


def _container() -> dict[str, StepSpec]:
    apt = ("apt-get update -qq\nDEBIAN_FRONTEND=noninteractive apt-get install -y git curl zip unzip tar ninja-build "
           "nasm flex bison autoconf automake autoconf-archive libtool pkg-config python3-pip libgtk-3-dev")
    return {
        "apt": StepSpec("Install build tools", command=apt, noise=60, noise_kind="cmake"),
        "pip": StepSpec("Install pip packages", command="pip3 install meson ninja", noise=8, noise_kind="cmake"),
        "checkout": replace(CHECKOUT, with_={"submodules": "recursive"}),
        "cache": StepSpec("Cache dependencies", uses="actions/cache@v3",
                          with_={"path": "/__w/.cache/vcpkg", "key": CACHE_KEY.replace("Linux-", "LinuxD-").replace("-4-", "-3-")}),
        "bootstrap": StepSpec("Bootstrap vcpkg", command="./vcpkg/bootstrap-vcpkg.sh", noise=20, noise_kind="cmake"),
        "configure": StepSpec("Configure CMake", command="cmake -B build -S base -G Ninja -DENABLE_CUDA=ON "
                              "-DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake", noise=250, noise_kind="vcpkg"),
        "build": StepSpec("Build", command="cmake --build build -j 4", noise=300, noise_kind="build"),
        "upload": StepSpec("Run actions/upload-artifact@v4", uses="actions/upload-artifact@v4",
                           with_={"name": "aprapipes_LinuxD-CUDA", "path": "build/aprapipesut"}),
    }


def _self_hosted() -> dict[str, StepSpec]:
    return {
        "prep": StepSpec("Prepare builder", command='if [ -x /usr/bin/gcc-11 ]; then echo "CC=/usr/bin/gcc-11" >> "$GITHUB_ENV"; fi\npip3 install meson ninja',
                         noise=6, noise_kind="cmake"),
        "checkout": replace(CHECKOUT, with_={"submodules": "recursive"}),
        "bootstrap": StepSpec("Bootstrap vcpkg", command="./vcpkg/bootstrap-vcpkg.sh", noise=20, noise_kind="cmake"),
        "configure": StepSpec("Configure CMake", command="cmake -B build -S base -G Ninja -DENABLE_ARM64=ON -DENABLE_CUDA=ON "
                              "-DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake", noise=250, noise_kind="vcpkg"),
        "build": StepSpec("Build", command="cmake --build build -j 6", noise=300, noise_kind="build"),
        "test": StepSpec("Run tests", command="./build/aprapipesut --log_format=JUNIT --log_sink=CI_test_result_Linux_ARM64.xml -p -l all",
                         noise=150, noise_kind="test"),
        "upload": StepSpec("Run actions/upload-artifact@v4", uses="actions/upload-artifact@v4",
                           with_={"name": "TestResults_Linux_ARM64", "path": "CI_test_result_Linux_ARM64.xml"}),
    }


def _macos() -> dict[str, StepSpec]:
    return {
        "checkout": replace(CHECKOUT, with_={"submodules": "recursive"}),
        "restore": StepSpec("Restore vcpkg cache", uses="actions/cache/restore@v3",
                            with_={"key": CACHE_KEY.replace("Linux", "macOS")}),
        "bootstrap": StepSpec("Bootstrap vcpkg", command="./vcpkg/bootstrap-vcpkg.sh", noise=20, noise_kind="cmake"),
        "configure": StepSpec("Configure CMake", command="cmake -B build -S base -G Ninja -DENABLE_CUDA=OFF "
                              "-DCMAKE_TOOLCHAIN_FILE=../vcpkg/scripts/buildsystems/vcpkg.cmake", noise=250, noise_kind="vcpkg"),
        "save": StepSpec("Save vcpkg cache", uses="actions/cache/save@v3", with_={"key": CACHE_KEY.replace("Linux", "macOS")}),
        "build": StepSpec("Build", command="cmake --build build -j 4", noise=300, noise_kind="build"),
        "test": StepSpec("Run tests", command="./build/aprapipesut --log_format=JUNIT --log_sink=CI_test_result_MacOSX.xml -p -l all",
                         noise=150, noise_kind="test"),
    }


def _gpu() -> dict[str, StepSpec]:
    return {
        "download": StepSpec("Run actions/download-artifact@v4", uses="actions/download-artifact@v4",
                             with_={"name": "aprapipes_Linux-CUDA"}),
        "test": StepSpec("Run GPU tests", command="./aprapipesut --log_format=JUNIT --log_sink=CI_test_result_gpu.xml -p -l all",
                         noise=150, noise_kind="test"),
        "upload": StepSpec("Run actions/upload-artifact@v4", uses="actions/upload-artifact@v4",
                           with_={"name": "TestResults_Linux-CUDA_gpu"}),
    }


def _publish() -> dict[str, StepSpec]:
    return {
        "download": StepSpec("Run actions/download-artifact@v4", uses="actions/download-artifact@v4",
                             with_={"pattern": "TestResults_*"}, lines=["Found 4 artifact(s)", "Total of 4 artifact(s) downloaded"]),
        "publish": StepSpec("Publish test report", uses="EnricoMi/publish-unit-test-result-action@v2",
                            with_={"files": "**/CI_test_result_*.xml"}, noise=20, noise_kind="test"),
    }


def _cron() -> dict[str, StepSpec]:
    return {
        "checkout": replace(CHECKOUT, with_={"submodules": "recursive"}),
        "bump": StepSpec("Move vcpkg submodule to the fork's tip", command="git -C vcpkg fetch origin master", noise=5, noise_kind="cmake"),
        "pr": StepSpec("Run peter-evans/create-pull-request@v6", uses="peter-evans/create-pull-request@v6",
                       with_={"branch": "cron/update-vcpkg"}),
    }


SKELETONS = {"linux": lambda: _linux_like(False), "windows": lambda: _linux_like(True), "container": _container,
             "arm64": _self_hosted, "macos": _macos, "gpu": _gpu, "publish": _publish, "cron": _cron}


def job(platform: str, fail_at: str | None, lines: list[str], noise: int = 900, after: int = 40,
        exit_code: int | None = 1, set_: dict[str, dict] | None = None, drop: tuple = ()) -> list[StepSpec]:
    """Return the platform's steps, failing at `fail_at` with `lines` buried in noise; later steps do not run."""
    steps = {k: v for k, v in SKELETONS[platform]().items() if k not in drop}
    for stage, fields in (set_ or {}).items():
        steps[stage] = replace(steps[stage], **fields)
    out = []
    for stage, step in steps.items():
        if stage == fail_at:
            kind = step.noise_kind if step.noise_kind != "cmake" else "mixed"
            out.append(replace(step, lines=step.lines + lines, noise=min(noise, 850), noise_after=after, failed=True,
                               exit_code=exit_code, noise_kind=kind))
            break
        out.append(step)
    return out
