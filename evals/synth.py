"""Synthesize GitHub Actions job logs and run-log zips in the runner's real framing."""

from __future__ import annotations

import hashlib
import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from evals.synth_noise import noise_lines

BOM = "\ufeff"
EPOCH_TICKS = 639_000_000_000_000_000  # 100 ns ticks; only differences matter
BASE = (2025, 12, 1, 10, 21, 43)
POST_ACTIONS = ("actions/checkout", "actions/cache@", "actions/setup-python")


@dataclass
class StepSpec:
    """One step of a job: its output lines, noise around them and how it ends."""

    name: str
    lines: list[str] = field(default_factory=list)
    noise: int = 0
    failed: bool = False
    exit_code: int | None = 1
    continue_on_error: bool = False
    uses: str | None = None
    noise_after: int = 0
    noise_kind: str = "mixed"
    command: str | None = None
    with_: dict[str, str] = field(default_factory=dict)
    shell: str | None = None
    """The `shell:` line of the step header (default: the runner OS's bash or pwsh)."""


class _Clock:
    """Monotonic timestamps with 7 fractional digits, deterministic by seed."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ticks = rng.randint(0, 50_000_000)

    def stamp(self, big: bool = False) -> str:
        self.ticks += self.rng.randint(20_000, 30_000_000 if big else 400_000)
        secs, frac = divmod(self.ticks, 10_000_000)
        mins, s = divmod(BASE[5] + secs, 60)
        hours, m = divmod(BASE[4] + mins, 60)
        days, h = divmod(BASE[3] + hours, 24)
        return f"{BASE[0]}-{BASE[1]:02d}-{BASE[2] + days:02d}T{h:02d}:{m:02d}:{s:02d}.{frac:07d}Z"


def _os_of(labels: str) -> str:
    low = labels.lower()
    return "windows" if "windows" in low else "macos" if "macos" in low else "linux"


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _setup_lines(job: str, steps: list[StepSpec], workflow: str, repo: str, labels: str, ref: str,
                 setup_error: list[str] | None) -> list[str]:
    osname = _os_of(labels)
    hosted = "self-hosted" not in labels
    out = [f"Requested labels: {labels}", f"Job defined at: {repo}/{workflow}@{ref}",
           "Waiting for a runner to pick up this job..."]
    runner = "apra-jetson-01" if "ARM64" in labels else "apra-win-gpu-01" if osname == "windows" else "apra-gpu-01"
    if hosted:
        out.append("Job is about to start running on the hosted runner: GitHub Actions 12 (hosted)")
    else:
        out.append(f"Job is about to start running on the runner: {runner} (repository)")
    out.append("Current runner version: '2.321.0'")
    if not hosted:
        out += [f"Runner name: '{runner}'", "Runner group name: 'Default'", f"Machine name: '{runner}'"]
    system = {"windows": ["Microsoft Windows Server 2022", "10.0.20348", "Datacenter"],
              "macos": ["macOS", "15.1", "24B83"], "linux": ["Ubuntu", "22.04.5", "LTS"]}[osname]
    out += ["##[group]Operating System", *system, "##[endgroup]"]
    if hosted:
        image = labels.split(",")[0].strip()
        out += ["##[group]Runner Image", f"Image: {image}", "Version: 20251124.1.0",
                f"Included Software: https://github.com/actions/runner-images/blob/{image}/20251124.1/README.md",
                f"Image Release: https://github.com/actions/runner-images/releases/tag/{image}%2F20251124.1",
                "##[endgroup]", "##[group]Runner Image Provisioner", "2.0.384.1", "##[endgroup]"]
    out += ["##[group]GITHUB_TOKEN Permissions", "Actions: read", "Contents: read", "Metadata: read",
            "Packages: read", "##[endgroup]", "Secret source: Actions", "Prepare workflow directory",
            "Prepare all required actions", "Getting action download info"]
    for uses in dict.fromkeys(s.uses for s in steps if s.uses):
        out.append(f"Download action repository '{uses}' (SHA:{_sha(uses)})")
    return out + setup_error if setup_error else out + [f"Complete job name: {job}"]


def _container_lines(container: str, pull_error: list[str] | None) -> list[str]:
    digest = hashlib.sha256(container.encode("utf-8")).hexdigest()
    head = ["##[command]/usr/bin/docker version --format '{{.Server.APIVersion}}'", "'1.47'",
            f"##[command]/usr/bin/docker pull {container}"]
    if pull_error:
        return head + pull_error
    return head + [f"Digest: sha256:{digest}", f"Status: Downloaded newer image for {container}",
            ("##[command]/usr/bin/docker create --name build_container --label 4d8a3b --workdir "
            f"/__w/ApraPipes/ApraPipes --network github_network {container} \"tail\" \"-f\" \"/dev/null\""),
            "##[command]/usr/bin/docker start build_container"]


def _header(step: StepSpec, osname: str) -> list[str]:
    if step.uses:
        out = [f"##[group]Run {step.uses}", "with:"]
        out += [f"  {k}: {v}" for k, v in step.with_.items()]
        return out + ["##[endgroup]"]
    command = step.command or f"echo \"{step.name}\""
    shell = {"windows": "C:\\Program Files\\PowerShell\\7\\pwsh.EXE -command \". '{0}'\"",
             "macos": "/bin/bash -e {0}", "linux": "/usr/bin/bash -e {0}"}[osname]
    first = command.splitlines()[0]
    return [f"##[group]Run {first}", *command.splitlines(), f"shell: {step.shell or shell}", "##[endgroup]"]


def _step_body(step: StepSpec, key: str, ansi: bool, triplet: str) -> list[str]:
    out = noise_lines(step.noise, step.noise_kind, f"{key}:before", ansi, triplet) if step.noise else []
    out += step.lines
    if step.noise_after:
        out += noise_lines(step.noise_after, step.noise_kind, f"{key}:after", ansi, triplet)
    if step.failed and step.exit_code is not None:
        out.append(f"##[error]Process completed with exit code {step.exit_code}.")
    return out


def _post_lines(step: StepSpec) -> list[str]:
    out = ["Post job cleanup."]
    if step.uses and step.uses.startswith("actions/checkout"):
        out += ["[command]/usr/bin/git version", "git version 2.51.0",
                "[command]/usr/bin/git config --local --unset-all http.https://github.com/.extraheader"]
    elif step.uses and step.uses.startswith("actions/cache@"):
        out += ["Cache hit occurred on the primary key, not saving cache."]
    return out


def render_sections(job: str, steps: list[StepSpec], workflow: str = ".github/workflows/CI-Linux.yml",
                    repo: str = "Apra-Labs/ApraPipes", labels: str = "ubuntu-22.04", seed: int = 1,
                    ansi: bool = True, ref: str = "refs/heads/main",
                    container: str | None = None, setup_error: list[str] | None = None,
                    container_error: list[str] | None = None) -> list[tuple[str, list[str]]]:
    """Return the job's steps as (step file name, timestamped lines) in run order.

    `setup_error` ends "Set up job" with those lines and `container_error` ends "Initialize containers";
    either way no step runs.
    """
    clock = _Clock(random.Random(f"{seed}:{job}"))
    osname = _os_of(labels)
    triplet = {"windows": "x64-windows", "macos": "x64-osx-release"}.get(osname, "x64-linux-release")
    triplet = "arm64-linux-release" if "ARM64" in labels else triplet
    raw: list[tuple[str, list[str]]] = [("Set up job", _setup_lines(job, steps, workflow, repo, labels, ref, setup_error))]
    if container and not setup_error:
        raw.append(("Initialize containers", _container_lines(container, container_error)))
    ran: list[StepSpec] = []
    for index, step in enumerate(steps if not (setup_error or container_error) else []):
        title = f"Run {step.uses}" if step.uses and step.name == step.uses else step.name
        raw.append((title, _header(step, osname) + _step_body(step, f"{seed}:{job}:{index}", ansi, triplet)))
        ran.append(step)
        if step.failed and not step.continue_on_error:
            break
    job_failed = any(s.failed and not s.continue_on_error for s in ran)
    for step in reversed(ran):
        posted = step.uses and step.uses.startswith(POST_ACTIONS)
        if posted and not (job_failed and step.uses.startswith("actions/cache@")):
            raw.append((f"Post Run {step.uses}", _post_lines(step)))
    if container and not setup_error:
        raw.append(("Stop containers", ["##[command]/usr/bin/docker rm --force build_container"]))
    raw.append(("Complete job", ["Cleaning up orphan processes"]))
    return [(name, [f"{clock.stamp(i == 0)} {line}" for i, line in enumerate(lines)]) for name, lines in raw]


def _strip_ansi(line: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", line)


def render_job_log(job: str, steps: list[StepSpec], **kw) -> str:
    """Return one job's whole log text: BOM on the first line, one timestamped line per output line."""
    sections = render_sections(job, steps, **kw)
    lines = [line for _, body in sections for line in body]
    if not kw.get("ansi", True):
        lines = [_strip_ansi(line) for line in lines]
    return BOM + "\n".join(lines) + "\n"


