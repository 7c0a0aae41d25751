"""Eval cases for the generic GitHub Actions signatures (gha-logs.md), in ApraPipes workflows."""

from __future__ import annotations

from evals.case_kit import (
    BUILD_TEST,
    CONTAINER,
    CUDA_TESTS,
    MACOS,
    SELF_HOSTED,
    E,
    J,
    case,
    edits,
    job,
)

WIN_RUN = "D:\\a\\ApraPipes\\ApraPipes"
CANCELED = "##[error]The operation was canceled."
GREEN_MAC = J("macos / build", "macos", job("macos", None, [], set_={"build": {"noise": 700}}))


def deprecated(action: str) -> list[str]:
    """The setup-time rejection GitHub writes for a retired action version."""
    return [(f"##[error]This request has been automatically failed because it uses a deprecated version of `{action}`. "
            "Please update your workflow to use a supported version to avoid interruptions.")]


TIMEOUTS_AND_RUNNERS = [
    case("arm64-job-600-minutes", "Jetson build exceeds its 600-minute job timeout", "CI-Linux-ARM64",
         [J("jetson / build", "arm64", job("arm64", "build", noise=1200, after=0, exit_code=None, lines=[
             "##[error]The job running on runner apra-jetson-01 has exceeded the maximum execution time of 600 minutes.",
             CANCELED]))],
         E("timeout", "escalate", ["exceeded the maximum execution time of 600 minutes"],
           known_issue="job-exceeded-max-execution-time")),
    case("gpu-test-step-timeout", "GPU test step hits its 45-minute timeout", "CI-Linux",
         [J("linux-cuda-tests / gpu-test", "gpu", job("gpu", "test", noise=800, after=0, exit_code=None, lines=[
             "Entering test case \"h264encoder_stress_4k\"",
             "##[error]The action 'Run GPU tests' has timed out after 45 minutes."]))],
         E("timeout", "escalate", ["has timed out after 45 minutes"], known_issue="step-timed-out")),
    case("runner-shutdown-signal", "Hosted runner received a shutdown signal mid-build", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "build", noise=700, after=0, exit_code=None, lines=[
             ("##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, "
             "or a manually started runner is canceled."), CANCELED]))],
         E("runner", "rerun", ["The runner has received a shutdown signal"], known_issue="runner-shutdown-signal")),
    case("hosted-runner-error", "The hosted Windows runner failed while running the job", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "build", noise=900, after=0, exit_code=None, lines=[
             "##[error]The hosted runner encountered an error while running your job. (Error Type: Disconnect)."]))],
         E("runner", "rerun", ["The hosted runner encountered an error while running your job"],
           known_issue="hosted-runner-error")),
    case("gpu-runner-lost-communication", "Self-hosted GPU runner lost communication with the server", "CI-Linux",
         [J("linux-cuda-tests / gpu-test", "gpu", job("gpu", "test", noise=400, after=0, exit_code=None, lines=[
             ("##[error]The self-hosted runner: apra-gpu-01 lost communication with the server. Verify the machine is "
             "running and has a healthy network connection. Anything in your workflow that terminates the runner process, "
             "starves it for CPU/Memory, or blocks its network access can cause this error.")]))],
         E("runner", "rerun", ["lost communication with the server"], known_issue="runner-lost-communication")),
    case("hosted-disk-full", "Hosted Linux runner runs out of disk while linking", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "build", noise=1200, after=0, exit_code=None, lines=[
             "/usr/bin/ld: final link failed: No space left on device",
             ("##[error]System.IO.IOException: No space left on device : "
             "'/home/runner/runners/2.321.0/_diag/Worker_20251201-102143-utc.log'")]))],
         E("disk_space", "escalate", ["No space left on device"], known_issue="disk-space-exhausted")),
    case("compiler-killed-oom", "cc1plus killed while compiling a CUDA-heavy module", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job("container", "build", noise=1000, after=15, lines=[
             "FAILED: CMakeFiles/aprapipes.dir/src/H264EncoderNVCodecHelper.cpp.o",
             "c++: fatal error: Killed signal terminated program cc1plus", "compilation terminated.",
             "ninja: build stopped: subcommand failed."]))],
         E("out_of_memory", "escalate", ["Killed signal terminated program cc1plus"], known_issue="compiler-killed-oom")),
    case("test-process-killed-137", "The test process is killed by the OOM killer (exit 137)", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "test", noise=700, after=0, exit_code=137, lines=[
             "Entering test case \"multimediaqueue_fill_8k\"",
             ("/home/runner/work/_temp/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9.sh: line 1:  6120 Killed                  "
             "./build/aprapipesut --log_format=JUNIT --log_sink=CI_test_result.xml -p -l all")]))],
         E("out_of_memory", "escalate", ["exit code 137"], known_issue="compiler-killed-oom")),
]

