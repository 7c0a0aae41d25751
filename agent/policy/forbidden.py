"""What no edit may add, ever: secrets, remote code, wider permissions, dangerous triggers, runner changes,
env-file writes, loader variables, untrusted expressions in scripts. Before and after are compared parsed."""

from __future__ import annotations

import re
from collections import Counter

from agent.models import Edit
from agent.policy import expressions as ex
from agent.policy import shell
from agent.policy.workflow_facts import SAFE_TRIGGERS, Step, WorkflowFacts, facts

_SECRET_TEXT = re.compile(r"(?i)\bsecrets\s*(\.|\[)|\bgithub\s*(\.\s*token\b|\[\s*['\"]token['\"]\s*\])"
                          r"|\bsecrets\s*:\s*inherit\b|\btoJSON\s*\(\s*secrets\s*\)")
_PS_DOWNLOAD = re.compile(r"(?i)\b(iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring|downloadfile|"
                          r"webclient|start-bitstransfer|curl|wget)\b")
_PS_EXEC = re.compile(r"(?i)\b(iex|invoke-expression|invoke-command|start-process)\b|\|\s*(pwsh|powershell|sh|bash)\b")
_PS_ENV_FILE = re.compile(r"(?i)(\$env:|%)(GITHUB_ENV|GITHUB_PATH|BASH_ENV)\b")
_PS_SET = re.compile(r"(?i)\$env:([A-Za-z_]\w*)\s*=|\bsetx?\s+([A-Za-z_]\w*)=?")
SCRIPT_ACTIONS = frozenset({"actions/github-script"})
"""Actions whose input is a script run with the job's token."""
_POWERSHELLS = frozenset({"pwsh", "powershell", "cmd"})
_BASHES = frozenset({"", "bash", "sh"})


def is_workflow(path: str) -> bool:
    """A workflow or action definition: YAML under .github/ (workflows, actions, composite action.yml)."""
    return path.lower().endswith((".yml", ".yaml")) and path.startswith(".github/")


def is_script(path: str, text: str) -> bool:
    """A shell script file the CI may run (`.sh`, `.bash`, or a `#!…sh` first line)."""
    return path.endswith((".sh", ".bash")) or bool(re.match(r"#!\s*\S*(ba|z|da|k)?sh\b", text))


def is_dockerfile(path: str) -> bool:
    """A Dockerfile (a docker action's image is built from it, so its RUN lines run in CI)."""
    name = path.rsplit("/", 1)[-1].lower()
    return name.startswith("dockerfile") or name.endswith(".dockerfile") or name == "containerfile"


def dockerfile_runs(text: str) -> list[Step]:
    """Each RUN instruction (continuation lines joined) as a shell step."""
    joined = re.sub(r"\\\r?\n", " ", text or "")
    return [Step(f"RUN{index}", match.group(1)) for index, match in
            enumerate(re.finditer(r"(?im)^\s*RUN\s+(?:\[.*\]|(.*))$", joined)) if match.group(1)]


def added_denials(edit: Edit) -> list[str]:
    """Every forbidden construct the edit adds to `edit.path` (empty: nothing forbidden)."""
    old, new = edit.old or "", edit.new
    if old == new:
        return []
    found = [f"new secret or token reference ({what})" for what in _added(_secret_refs(old), _secret_refs(new))]
    if not found and len(_SECRET_TEXT.findall(new)) > len(_SECRET_TEXT.findall(old)):
        found.append("new secret or token reference")
    if is_workflow(edit.path):
        found += workflow_denials(old, new)
    elif is_script(edit.path, new):
        found += script_denials([Step("file", old)] if old else [], [Step("file", new)])
    elif is_dockerfile(edit.path):
        found += script_denials(dockerfile_runs(old), dockerfile_runs(new))
    return [f"{edit.path}: {finding}" for finding in dict.fromkeys(found)]


def _added(before: Counter[str], after: Counter[str]) -> list[str]:
    return sorted((after - before).keys())


def _secret_refs(text: str) -> Counter[str]:
    return Counter(path for path in ex.context_paths(text) if ex.is_secret(path))


def workflow_denials(old: str, new: str) -> list[str]:
    """Forbidden additions between two versions of a workflow file (an unparseable new version is refused)."""
    try:
        after = facts(new)
    except ValueError as exc:
        return [f"the edited workflow cannot be checked ({exc})"]
    try:
        before = facts(old) if old else WorkflowFacts()
    except ValueError:
        before = WorkflowFacts()
    found = [f"new trigger {name}" for name in sorted(after.triggers - before.triggers - SAFE_TRIGGERS)]
    found += permission_denials(before, after)
    found += [f"runner label change (runs-on: {label})" for label in
              sorted(set(after.runner_labels) - set(before.runner_labels))]
    found += [f"sets {name} in env:" for name in
              _added(_dangerous_env(before.env_names), _dangerous_env(after.env_names))]
    if after.secrets_inherit > before.secrets_inherit:
        found.append("passes secrets to a called workflow")
    found += [f"new untrusted expression in a script ({path})" for path in
              _added(_untrusted(before.steps), _untrusted(after.steps))]
    found += [f"new step running {what}" for what in _added(_script_actions(before.steps), _script_actions(after.steps))]
    found += [f"{finding} (across steps)" for finding in _added(_cross_step(before.steps), _cross_step(after.steps))]
    return found + script_denials(before.steps, after.steps)