def _file_name(text: str) -> str:
    return re.sub(r'[/\\:*?"<>|]', "", text)[:90].rstrip()


def run_layout(jobs: dict[str, list[StepSpec]], **kw) -> dict[str, str]:
    """Return the run-log zip layout as {relative path: text} ("<n>_<job>.txt", "<job>/<n>_<step>.txt").

    Any keyword given as a dict is per job: {job name: value}.
    """
    files: dict[str, str] = {}
    for number, (job, steps) in enumerate(jobs.items(), start=1):
        job_kw = {k: (v.get(job) if isinstance(v, dict) else v) for k, v in kw.items()}
        job_kw = {k: v for k, v in job_kw.items() if v is not None}
        sections = render_sections(job, steps, **job_kw)
        strip = (lambda s: s) if job_kw.get("ansi", True) else _strip_ansi
        whole = [strip(line) for _, body in sections for line in body]
        files[f"{number}_{_file_name(job)}.txt"] = BOM + "\n".join(whole) + "\n"
        for step_no, (name, body) in enumerate(sections, start=1):
            text = BOM + "\n".join(strip(line) for line in body) + "\n"
            files[f"{_file_name(job)}/{step_no}_{_file_name(name)}.txt"] = text
    return files


def write_run_layout(dest_dir, jobs: dict[str, list[StepSpec]], **kw) -> list[Path]:
    """Write the run-log layout under dest_dir and return the written paths."""
    dest = Path(dest_dir)
    written = []
    for rel, text in run_layout(jobs, **kw).items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def run_zip_bytes(jobs: dict[str, list[StepSpec]], **kw) -> bytes:
    """Return the run-log zip (same layout as write_run_layout) as bytes, byte-identical per input."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel, text in run_layout(jobs, **kw).items():
            info = zipfile.ZipInfo(rel, date_time=(2025, 12, 1, 10, 21, 42))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
