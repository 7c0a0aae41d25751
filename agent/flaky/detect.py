"""Flaky only on evidence: same-commit pass and fail, or unexplained flips; failing every time is broken."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from agent.executor.escalate import codeowners_for

TEST_AFFIXES = re.compile(r"^(?:test_|tests_)|(?:_tests?|_ut|_unittest|tests?|_spec)$")
DEFAULT_WINDOW = 20
"""How many recent runs of a test the flip count looks at."""
DEFAULT_MIN_FLIPS = 2
"""Unexplained status changes (e.g. pass → fail → pass) that make a test flaky without same-commit evidence."""


@dataclass(frozen=True)
class Observation:
    """One test's result in one job of one run attempt."""

    test_id: str
    framework: str
    run_id: int
    attempt: int
    job: str
    head_sha: str
    passed: bool
    at: str
    changed: tuple[str, ...] | None = None
    """Files changed since the previous observed commit; None when unknown."""
    file: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Observation:
        """An observation from a `test_results` row."""
        changed = row.get("changed")
        return cls(row["test_id"], row["framework"], int(row["run_id"]), int(row["run_attempt"]), row.get("job") or "",
                   row.get("head_sha") or "", row["status"] == "passed", row["at"],
                   tuple(changed) if isinstance(changed, list) else None, row.get("file"))


@dataclass
class Verdict:
    """What the evidence says about one test."""

    test_id: str
    framework: str
    kind: str
    """flaky | broken | passing."""
    flip_rate: float
    last_seen: str
    evidence: list[int] = field(default_factory=list)
    """Run ids that show it (same-commit pass and fail, or the runs around unexplained flips)."""
    reason: str = ""
    file: str | None = None
    owners: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"test": self.test_id, "framework": self.framework, "kind": self.kind,
                "flip_rate": round(self.flip_rate, 3), "last_seen": self.last_seen, "evidence": self.evidence,
                "reason": self.reason, "file": self.file, "owners": self.owners}


def stem_of(path: str) -> str:
    """A file's stem without test affixes, lower case: `base/test/jpegencoder_tests.cpp` → `jpegencoder`."""
    return TEST_AFFIXES.sub("", PurePosixPath(path).stem.lower()) or PurePosixPath(path).stem.lower()


def related(obs: Observation, changed: tuple[str, ...]) -> bool:
    """A change to the test's file or directory, or to code whose name matches the test's (path heuristic)."""
    names = {stem_of(obs.file)} if obs.file else set()
    parts = re.split(r"[/.:]+", obs.test_id)
    names |= {TEST_AFFIXES.sub("", part.lower()) for part in parts[:-1] or parts}  # suites, not the case name
    folder = str(PurePosixPath(obs.file).parent) if obs.file else None
    for path in changed:
        if path == obs.file or (folder not in (None, ".", "") and str(PurePosixPath(path).parent) == folder):
            return True
        if any(name and len(name) > 3 and name in stem_of(path) for name in names):
            return True
    return False


def same_commit_evidence(history: list[Observation]) -> list[int]:
    """Runs where one commit both passed and failed: a re-run, or a job leg that also passes elsewhere."""
    legs_passing = {o.job for o in history if o.passed}
    by_sha: dict[str, list[Observation]] = defaultdict(list)
    for obs in history:
        by_sha[obs.head_sha].append(obs)
    runs: set[int] = set()
    for group in by_sha.values():
        fails = [o for o in group if not o.passed and o.job in legs_passing]
        passes = [o for o in group if o.passed]
        if fails and passes:
            runs |= {o.run_id for o in fails + passes}
    return sorted(runs)


def unexplained_flips(history: list[Observation]) -> tuple[int, int, list[int]]:
    """(flips, flips with no related change, their run ids) along the time-ordered history, per job leg."""
    flips, unexplained, runs = 0, 0, set()
    by_leg: dict[str, list[Observation]] = defaultdict(list)
    for obs in history:
        by_leg[obs.job].append(obs)
    for leg in by_leg.values():
        for before, after in itertools.pairwise(leg):
            if before.passed == after.passed:
                continue
            flips += 1
            if after.changed is not None and not (after.head_sha != before.head_sha and related(after, after.changed)):
                unexplained += 1
                runs |= {before.run_id, after.run_id}
    return flips, unexplained, sorted(runs)


def judge(history: list[Observation], min_flips: int = DEFAULT_MIN_FLIPS) -> Verdict:
    """The verdict on one test from its time-ordered observations (at least one)."""
    first, last = history[0], history[-1]
    flips, unexplained, flip_runs = unexplained_flips(history)
    rate = flips / max(1, len(history) - 1)
    file = next((o.file for o in reversed(history) if o.file), None)
    verdict = Verdict(first.test_id, first.framework, "passing", rate, last.at, file=file)
    same = same_commit_evidence(history)
    if same:
        verdict.kind, verdict.evidence, verdict.reason = "flaky", same, "failed and passed on the same commit"
    elif unexplained >= min_flips:
        verdict.kind, verdict.evidence = "flaky", flip_runs
        verdict.reason = f"{unexplained} status changes with no related change"
    elif not last.passed:
        streak = [o for o in history if not o.passed]
        verdict.kind, verdict.evidence = "broken", sorted({o.run_id for o in streak})[-10:]
        verdict.reason = ("fails every time" if len(streak) == len(history)
                          else "fails since its last change" if flips else "failing")
    return verdict


def full_path(file: str | None, paths: list[str] | None) -> str | None:
    """A bare file name (Boost.Test's JUNIT logger writes only that) as the one repository path ending in it."""
    if not file or "/" in file or not paths:
        return file
    found = [p for p in paths if p.rsplit("/", 1)[-1] == file]
    return found[0] if len(found) == 1 else file


def judge_all(observations: list[Observation], window: int = DEFAULT_WINDOW, min_flips: int = DEFAULT_MIN_FLIPS,
              codeowners: str | None = None, paths: list[str] | None = None) -> list[Verdict]:
    """Verdicts for every test seen, each over its last `window` runs, with its file (resolved against the
    repository's `paths`) and its owners from CODEOWNERS."""
    by_test: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for obs in sorted(observations, key=lambda o: (o.at, o.run_id, o.attempt)):
        by_test[(obs.framework, obs.test_id)].append(obs)
    verdicts = []
    for history in by_test.values():
        recent_runs = sorted({(o.at, o.run_id) for o in history})[-window:]
        keep = {run for _, run in recent_runs}
        verdict = judge([o for o in history if o.run_id in keep], min_flips)
        verdict.file = full_path(verdict.file, paths)
        if codeowners and verdict.file:
            verdict.owners = codeowners_for(codeowners, verdict.file)
        verdicts.append(verdict)
    return sorted(verdicts, key=lambda v: (v.kind != "flaky", v.kind != "broken", v.test_id))