def _script_actions(steps: list[Step]) -> Counter[str]:
    """Steps that run code the edit can write inline or pull in: github-script, docker:// images."""
    found: Counter[str] = Counter()
    for step in steps:
        uses = step.uses.lower()
        if uses.split("@", 1)[0] in SCRIPT_ACTIONS:
            found[f"{uses.split('@', 1)[0]} script {step.with_values.get('script', '')[:60]!r}"] += 1
        elif uses.startswith("docker://"):
            found[f"container action {uses}"] += 1
    return found


def _cross_step(steps: list[Step]) -> Counter[str]:
    """A file one step downloads and a later step of the same job runs (the job's bash scripts read as one)."""
    jobs: dict[str, list[str]] = {}
    for step in steps:
        if step.run is not None and not step.windows and step.shell.split()[:1] in ([], ["bash"], ["sh"]):
            jobs.setdefault(step.where.rsplit(":", 1)[0], []).append(step.run)
    found: Counter[str] = Counter()
    for scripts in jobs.values():
        joined = shell.script_findings("\n".join(scripts)) if len(scripts) > 1 else None
        found.update(key for key in (joined or Counter()).elements() if "downloaded file" in key)
    return found


def _dangerous_env(names: list[str]) -> Counter[str]:
    return Counter(name.upper() for name in names if name.upper() in shell.DANGEROUS_ENV)


def permission_denials(before: WorkflowFacts, after: WorkflowFacts) -> list[str]:
    """Any scope raised (a write where there was none), and any permissions block removed."""
    found = []
    for where, granted in after.permissions.items():
        had = before.permissions.get(where, before.permissions.get("workflow"))
        if granted is None:
            if isinstance(before.permissions.get(where), dict):
                found.append(f"removed the permissions block of {where}")
            continue
        for scope, level in granted.items():
            old_level = had.get(scope, 0) if isinstance(had, dict) else 1
            if level > old_level:
                found.append(f"widened permissions ({where} {scope}: {'write' if level == 2 else 'read'})")
    return found


def _untrusted(steps: list[Step]) -> Counter[str]:
    texts = [step.run or "" for step in steps] + [value for step in steps for value in step.with_values.values()]
    return Counter(path for text in texts for path in ex.context_paths(text) if ex.is_untrusted(path))


def script_denials(before: list[Step], after: list[Step]) -> list[str]:
    """Remote code, env-file writes and loader variables the `run:` scripts gain."""
    old_scripts = [step.run for step in before if step.run is not None]
    old_lines = {line.strip() for script in old_scripts for line in script.splitlines()}
    old_found: Counter[str] = Counter()
    for step in before:
        old_found.update(step_findings(step, set()) or Counter())
    new_found: Counter[str] = Counter()
    for step in after:
        found = step_findings(step, old_lines if step.run not in old_scripts else None)
        if found is None:
            return [f"a changed run script cannot be parsed ({step.where})"]
        new_found.update(found)
    return _added(old_found, new_found)


def step_findings(step: Step, old_lines: set[str] | None) -> Counter[str] | None:
    """Findings of one step's script; with `old_lines`, an unparseable script is judged by its added lines."""
    if step.run is None:
        return Counter()
    name = step.shell.split()[0].lower() if step.shell.strip() else ""
    if name in _POWERSHELLS or (step.windows and not name):
        return powershell_findings(step.run) + (shell.script_findings(step.run) or Counter())
    if name not in _BASHES and not name.endswith(("/bash", "/sh")) and not name.startswith("bash"):
        return Counter() if old_lines is None else None
    found = shell.script_findings(step.run)
    if found is not None or old_lines is None:
        return found or Counter()
    added = "\n".join(line for line in step.run.splitlines() if line.strip() not in old_lines)
    return shell.script_findings(added)


def powershell_findings(script: str) -> Counter[str]:
    """Line rules for PowerShell and cmd scripts (there is no PowerShell parser here)."""
    found: Counter[str] = Counter()
    downloads = bool(_PS_DOWNLOAD.search(script))
    for line in script.splitlines():
        if downloads and _PS_EXEC.search(line):
            found["remote code execution: PowerShell runs a download"] += 1
        for match in _PS_ENV_FILE.finditer(line):
            found[f"writes to ${match.group(2).upper()}"] += 1
        for match in _PS_SET.finditer(line):
            var = (match.group(1) or match.group(2) or "").upper()
            if var in shell.DANGEROUS_ENV:
                found[f"sets ${var}"] += 1
    return found
