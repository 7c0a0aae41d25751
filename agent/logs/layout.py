"""The run-log zip layout: "<n>_<job>.txt" per job and "<job>/<n>_<step>.txt" per step."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.errors import BadInput

_NUMBERED = re.compile(r"^(\d+)_(.*)\.txt$", re.DOTALL)
_UNNUMBERED = 10**9


@dataclass
class JobFiles:
    """Where one job's log lives: its whole-job file and/or its per-step files (number, name, path)."""

    name: str
    file: str | None = None
    steps: list[tuple[int, str, str]] = field(default_factory=list)
    order: int = _UNNUMBERED


def _job_entry(jobs: dict[str, JobFiles], name: str) -> JobFiles:
    return jobs.setdefault(name, JobFiles(name))


def run_layout(names: list[str], where: str) -> list[JobFiles]:
    """Group relative file names into jobs in run order; no job file at all → BadInput."""
    jobs: dict[str, JobFiles] = {}
    for rel in names:
        parts = rel.split("/")
        if parts[0].startswith((".", "__MACOSX")) or not rel.endswith(".txt"):
            continue
        numbered = _NUMBERED.match(parts[-1])
        if len(parts) == 1:
            entry = _job_entry(jobs, numbered[2] if numbered else rel[:-4])
            entry.file, entry.order = rel, int(numbered[1]) if numbered else _UNNUMBERED
        elif len(parts) == 2 and numbered:
            _job_entry(jobs, parts[0]).steps.append((int(numbered[1]), numbered[2], rel))
    if not jobs:
        raise BadInput(f"{where}: no job logs in it (expected <n>_<job>.txt or <job>/<n>_<step>.txt)")
    for job in jobs.values():
        job.steps.sort()
    return sorted(jobs.values(), key=lambda job: (job.order, job.name))
