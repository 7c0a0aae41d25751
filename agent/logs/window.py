"""The failure window: which steps failed, the root-cause lines above their boundary, a short excerpt."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from agent.logs.clean import clip
from agent.logs.excerpt import EXCERPT_LINE_CHARS, build_excerpt
from agent.logs.model import RunLog, Step
from agent.logs.multimatch import MultiPattern
from agent.logs.shapes import EXIT_BOUNDARY, SHAPES, heuristic_category
from agent.models import Category, FailedStep

EXCERPT_BYTES = 32 << 10
CAUSES_PER_STEP = (8, 2)
"""Root-cause lines kept per step: the first ones (the real error comes first) and the last ones."""
MAX_CAUSES = 30
_GHA_ERROR, _BOUNDARY = 0, len(SHAPES)


@lru_cache(maxsize=1)
def _shapes() -> MultiPattern:
    return MultiPattern([shape.pattern for shape in SHAPES] + [EXIT_BOUNDARY])


@dataclass
class Cause:
    """One root-cause line: where it is and which error shapes it has."""

    step: Step
    index: int
    text: str
    categories: set[Category] = field(default_factory=set)


@dataclass
class Window:
    """What failed and why, as far as the log says: failed steps, root-cause lines, a redacted excerpt."""

    failed_steps: list[FailedStep]
    root_cause_lines: list[str]
    excerpt: str
    truncated_bytes: int
    redactions: int = 0
    causes: list[Cause] = field(default_factory=list)
    failed: list[Step] = field(default_factory=list)
    """Failed steps, the ones that failed their job first, continue-on-error ones last."""
    category: Category = Category.unknown
    continued: list[Step] = field(default_factory=list)
    """Failed steps after which the job ran on (continue-on-error): context, not the cause."""

    def weight(self, step: Step, index: int) -> int:
        """2 for a root-cause line, 1 for a line in a failed step, 0 elsewhere."""
        if (id(step), index) in {(id(cause.step), cause.index) for cause in self.causes}:
            return 2
        return 1 if id(step) in {id(failed) for failed in self.failed} else 0


def _step_hits(step: Step) -> dict[int, list[int]]:
    return dict(_shapes().scan([line.text for line in step.lines]))


def _is_cause(shapes: list[int]) -> bool:
    if _BOUNDARY in shapes:
        return any(SHAPES[i].category == Category.out_of_memory for i in shapes if i < _BOUNDARY)
    return bool(shapes)


def _pick(causes: list[Cause], first: int, last: int) -> list[Cause]:
    """Causes without repeated lines: the first few (the real error comes first) and the last few."""
    seen, unique = set(), []
    for cause in causes:
        key = " ".join(cause.text.split())
        if key and key not in seen:
            seen.add(key)
            unique.append(cause)
    return unique if len(unique) <= first + last else unique[:first] + unique[-last:]


def _last_output(step: Step, end: int, count: int = 3) -> list[Cause]:
    """Up to `count` plain output lines just above line `end`, not reaching into the step's header group."""
    chosen = []
    for index in range(end - 1, -1, -1):
        text = step.lines[index].text.strip()
        if text.startswith(("##[endgroup]", "##[group]")) or len(chosen) == count:
            break
        if text and not text.startswith(("##[", "[truncated")):
            chosen.append(Cause(step, index, step.lines[index].text))
    return chosen[::-1]


def _quiet_step_causes(step: Step, hits: dict[int, list[int]], causes: list[Cause]) -> list[Cause]:
    """A failed step whose only errors are runner markers (timed out, canceled, exit code): quote its last output."""
    if any(not cause.text.lstrip().startswith("##[error]") for cause in causes):
        return causes
    boundary = max((i for i, shapes in hits.items() if _BOUNDARY in shapes), default=len(step.lines))
    first = causes[0].index if causes else boundary
    tail = [] if causes or boundary == len(step.lines) else [Cause(step, boundary, step.lines[boundary].text)]
    return _last_output(step, first) + causes + tail


def _continuations(step: Step, cause: Cause, hits: dict[int, list[int]]) -> list[Cause]:
    """`CMake Error at X (message):` and the like say what is wrong on the next lines."""
    if not cause.text.rstrip().endswith(":"):
        return []
    following = []
    for index in range(cause.index + 1, min(len(step.lines), cause.index + 4)):
        text = step.lines[index].text.strip()
        if index in hits:
            break
        if text and not text.startswith("##["):
            following.append(Cause(step, index, step.lines[index].text))
        if len(following) == 2:
            break
    return following


def _causes(step: Step, hits: dict[int, list[int]]) -> list[Cause]:
    found = []
    for index, shapes in sorted(hits.items()):
        if _is_cause(shapes):
            categories = {SHAPES[i].category for i in shapes if i < _BOUNDARY and SHAPES[i].category}
            found.append(Cause(step, index, step.lines[index].text, categories))
            found.extend(_continuations(step, found[-1], hits))
    return _pick(found, *CAUSES_PER_STEP)


def failing_first(failed: list[Step]) -> tuple[list[Step], list[Step]]:
    """(failed steps with the one that failed each job first, the continue-on-error ones).

    A job stops at the step that fails it, so of a job's failed main steps only the last one can have
    failed the job; an earlier one let later steps run (continue-on-error). Post steps run anyway.
    """
    decisive, post, continued = [], [], []
    for job in dict.fromkeys(step.job for step in failed):
        mine = [step for step in failed if step.job == job]
        main = [step for step in mine if not step.is_post]
        decisive += main[-1:]
        continued += main[:-1]
        post += [step for step in mine if step.is_post]
    return decisive + post + continued, continued


def failure_window(run: RunLog, budget: int = EXCERPT_BYTES) -> Window:
    """Failed steps (an `##[error]` marker or a failure conclusion) and the root-cause lines above them.

    The step that failed its job comes first; a continue-on-error step's errors follow as context.
    """
    hits = {id(step): _step_hits(step) for step in run.steps}
    in_log_order = [s for s in run.steps
                    if s.conclusion == "failure" or any(_GHA_ERROR in v for v in hits[id(s)].values())]
    failed, continued = failing_first(in_log_order)
    causes: list[Cause] = []
    for step in failed or run.steps:
        step_causes = _causes(step, hits[id(step)])
        if step in failed:
            step_causes = _quiet_step_causes(step, hits[id(step)], step_causes)
        causes.extend(step_causes)
    causes = _pick(causes, MAX_CAUSES - 5, 5)
    categories = set().union(*(cause.categories for cause in causes)) if causes else set()
    shown = in_log_order or [step for step in run.steps if any(cause.step is step for cause in causes)]
    excerpt = build_excerpt(run, shown, [(cause.step, cause.index) for cause in causes], budget)
    return Window(
        failed_steps=[FailedStep(job=step.job, step=step.name) for step in failed],
        root_cause_lines=[clip(cause.text, EXCERPT_LINE_CHARS) for cause in causes],
        excerpt=excerpt, truncated_bytes=run.truncated_bytes, redactions=run.redactions,
        causes=causes, failed=failed, category=heuristic_category(categories), continued=continued,
    )
