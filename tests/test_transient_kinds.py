"""Transient infrastructure failures are told from real ones by their kind and by where the evidence sits."""

from __future__ import annotations

import pytest
from test_no_dataset_literals import _SPACES, DATASETS, TOOL_MESSAGES, dataset_text, literal_runs

from agent.knowledge.transient import KINDS, REAL_FAILURE, judge
from agent.logs.multimatch import MultiPattern
from agent.models import Category

SELF_HOSTED_CUDA = ["Requested labels: self-hosted, linux-cuda", "Job defined at: org/app/.github/workflows/ci.yml@refs/heads/main",
                    "Waiting for a runner to pick up this job...", "##[group]Run cmake --build build -j 8"]
HOSTED = ["Requested labels: ubuntu-22.04", "Waiting for a runner to pick up this job...", "##[group]Run ctest --output-on-failure"]
K8S_START = ["Running with gitlab-runner 16.5.0 (853330f9)", "  on k8s-runner-pool aB3dE9fG", "Preparing the \"kubernetes\" executor",
             "Using Kubernetes namespace: ci", "Preparing environment",
             "Waiting for pod ci/runner-ab3de9fg-project-42-concurrent-0-x1y2z3 to be running, status is Pending"]

TRANSIENT = {
    "self-hosted runner shut down mid-build": (SELF_HOSTED_CUDA + [
        "[ 61%] Building CUDA object src/CMakeFiles/core.dir/kernels/resize.cu.o",
        ("##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, "
        "or a manually started runner is canceled."), "##[error]The operation was canceled."], Category.runner),
    "self-hosted runner cancelled under the job": (SELF_HOSTED_CUDA + [
        "[ 12%] Building CXX object src/CMakeFiles/core.dir/Frame.cpp.o", "##[error]The operation was canceled."],
        Category.runner),
    "hosted runner lost": (HOSTED + ["Start 12: video_tests",
        ("##[error]The self-hosted runner: gpu-box-2 lost communication with the server. Verify the machine is running "
        "and has a healthy network connection.")], Category.runner),
    "kubernetes pod never scheduled": (K8S_START + [
        '\tUnschedulable: "0/4 nodes are available: 4 Insufficient memory."',
        "Waiting for pod ci/runner-ab3de9fg-project-42-concurrent-0-x1y2z3 to be running, status is Pending",
        '\tUnschedulable: "0/4 nodes are available: 4 Insufficient memory."',
        ("ERROR: Job failed (system failure): prepare environment: waiting for pod running: timed out waiting for pod "
        "to start")], Category.runner),
    "kubernetes pod evicted": (K8S_START + ["Running on runner-ab3de9fg-project-42-concurrent-0-x1y2z3 via mgr...",
        "$ make -j4 test", "g++ -O2 -c src/codec.cpp -o build/codec.o",
        "The node was low on resource: ephemeral-storage. Container build was using 21Gi, which exceeds its request of 0.",
        "ERROR: Job failed: pod \"runner-ab3de9fg-project-42-concurrent-0-x1y2z3\" status is \"Failed\""],
        Category.runner),
    "docker daemon unreachable": ([
        "$ docker build -t registry.example.org/app:$CI_COMMIT_SHA .",
        "Cannot connect to the Docker daemon at tcp://docker:2375. Is the docker daemon running?",
        "Cleaning up project directory and file based variables", "ERROR: Job failed: exit code 1"], Category.runner),
    "pip cannot resolve the index host": ([
        "$ pip install -r requirements.txt",
        ("WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken "
        "by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new "
        "connection: [Errno -3] Temporary failure in name resolution')': /simple/requests/"),
        "ERROR: Could not find a version that satisfies the requirement requests (from versions: none)",
        "ERROR: No matching distribution found for requests", "ERROR: Job failed: exit code 1"], Category.network),
    "registry answers 503": (HOSTED[:2] + ["##[group]Run docker pull ghcr.io/org/builder:2024.1",
        "Error response from daemon: received unexpected HTTP status: 503 Service Unavailable",
        "##[error]Process completed with exit code 1."], Category.registry_fetch),
    "docker hub pull rate limit": (HOSTED[:2] + ["##[group]Run docker pull ubuntu:22.04",
        ("Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit "
        "by authenticating and upgrading: https://www.docker.com/increase-rate-limit"),
        "##[error]Process completed with exit code 1."], Category.network),
    "npm connection reset": (HOSTED[:2] + ["##[group]Run npm ci", "npm ERR! code ECONNRESET",
        "npm ERR! network aborted", "npm ERR! network This is a problem related to network connectivity.",
        "##[error]Process completed with exit code 1."], Category.network),
    "git clone TLS cut off": ([
        "$ git clone --depth 1 https://git.example.org/libs/vendor.git",
        "Cloning into 'vendor'...",
        ("fatal: unable to access 'https://git.example.org/libs/vendor.git/': gnutls_handshake() failed: Error in the pull "
        "function."), "ERROR: Job failed: exit code 128"], Category.network),
    "pip download read timeout ending a traceback": (HOSTED[:2] + ["##[group]Run pip install -r requirements.txt",
        "Traceback (most recent call last):",
        '  File "/usr/lib/python3/site-packages/pip/_vendor/urllib3/response.py", line 438, in _error_catcher',
        "socket.timeout: The read operation timed out",
        ("pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='files.pythonhosted.org', "
        "port=443): Read timed out."), "##[error]Process completed with exit code 2."], Category.network),
    "LFS server error during checkout": (HOSTED[:2] + ["##[group]Run actions/checkout@v4", "Fetching LFS objects",
        "[command]/usr/bin/git lfs fetch origin refs/remotes/origin/main",
        "batch response: Fatal error: Server error: https://github.com/org/app.git/info/lfs/objects/batch",
        "Failed to fetch some objects from 'https://github.com/org/app.git/info/lfs'",
        "##[error]The process '/usr/bin/git' failed with exit code 2"], Category.network),
    "github api rate limit": (HOSTED[:2] + ["##[group]Run gh release download v1.2.0",
        "HTTP 403: API rate limit exceeded for installation ID 4321. (https://api.github.com/repos/org/app/releases)",
        "##[error]Process completed with exit code 1."], Category.network),
}

