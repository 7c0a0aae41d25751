"""Shared builders for the sandbox tests (no tests here): a seeded sandbox and a PyGithub client."""

from __future__ import annotations

from github import Auth, Github

from agent.sandbox import Sandbox

REPO = "Apra-Labs/ApraPipes"
WORKFLOW = ".github/workflows/CI-Linux.yml"
OLD_WORKFLOW = "jobs:\n  build:\n    steps:\n      - uses: actions/upload-artifact@v3\n"
FIXED_WORKFLOW = "jobs:\n  build:\n    steps:\n      - uses: actions/upload-artifact@v4\n"
FIXED_WHEN = [{"file": WORKFLOW, "contains": "upload-artifact@v4"},
              {"file": WORKFLOW, "not_contains": "upload-artifact@v3"}]
ERROR = "2025-01-01T00:00:02.0000000Z ##[error]Process completed with exit code 1.\n"
LOGS = {
    "1_build.txt": "\ufeff2025-01-01T00:00:00.0000000Z Requested labels: ubuntu-22.04\n"
                   "2025-01-01T00:00:01.0000000Z error: upload-artifact v3 is deprecated\n" + ERROR,
    "build/1_Set up job.txt": "2025-01-01T00:00:00.0000000Z Requested labels: ubuntu-22.04\n",
    "build/2_Run actionscheckout@v4.txt": "2025-01-01T00:00:00.5000000Z checkout ok\n",
    "build/3_Build.txt": "2025-01-01T00:00:01.0000000Z error: upload-artifact v3 is deprecated\n" + ERROR,
    "build/4_Upload.txt": "2025-01-01T00:00:03.0000000Z never ran\n",
    "build/5_Complete job.txt": "2025-01-01T00:00:04.0000000Z Cleaning up orphan processes\n",
}
FILES = {WORKFLOW: OLD_WORKFLOW, "README.md": "# ApraPipes\n", "base/vcpkg.json": '{"name": "apra"}\n',
         ".github/workflows/doxy.yml": "name: doxy\n"}


def make_sandbox(**kw) -> Sandbox:
    """A started sandbox with one repository and one failed run (see `seed`)."""
    sb = Sandbox(ci_delay=kw.pop("ci_delay", 0.1), **kw).start()
    seed(sb)
    return sb


def seed(sb: Sandbox) -> int:
    """REPO with FILES on main and a failed CI-Linux run whose step 3 failed. → run id."""
    sb.add_repo(REPO, files=FILES)
    return sb.add_failed_run(REPO, workflow=WORKFLOW, name="CI-Linux", logs=LOGS, event="push", head_branch="main",
                             actor={"login": "dev1", "association": "MEMBER"}, fixed_when=FIXED_WHEN)


def client(sb: Sandbox, token: str | None = None, **kw) -> Github:
    """The unmodified PyGithub client pointed at the sandbox (without its client-side pacing)."""
    kw.setdefault("seconds_between_requests", 0)
    kw.setdefault("seconds_between_writes", 0)
    return Github(base_url=sb.url, auth=Auth.Token(token or sb.token), **kw)


def failed_run_id(sb: Sandbox) -> int:
    return min(sb.repo(REPO).runs)
