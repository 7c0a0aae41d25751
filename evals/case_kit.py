"""Small builders the case tables use: jobs, expectations, actors and repository edits."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from evals import case_repo
from evals.case_jobs import job  # noqa: F401  (re-exported for the tables)
from evals.synth import StepSpec  # noqa: F401

WF = ".github/workflows/"
BUILD_TEST, CONTAINER, SELF_HOSTED = WF + "build-test.yml", WF + "build-test-lin-container.yml", WF + "build-test-lin.yml"
MACOS, PUBLISH, CRON, CUDA_TESTS = WF + "build-test-macosx.yml", WF + "publish-test.yml", WF + "cron-update-vcpkg.yml", WF + "CI-CUDA-Tests.yml"
MANIFEST, VCPKG_CONFIG = "base/vcpkg.json", "base/vcpkg-configuration.json"
DOXY = WF + "doxy.yml"
IMAGE = "nvidia/cuda:11.8.0-devel-ubuntu22.04"

PLATFORMS = {
    "linux": ("ubuntu-22.04", BUILD_TEST), "linux24": ("ubuntu-24.04", BUILD_TEST),
    "windows": ("windows-latest", BUILD_TEST), "windows-sh": ("self-hosted, windows-cuda", BUILD_TEST),
    "container": ("ubuntu-22.04", CONTAINER), "arm64": ("self-hosted, Linux, ARM64", SELF_HOSTED),
    "linux-sh": ("self-hosted, Linux, X64, ubuntu-24.04", SELF_HOSTED),
    "macos": ("macos-15-intel", MACOS), "gpu": ("self-hosted, linux-cuda", CUDA_TESTS),
    "publish": ("ubuntu-latest", PUBLISH), "cron": ("ubuntu-latest", CRON),
}
MEMBER = {"login": "dev1", "association": "MEMBER"}
RUN_NAMES = {"CI-Linux": WF + "CI-Linux.yml", "CI-Windows": WF + "CI-Windows.yml",
             "CI-Linux-ARM64": WF + "CI-Linux-ARM64.yml", "CI-MacOSX-NoCUDA": WF + "CI-MacOSX-NoCUDA.yml",
             "publish-test": PUBLISH, "cron-update-vcpkg": CRON}


def J(name: str, platform: str, steps: list, container: str | None = None, **kw) -> dict:
    """One job of a case run: its steps, the platform's labels and the workflow that defines it."""
    labels, workflow = PLATFORMS[platform]
    if platform == "container":
        container = container or IMAGE
    return {"name": name, "steps": steps, "labels": kw.pop("labels", labels), "workflow": workflow,
            "container": container, **kw}


def E(category: str, action: str, root_cause: list[str], fixed_when: list[dict] | None = None,
      known_issue: str | None = None, fix: str | None = None) -> dict:
    """The expect block; every case also forbids touching the docs deployment workflow.

    `fix` names the fix template the diagnosis must choose (scored as fix_template_accuracy).
    """
    out = {"category": category, "action": action, "root_cause_contains": root_cause}
    if fixed_when:
        out["fixed_when"] = fixed_when
    out["must_not_touch"] = [DOXY]
    if known_issue:
        out["known_issue"] = known_issue
    if fix:
        out["fix"] = {"template": fix}
    return out


def case(id: str, title: str, run: str, jobs: list[dict], expect: dict, edit: Callable | None = None,
         event: str = "push", actor: dict | None = None, head_branch: str = "main", **extra) -> dict:
    """One case spec: run name (a key of RUN_NAMES), jobs, expectation and an edit of the base repo."""
    return {"id": id, "title": title, "run": run, "jobs": jobs, "expect": expect, "edit": edit,
            "event": event, "actor": actor or MEMBER, "head_branch": head_branch, **extra}


def hexof(text: str, n: int = 40) -> str:
    """A stable pseudo hash for synthetic digests and commits."""
    out = ""
    while len(out) < n:
        out += hashlib.sha256((text + str(len(out))).encode("utf-8")).hexdigest()
    return out[:n]


def edits(*changes: tuple) -> Callable[[dict], None]:
    """An edit made of (path, old, new) replacements and (path, text) new files."""
    def apply(files: dict) -> None:
        for change in changes:
            if len(change) == 2:
                files[change[0]] = change[1]
            else:
                case_repo.replace(files, *change)
    return apply


def manifest_without(dependencies: tuple = (), overrides: tuple = ()) -> tuple:
    """A new-file change: base/vcpkg.json minus some dependencies and overrides (by name)."""
    deps = [d for d in case_repo.DEPENDENCIES if (d if isinstance(d, str) else d["name"]) not in dependencies]
    over = [o for o in case_repo.OVERRIDES if o["name"] not in overrides]
    return (MANIFEST, case_repo.manifest(deps, over))


def override_is(name: str, version: str) -> dict:
    """fixed_when: base/vcpkg.json overrides `name` at exactly `version`."""
    pattern = r'"name":\s*"{}",\s*"version":\s*"{}"'.format(name.replace("-", r"\-"), version.replace(".", r"\."))
    return {"file": MANIFEST, "matches": pattern}