NETWORK = [
    case("dockerhub-pull-rate-limit", "Docker Hub pull rate limit while starting the CUDA container", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job("container", None, []), container_error=[
             ("Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the "
             "limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"),
             "##[warning]Docker pull failed with exit code 1, back off 6.372 seconds before retry.",
             "##[error]Docker pull failed with exit code 1"]),
          J("linux-cuda / build", "linux", job("linux", None, [], set_={"build": {"noise": 900}}))],
         E("network", "rerun", ["You have reached your pull rate limit"], known_issue="docker-hub-pull-rate-limit")),
    case("curl-18-vcpkg-download", "ffmpeg source download cut short", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "prep_configure", noise=700, after=5, lines=[
             "-- Downloading https://github.com/FFmpeg/FFmpeg/archive/n4.4.3.tar.gz -> ffmpeg-ffmpeg-n4.4.3.tar.gz...",
             "curl: (18) transfer closed with 1844224 bytes remaining to read",
             "note: the download will be retried on the next run"]))],
         E("network", "rerun", ["curl: (18) transfer closed"], known_issue="curl-transfer-closed")),
    case("dns-could-not-resolve-github", "DNS failure while bootstrapping vcpkg", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "bootstrap", noise=40, after=0, lines=[
             "Downloading vcpkg-tool 2025-01-11 from https://github.com/microsoft/vcpkg-tool/releases/download/2025-01-11/vcpkg.exe",
             "curl: (6) Could not resolve host: github.com"])), GREEN_MAC],
         E("network", "rerun", ["Could not resolve host: github.com"], known_issue="could-not-resolve-host")),
    case("artifact-download-econnreset", "GPU test artifact download reset by peer", "CI-Linux",
         [J("linux-cuda-tests / gpu-test", "gpu", job("gpu", "download", noise=0, after=0, exit_code=None, lines=[
             "Downloading single artifact", "Error: read ECONNRESET",
             "##[error]Unable to download artifact(s): read ECONNRESET"]))],
         E("network", "rerun", ["ECONNRESET"], known_issue="connection-reset")),
    case("github-502-submodule-fetch", "GitHub answers 502 while the cron job fetches the vcpkg fork", "cron-update-vcpkg",
         [J("bump", "cron", job("cron", "bump", noise=20, after=0, exit_code=128, lines=[
             "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502",
             "<html><head><title>502 Bad Gateway</title></head></html>",
             "fatal: unable to access 'https://github.com/Apra-Labs/vcpkg.git/': The requested URL returned error: 502"]))],
         E("network", "rerun", ["The requested URL returned error: 502"], known_issue="registry-bad-gateway"),
         event="schedule"),
]

