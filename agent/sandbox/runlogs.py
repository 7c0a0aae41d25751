"""Run-log zip layout: jobs and steps derived from file names, green logs, zipping."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime

ERROR_MARKER = b"##[error]Process completed with exit code"
ANY_ERROR = b"##[error]"
JOB_FILE = re.compile(r"^(\d+)_(.+)\.txt$")
STEP_FILE = re.compile(r"^([^/]+)/(\d+)_(.+)\.txt$")
RUN_GROUP = re.compile(rb"^\S*\s?##\[group\]Run (.+?)\r?$", re.MULTILINE)


@dataclass
class StepLog:
    number: int
    name: str
    failed: bool


@dataclass
class JobLog:
    name: str
    text: bytes = b""
    steps: list[StepLog] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(s.failed for s in self.steps) or ERROR_MARKER in self.text

    def conclusions(self) -> list[tuple[StepLog, str]]:
        """Each step with its conclusion: success before the failure, skipped after (post steps run)."""
        failed_at = max((s.number for s in self.steps if s.failed), default=None)
        out = []
        for step in self.steps:
            if step.failed:
                out.append((step, "failure"))
            elif failed_at is not None and step.number > failed_at and not _always_runs(step.name):
                out.append((step, "skipped"))
            else:
                out.append((step, "success"))
        return out


def _always_runs(name: str) -> bool:
    return name.startswith("Post ") or name in ("Complete job", "Set up job")


def parse_layout(files: dict[str, bytes]) -> list[JobLog]:
    """Jobs (ordered by their number) with steps, from "<n>_<job>.txt" and "<job>/<n>_<step>.txt"."""
    numbered: dict[str, tuple[int, JobLog]] = {}
    step_files: dict[str, list[tuple[int, str, bytes]]] = {}
    for name, data in files.items():
        if (m := STEP_FILE.match(name)) is not None:
            step_files.setdefault(m.group(1), []).append((int(m.group(2)), m.group(3), data))
        elif (m := JOB_FILE.match(name)) is not None:
            numbered[m.group(2)] = (int(m.group(1)), JobLog(m.group(2), data))
    for job_name in step_files:
        numbered.setdefault(job_name, (10**6, JobLog(job_name)))
    jobs = [job for _, job in sorted(numbered.values(), key=lambda item: (item[0], item[1].name))]
    for job in jobs:
        steps = sorted(step_files.get(job.name, []))
        if steps:
            job.text = job.text or b"".join(d for _, _, d in steps)
            job.steps = mark_failed(steps)
        else:
            job.steps = mark_failed(split_steps(job.text))
    return jobs


def mark_failed(steps: list[tuple[int, str, bytes]]) -> list[StepLog]:
    """Steps ending in `##[error]Process completed with exit code` failed; without any, the last `##[error]` one."""
    failed = {n for n, _, data in steps if ERROR_MARKER in data}
    if not failed:
        failed = {n for n, _, data in steps if ANY_ERROR in data}
        failed = {max(failed)} if failed else set()
    return [StepLog(n, name, n in failed) for n, name, _ in steps]


def split_steps(text: bytes) -> list[tuple[int, str, bytes]]:
    """Steps of a job log without step files: one per `##[group]Run …`, framed by set-up and complete."""
    marks = list(RUN_GROUP.finditer(text))
    setup_end = marks[0].start() if marks else len(text)
    steps = [(1, "Set up job", text[:setup_end] if marks else b"")]
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        name = "Run " + mark.group(1).decode("utf-8", "replace").strip()
        steps.append((i + 2, name[:100], text[mark.start():end]))
    if not marks:
        steps.append((2, "Run", text))
    steps.append((len(steps) + 1, "Complete job", b""))
    return steps


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def green_logs(jobs: list[tuple[str, list[str]]]) -> dict[str, bytes]:
    """A short successful run in zip layout, with the same jobs and steps."""
    files: dict[str, bytes] = {}
    for index, (job, steps) in enumerate(jobs, start=1):
        parts = []
        for number, step in enumerate(steps, start=1):
            text = (f"{_stamp()} ##[group]{step}\n{_stamp()} {step}: ok\n{_stamp()} ##[endgroup]\n")
            if step == "Complete job":
                text += f"{_stamp()} Cleaning up orphan processes\n"
            files[f"{job}/{number}_{step.replace('/', '')}.txt"] = text.encode("utf-8")
            parts.append(text)
        files[f"{index}_{job}.txt"] = ("\ufeff" + "".join(parts)).encode("utf-8")
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """The run-log zip of a layout."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    return buffer.getvalue()


def unzip(data: bytes) -> dict[str, bytes]:
    """A run-log zip back into its layout."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
