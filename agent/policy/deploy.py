"""Protection by what a workflow does, not its name: release/tag triggers, OIDC, environments, publish actions."""

from __future__ import annotations

import posixpath
import re
from typing import Any

from agent.policy.workflow_facts import load, triggers

PUBLISH_ACTIONS = frozenset({
    "pypa/gh-action-pypi-publish", "actions/deploy-pages", "actions/upload-pages-artifact", "actions/create-release",
    "actions/upload-release-asset", "peaceiris/actions-gh-pages", "jamesives/github-pages-deploy-action",
    "softprops/action-gh-release", "ncipollo/release-action", "svenstaro/upload-release-action",
    "marvinpinto/action-automatic-releases", "goreleaser/goreleaser-action", "docker/login-action",
    "aws-actions/configure-aws-credentials", "aws-actions/amazon-ecr-login", "azure/login", "azure/webapps-deploy",
    "google-github-actions/auth", "google-github-actions/deploy-cloudrun", "cloudflare/wrangler-action",
    "amondnet/vercel-action", "appleboy/ssh-action", "appleboy/scp-action", "actions/attest-build-provenance",
    "sigstore/gh-action-sigstore-python", "rubygems/release-gem", "changesets/action",
})
"""Actions that publish, deploy, release or log in somewhere (owner/name, lower case)."""
PUSHING_ACTIONS = frozenset({"docker/build-push-action"})
"""Actions that publish only `with: push: true`."""
PUBLISH_TRIGGERS = frozenset({"release", "push.tags", "registry_package", "deployment", "deployment_status"})
_PUBLISH_COMMAND = re.compile(
    r"(?i)\b(twine\s+upload|docker\s+push|podman\s+push|npm\s+publish|yarn\s+publish|pnpm\s+publish|"
    r"gh\s+release\s+(create|upload|edit)|cargo\s+publish|gem\s+push|(dotnet\s+)?nuget\s+push|vsce\s+publish|"
    r"poetry\s+publish|flit\s+publish|hatch\s+publish|aws\s+s3\s+(cp|sync)|az\s+storage\s+blob\s+upload|"
    r"gsutil\s+(cp|rsync)|git\s+push\s+[^\n]*--tags|git\s+push\s+[^\n]*\bgh-pages\b)"
)
_LOCAL_USE = re.compile(r"^\./(.+?)(@.*)?$")


def deploy_reason(text: str) -> str | None:
    """Why a workflow or action file deploys or publishes (None: it does not, or is not YAML)."""
    try:
        data = load(text or "")
    except Exception:  # noqa: BLE001 - any YAML problem: the name-based globs still apply
        return None
    if not isinstance(data, dict):
        return None
    found = sorted(triggers(data.get("on", data.get(True))) & PUBLISH_TRIGGERS)
    if found:
        return f"it runs on {found[0]}"
    return _jobs_reason(data)


def _jobs_reason(data: dict[str, Any]) -> str | None:
    if _grants_id_token(data.get("permissions")):
        return "it grants id-token: write"
    jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        if job.get("environment"):
            return f"job {job_id} deploys to an environment"
        if _grants_id_token(job.get("permissions")):
            return f"job {job_id} grants id-token: write"
        reason = steps_reason(job.get("steps"))
        if reason:
            return f"job {job_id} {reason}"
    runs = data.get("runs")
    return steps_reason(runs.get("steps")) if isinstance(runs, dict) else None


def _grants_id_token(permissions: Any) -> bool:
    if permissions == "write-all":
        return True
    return isinstance(permissions, dict) and str(permissions.get("id-token", "")).strip() == "write"


def steps_reason(steps: Any) -> str | None:
    """A step that publishes: a known publish action, a pushing build, or a publish command in `run:`."""
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        uses = str(step.get("uses") or "").split("@", 1)[0].lower()
        action = "/".join(uses.split("/")[:2])
        with_values = step.get("with") if isinstance(step.get("with"), dict) else {}
        if action in PUBLISH_ACTIONS:
            return f"uses {action}"
        if action in PUSHING_ACTIONS and str(with_values.get("push", "")).strip().lower() not in ("", "false"):
            return f"uses {action} with push"
        match = _PUBLISH_COMMAND.search(str(step.get("run") or ""))
        if match:
            return f"runs {' '.join(match.group(0).split())!r}"
    return None


def local_callees(text: str) -> set[str]:
    """Repo paths of the reusable workflows and local actions a file uses (`uses: ./…`)."""
    found = set()
    for match in re.finditer(r"""(?m)^\s*-?\s*uses\s*:\s*["']?(\./[^\s"'#]+)""", text or ""):
        local = _LOCAL_USE.match(match.group(1))
        if local:
            path = posixpath.normpath(local.group(1))
            found.add(path)
            if not path.endswith((".yml", ".yaml")):
                found |= {f"{path}/action.yml", f"{path}/action.yaml"}
    return found


def protected_by_behaviour(files: dict[str, str]) -> dict[str, str]:
    """path → reason for every deploy/publish workflow or action and, transitively, everything it calls."""
    protected = {path: reason for path, text in files.items() if (reason := deploy_reason(text))}
    queue = list(protected)
    while queue:
        caller = queue.pop()
        for callee in local_callees(files.get(caller, "")):
            if callee not in protected:
                protected[callee] = f"it is called by {caller}, which deploys"
                queue.append(callee)
    return protected


_CACHE: dict[tuple[str, str], dict[str, str]] = {}
_CI_FILE = re.compile(r"^\.github/(workflows|actions)/.*\.ya?ml$")


def deploy_paths_at(gh: Any, full_name: str, ref: str) -> dict[str, str]:
    """protected_by_behaviour() of the repository's workflow and action files at `ref` (a sha is cached)."""
    key = (full_name.lower(), ref)
    if key in _CACHE:
        return _CACHE[key]
    paths = [path for path in gh.list_files(full_name, ref) if _CI_FILE.match(path)]
    files = {path: found[0] for path in paths if (found := gh.get_file(full_name, path, ref)) is not None}
    protected = protected_by_behaviour(files)
    if re.fullmatch(r"[0-9a-f]{40}", ref):
        _CACHE[key] = protected
    return protected