ACTIONS_AND_PERMISSIONS = [
    case("upload-artifact-v3-rejected", "upload-artifact v3 is rejected at job setup", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", None, [], set_={
             "upload": {"uses": "actions/upload-artifact@v3", "name": "Run actions/upload-artifact@v3"}}),
            setup_error=deprecated("actions/upload-artifact: v3")), GREEN_MAC],
         E("action_deprecated", "auto_fix", ["actions/upload-artifact: v3"], [
             {"file": BUILD_TEST, "not_contains": "actions/upload-artifact@v3"},
             {"file": BUILD_TEST, "contains": "actions/upload-artifact@v4"}], "upload-artifact-v3-rejected", fix="action_version"),
         edits((BUILD_TEST, "actions/upload-artifact@v4", "actions/upload-artifact@v3"))),
    case("download-artifact-v3-rejected", "download-artifact v3 is rejected in the GPU test workflow", "CI-Linux",
         [J("linux-cuda / gpu-test", "gpu", job("gpu", None, [], set_={
             "download": {"uses": "actions/download-artifact@v3", "name": "Run actions/download-artifact@v3"}}),
            setup_error=deprecated("actions/download-artifact: v3"))],
         E("action_deprecated", "auto_fix", ["actions/download-artifact: v3"], [
             {"file": CUDA_TESTS, "not_contains": "actions/download-artifact@v3"},
             {"file": CUDA_TESTS, "contains": "actions/download-artifact@v4"}], "download-artifact-v3-rejected", fix="action_version"),
         edits((CUDA_TESTS, "actions/download-artifact@v4", "actions/download-artifact@v3"))),
    case("actions-cache-v2-retired", "actions/cache v2 fails against the new cache service", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job("container", None, [], set_={
             "cache": {"uses": "actions/cache@v2"}}), setup_error=deprecated("actions/cache: v2"))],
         E("action_deprecated", "auto_fix", ["actions/cache: v2"], [
             {"file": CONTAINER, "not_contains": "actions/cache@v2"},
             {"file": CONTAINER, "contains": "actions/cache@v4"}], "actions-cache-too-old", fix="action_version"),
         edits((CONTAINER, "actions/cache@v3", "actions/cache@v2"))),
    case("node16-checkout-v3", "checkout v3 runs on Node 16, which the runner now refuses", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", None, [], set_={
             "checkout": {"uses": "actions/checkout@v3", "name": "Run actions/checkout@v3"}}), setup_error=[
             ("##[error]Node.js 16 actions are deprecated. Please update the following actions to use Node.js 20: "
             "actions/checkout@v3. For more information see: "
             "https://github.blog/changelog/2023-09-22-github-actions-transitioning-from-node-16-to-node-20/.")]), GREEN_MAC],
         E("action_deprecated", "pull_request", ["Node.js 16 actions are deprecated"], [
             {"file": BUILD_TEST, "not_contains": "actions/checkout@v3"},
             {"file": BUILD_TEST, "contains": "actions/checkout@v4"}], "node16-actions-deprecated", fix="action_version"),
         edits((BUILD_TEST, "actions/checkout@v4", "actions/checkout@v3"))),
    case("cron-pr-workflows-permission", "The cron PR cannot push a change under .github/workflows", "cron-update-vcpkg",
         [J("bump", "cron", job("cron", "pr", noise=40, after=0, exit_code=None, lines=[
             "/usr/bin/git push --force-with-lease origin cron/update-vcpkg:refs/heads/cron/update-vcpkg",
             (" ! [remote rejected] cron/update-vcpkg -> cron/update-vcpkg (refusing to allow a GitHub App to create or "
             "update workflow `.github/workflows/CI-Linux.yml` without `workflows` permission)"),
             "error: failed to push some refs to 'https://github.com/Apra-Labs/ApraPipes'",
             "##[error]The process '/usr/bin/git' failed with exit code 1"]))],
         E("permissions", "escalate", ["refusing to allow a GitHub App to create or update workflow"],
           known_issue="app-token-workflows-permission"), event="schedule"),
    case("unable-to-resolve-action", "A workflow pins actions/cache to a version that does not exist", "CI-MacOSX-NoCUDA",
         [J("macos / build", "macos", job("macos", None, [], set_={"restore": {"uses": "actions/cache/restore@v3.9.9"}}),
            setup_error=["##[error]Unable to resolve action `actions/cache/restore@v3.9.9`, unable to find version `v3.9.9`"])],
         E("workflow_config", "escalate", ["Unable to resolve action `actions/cache/restore@v3.9.9`"],
           known_issue="unable-to-resolve-action"),
         edits((MACOS, "actions/cache/restore@v3", "actions/cache/restore@v3.9.9"))),
]