REAL = {
    "compile error at the boundary, network warning higher up": HOSTED[:2] + [
        "##[group]Run cmake --build build", "-- Downloading https://example.org/dep.tar.gz",
        "curl: (56) Recv failure: Connection reset by peer", "-- Retrying download (2/3)", "-- Download done",
        "[ 45%] Building CXX object src/CMakeFiles/core.dir/Frame.cpp.o",
        "/home/runner/work/app/src/Frame.cpp:88:5: error: 'resize_plane' was not declared in this scope",
        "make[2]: *** [src/CMakeFiles/core.dir/build.make:76: src/Frame.cpp.o] Error 1",
        "##[error]Process completed with exit code 2."],
    "failing test after a refused connection": HOSTED[:2] + ["##[group]Run pytest -q",
        ("WARNING  urllib3.connectionpool: Retrying after connection broken by 'NewConnectionError(...: [Errno 111] "
        "Connection refused)'"), "FAILED tests/test_cache.py::test_eviction_order - AssertionError: assert 3 == 2",
        "==== 1 failed, 212 passed in 41.07s ====", "##[error]Process completed with exit code 1."],
    "script error after the pod started": K8S_START + [
        "Running on runner-ab3de9fg-project-42-concurrent-0-x1y2z3 via runner-manager-7d9...",
        "$ ./ci/build.sh", "./ci/build.sh: line 14: cmake3: command not found",
        "ERROR: Job failed: command terminated with exit code 127"],
    "earlier command had a network hiccup, the tests then failed": [
        "$ ./ci/fetch-fixtures.sh || true", "curl: (6) Could not resolve host: fixtures.example.org",
        "$ cargo test --workspace", "test codec::tests::roundtrip ... FAILED",
        "test result: FAILED. 41 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out",
        "error: test failed, to rerun pass `-p codec --lib`", "ERROR: Job failed: exit code 101"],
    "cancelled on a hosted runner (a person or a failed sibling)": HOSTED + [
        "Start 3: pipeline_tests", "##[error]The operation was canceled."],
    "a link checker reporting unreachable links": [
        "$ awesome_bot README.md --allow-redirect", "Issues :-(", "> Links",
        "  1. 404 https://example.org/retired-project",
        ("  2. https://unreachable.example.net/ Failed to open TCP connection to unreachable.example.net:443 "
        "(Connection timed out)"), "ERROR: Job failed: exit code 1"],
    "coverage upload failing after the tests failed (Travis after_script)": [
        "$ mix test", "  1) test renders errors (App.ErrorTest)", "     Assertion with == failed",
        "Finished in 4.1 seconds", "83 tests, 1 failure", 'The command "mix test" exited with 1.',
        "$ ./upload-coverage.sh", "<head><title>502 Bad Gateway</title></head>", "Done. Your build exited with 1."],
    "LFS over its quota is not a blip": HOSTED[:2] + ["##[group]Run actions/checkout@v4", "Fetching LFS objects",
        ("batch response: This repository is over its data quota. Account responsible for LFS bandwidth should "
         "purchase more data packs to restore access."),
        "Failed to fetch some objects from 'https://github.com/org/app.git/info/lfs'",
        "##[error]The process '/usr/bin/git' failed with exit code 2"],
    "an LFS object missing on the server is not a blip": HOSTED[:2] + ["##[group]Run actions/checkout@v4",
        ("Error downloading object: data/sample.mp4 (3f1c2ab): Smudge error: Error downloading data/sample.mp4: "
         "[3f1c2ab] Object does not exist on the server: [404] Object does not exist on the server"),
        "Failed to fetch some objects from 'https://github.com/org/app.git/info/lfs'",
        "##[error]The process '/usr/bin/git' failed with exit code 2"],
    "disk full is the runner's state, not a blip": [
        "$ cargo build --release", "LLVM ERROR: IO failure on output stream: No space left on device",
        "error: could not compile `server` (bin \"server\")", "ERROR: Job failed: exit code 1"],
}