BUILD_AND_TEST = [
    case("gtest-failure", "A GoogleTest suite reports a failing test", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "test", noise=500, after=4, set_={
             "test": {"command": "./build/recorder_gtests --gtest_output=xml:CI_gtest.xml"}}, lines=[
             "[ RUN      ] Mp4WriterSinkTest.WritesFragmentedMp4",
             "../base/test/gtest/mp4writersink_gtest.cpp:88: Failure",
             "Expected equality of these values:", "  fragments", "    Which is: 3", "  4",
             "[  FAILED  ] Mp4WriterSinkTest.WritesFragmentedMp4 (1203 ms)",
             "[==========] 48 tests from 6 test suites ran. (9120 ms total)", "[  PASSED  ] 47 tests.",
             "[  FAILED  ] 1 test, listed below:", "[  FAILED  ] Mp4WriterSinkTest.WritesFragmentedMp4"]))],
         E("test_failure", "escalate", ["[  FAILED  ] Mp4WriterSinkTest.WritesFragmentedMp4"], known_issue="gtest-failure")),
    case("boost-test-failure", "A Boost.Test case fails a check", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "test", noise=800, after=20, exit_code=201, lines=[
             ("../base/test/mp4readersource_tests.cpp(212): error: in \"mp4readersource_tests/read_seek_eof\": "
             "check frame->size() == 4096 has failed [4095 != 4096]"),
             "*** 1 failure is detected in the test module \"ApraPipesTest\""]))],
         E("test_failure", "escalate", ["1 failure is detected in the test module"], known_issue="boost-test-failure")),
    case("ctest-failure", "CTest reports failing third-party tests", "CI-MacOSX-NoCUDA",
         [J("macos / build", "macos", job("macos", "test", noise=400, after=0, exit_code=8, set_={
             "test": {"command": "ctest --test-dir build --output-on-failure"}}, lines=[
             "92% tests passed, 1 tests failed out of 13", "The following tests FAILED:",
             "\t 12 - zxing_qr_roundtrip (Failed)"]))],
         E("test_failure", "escalate", ["The following tests FAILED:"], known_issue="ctest-failure")),
    case("gcc-compile-error", "GCC rejects a source file after an API change", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "build", noise=1100, after=25, lines=[
             "FAILED: CMakeFiles/aprapipes.dir/src/RTSPClientSrc.cpp.o",
             ("/home/runner/work/ApraPipes/ApraPipes/base/src/RTSPClientSrc.cpp:144:22: error: "
             "'AV_CODEC_FLAG_LOW_DELAY' was not declared in this scope"),
             "  144 |     ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;", "ninja: build stopped: subcommand failed."]))],
         E("compile_error", "escalate", ["'AV_CODEC_FLAG_LOW_DELAY' was not declared in this scope"],
           known_issue="compile-error")),
    case("msvc-compile-error", "MSVC rejects a source file", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "build", noise=1100, after=25, lines=[
             (f"{WIN_RUN}\\base\\src\\VirtualPTZ.cpp(57,18): error C2065: 'M_PI': undeclared identifier "
             f"[{WIN_RUN}\\build\\aprapipes.vcxproj]")]))],
         E("compile_error", "escalate", ["error C2065: 'M_PI': undeclared identifier"], known_issue="compile-error")),
    case("gnu-ld-undefined-reference", "The test binary does not link on Linux", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "build", noise=1200, after=10, lines=[
             "FAILED: aprapipesut",
             "/usr/bin/ld: CMakeFiles/aprapipesut.dir/test/qrreader_tests.cpp.o: in function `qrreader_tests::decode_qr::test_method()':",
             ("qrreader_tests.cpp:(.text+0x2f1): undefined reference to `ZXing::ReadBarcodes(ZXing::ImageView const&, "
             "ZXing::ReaderOptions const&)'"), "collect2: error: ld returned 1 exit status"]))],
         E("link_error", "escalate", ["undefined reference to `ZXing::ReadBarcodes"], known_issue="link-error")),
    case("msvc-lnk2019", "The test binary does not link on Windows", "CI-Windows",
         [J("windows-cuda / build", "windows", job("windows", "build", noise=1200, after=10, lines=[
             ("aprapipes.lib(H264EncoderNVCodecHelper.obj) : error LNK2019: unresolved external symbol NvEncodeAPICreateInstance "
             "referenced in function \"public: bool __cdecl NVCodecResources::init(void)\""),
             f"{WIN_RUN}\\build\\RelWithDebInfo\\aprapipesut.exe : fatal error LNK1120: 1 unresolved externals"]))],
         E("link_error", "escalate", ["error LNK2019: unresolved external symbol NvEncodeAPICreateInstance"],
           known_issue="link-error")),
    case("vcpkg-glib-build-failed", "glib fails to build inside vcpkg", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "prep_configure", noise=1000, after=10, lines=[
             "Building glib:x64-linux-release@2.78.4...", "-- Building x64-linux-release-rel",
             "CMake Error at scripts/cmake/vcpkg_execute_build_process.cmake:134 (message):",
             "    Command failed: /usr/bin/ninja -v",
             "    See logs for more information:",
             "      /home/runner/work/ApraPipes/ApraPipes/vcpkg/buildtrees/glib/install-x64-linux-release-rel-out.log",
             "error: building glib:x64-linux-release failed with: BUILD_FAILED"]))],
         E("dependency_version", "escalate", ["building glib:x64-linux-release failed with: BUILD_FAILED"],
           known_issue="vcpkg-port-build-failed")),
    case("cmake-could-not-find-cudnn", "CMake cannot find cuDNN on the hosted runner", "CI-Linux",
         [J("linux-cuda / build", "linux", job("linux", "configure", noise=700, after=10, lines=[
             "CMake Error at /usr/local/share/cmake-3.30/Modules/FindPackageHandleStandardArgs.cmake:233 (message):",
             "  Could NOT find CUDNN (missing: CUDNN_LIBRARY CUDNN_INCLUDE_DIR)",
             "-- Configuring incomplete, errors occurred!"]))],
         E("dependency_missing", "escalate", ["Could NOT find CUDNN (missing: "], known_issue="cmake-package-not-found")),
    case("apt-unable-to-locate-package", "The container's apt list names a package Ubuntu 22.04 does not have", "CI-Linux",
         [J("linux-cuda-docker / build", "container", job("container", "apt", noise=600, after=0, exit_code=100, set_={
             "apt": {"noise_kind": "apt"}}, lines=["Reading package lists...", "E: Unable to locate package libgtk-4-devel"]))],
         E("dependency_missing", "escalate", ["E: Unable to locate package libgtk-4-devel"],
           known_issue="apt-unable-to-locate-package"),
         edits((CONTAINER, "libgtk-3-dev", "libgtk-3-dev libgtk-4-devel"))),
    case("pip-no-matching-version", "pip cannot find the pinned meson version", "CI-Linux-ARM64",
         [J("jetson / build", "arm64", job("arm64", "prep", noise=10, after=0, lines=[
             "ERROR: Could not find a version that satisfies the requirement meson==1.9.9 (from versions: 1.5.2, 1.6.0, 1.6.1)",
             "ERROR: No matching distribution found for meson==1.9.9"]))],
         E("dependency_version", "escalate", ["Could not find a version that satisfies the requirement meson==1.9.9"],
           known_issue="pip-no-matching-version"),
         edits((SELF_HOSTED, "pip3 install meson ninja", "pip3 install meson==1.9.9 ninja"))),
]

CASES = TIMEOUTS_AND_RUNNERS + NETWORK + ACTIONS_AND_PERMISSIONS + BUILD_AND_TEST