@pytest.mark.parametrize("name", sorted(TRANSIENT))
def test_infrastructure_failure_at_the_boundary_is_transient(name):
    lines, category = TRANSIENT[name]
    found = judge(lines)
    assert found is not None, name
    assert found.category == category and found.reason


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_failure_is_not_transient(name):
    assert judge(REAL[name]) is None


def test_runner_verdict_after_a_build_error_is_transient():
    lines = ["$ cargo build", "error[E0425]: cannot find value `x` in this scope",
             "Uploading artifacts for failed job",
             "ERROR: Job failed (system failure): Cannot connect to the Docker daemon at unix:///var/run/docker.sock."]
    assert judge(lines).kind == "runner-lost"


def test_runner_lost_after_a_continue_on_error_step_failed_is_transient():
    lines = [*SELF_HOSTED_CUDA[:3], "##[group]Run ./lint.sh", "lint: 3 warnings",
             "##[error]Process completed with exit code 1.", "##[group]Run ctest -j 4",
             "Start 4: cuda_resize_tests",
             "##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped."]
    assert judge(lines).kind == "runner-lost"


def test_every_kind_has_a_reason_and_valid_re2_patterns():
    for kind in KINDS:
        assert kind.reason and kind.patterns
        MultiPattern(list(kind.patterns))
    MultiPattern(list(REAL_FAILURE))


def test_passing_test_summary_is_not_build_evidence():
    lines = ["$ cargo test", "test result: ok. 12 passed; 0 failed; 0 ignored",
             "error: failed to download `serde v1.0.1`", "Caused by:", ("  spurious network error (3 tries remaining): "
             "[35] SSL connect error (OpenSSL SSL_connect: SSL_ERROR_SYSCALL)"), "ERROR: Job failed: exit code 101"]
    assert judge(lines).category == Category.network


FIXED_MESSAGES = {
    "Job failed (system failure)": "GitLab Runner, any executor failure",
    "ERROR: Preparation failed": "GitLab Runner, executor preparation",
    "timed out waiting for ": "GitLab Runner Kubernetes executor (pod start)",
    "waiting for pod running": "GitLab Runner Kubernetes executor (pod start)",
    "ContainersNotInitialized": "Kubernetes pod condition reason",
    "the server was unable to return a response in the time allotted": "Kubernetes API server (StatusReasonTimeout)",
    "Cannot connect to the Docker daemon": "Docker CLI, daemon socket unreachable",
    "Is the docker daemon running": "Docker CLI, daemon socket unreachable",
    "At least one invalid signature was encountered": "apt (gpgv) on a mirror mid-sync",
    "Name or service not known": "glibc gai_strerror(EAI_NONAME)",
    "network is unreachable": "strerror(ENETUNREACH)",
    "connection timed out": "strerror(ETIMEDOUT)",
    "Unable to connect to ": "apt's http method",
    "Could not connect to ": "apt and curl",
    "network failure seems to have happened": "cargo, any registry fetch failure",
    "Failed to fetch some objects from '": "git-lfs, any failed LFS download",
}
"""Fixed messages of the programs named, which any set of CI logs holds: the only literals the kinds share with
the datasets (anything else would be a quote of one log)."""


def test_no_kind_quotes_a_dataset_log_beyond_fixed_tool_messages():
    if not (DATASETS / "veloren-dev" / "labels.jsonl").is_file():
        pytest.skip("the datasets are not here")
    patterns = [p for kind in KINDS for p in kind.patterns] + list(REAL_FAILURE)
    corpus = dataset_text()
    copied = {run for pattern in patterns for run in literal_runs(pattern)
              if _SPACES.sub(" ", run) in corpus and run not in TOOL_MESSAGES and run not in FIXED_MESSAGES}
    assert not copied, copied
