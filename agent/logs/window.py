"""The failure window: which steps failed, the root-cause lines above their boundary, a short excerpt."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from agent.logs.clean import clip
from agent.logs.excerpt import EXCERPT_LINE_CHARS, build_excerpt
from agent.logs.model import RunLog, Step
from agent.logs.multimatch import MultiPattern
from agent.logs.rank import TEXT_PROXIMITY, Cause, last_words, pick, scored_blocks
from agent.logs.shapes import EXIT_BOUNDARY, JOB_VERDICT, SHAPES, TEXT_EXIT, heuristic_category
from agent.models import Category, FailedStep

EXCERPT_BYTES = 32 << 10
CAUSES_PER_STEP = 20
MAX_CAUSES = 30
_GHA_ERROR, _BOUNDARY, _TEXT_EXIT, _VERDICT = 0, len(SHAPES), len(SHAPES) + 1, len(SHAPES) + 2


@lru_cache(maxsize=1)
def _shapes() -> MultiPattern:
    return MultiPattern([shape.pattern for shape in SHAPES] + [EXIT_BOUNDARY, TEXT_EXIT, JOB_VERDICT])


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
    _where: tuple | None = field(default=None, repr=False, compare=False)

    def weight(self, step: Step, index: int) -> int:
        """2 for a root-cause line, 1 for a line in a failed step, 0 elsewhere."""
        if self._where is None:
            self._where = ({(id(cause.step), cause.index) for cause in self.causes}, {id(s) for s in self.failed})
        causes, failed = self._where
        return 2 if (id(step), index) in causes else int(id(step) in failed)


def _step_hits(step: Step) -> dict[int, list[int]]:
    return dict(_shapes().scan([line.text for line in step.lines]))


def _shaped(hits: dict[int, list[int]]) -> dict[int, list[int]]:
    """Lines with an error shape, each with its shapes; a runner's exit-code line is a boundary, not a cause
    (unless it says the step ran out of memory)."""
    shaped = {}
    for index, shapes in hits.items():
        own = [i for i in shapes if i < _BOUNDARY]
        if _BOUNDARY in shapes and not any(SHAPES[i].category == Category.out_of_memory for i in own):
            continue
        if own:
            shaped[index] = own
    return shaped


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


def _step_causes(step: Step, hits: dict[int, list[int]], green: set[str] | None) -> list[Cause]:
    """An Actions step's best blocks, ranked against its exit-code line (or its end)."""
    boundary = max((i for i, shapes in hits.items() if _BOUNDARY in shapes), default=len(step.lines))
    blocks = scored_blocks([step], {id(step): _shaped(hits)}, boundary, green)
    return pick(blocks, CAUSES_PER_STEP)


def _text_scope(run: RunLog, hits: dict) -> tuple[list[Step], int]:
    """(the failed step of a text log, the failure boundary's position): its last failed command, else its
    job verdict (`ERROR: Job failed`), else its end."""
    found: dict[int, tuple[int, Step]] = {}
    position = 0
    for step in run.steps:
        for index, shapes in hits[id(step)].items():
            for marker in {_TEXT_EXIT, _VERDICT} & set(shapes):
                found[marker] = max(found.get(marker, (-1, step)), (position + index, step), key=lambda f: f[0])
        position += len(step.lines)
    boundary = found.get(_TEXT_EXIT) or found.get(_VERDICT)
    return ([boundary[1]], boundary[0]) if boundary else ([], position)


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


def failure_window(run: RunLog, budget: int = EXCERPT_BYTES, green: set[str] | None = None) -> Window:
    """Failed steps (an `##[error]` marker or a failure conclusion) and the root-cause lines above them.

    The step that failed its job comes first; a continue-on-error step's errors follow as context. A text
    log is ranked as one sequence against its last exit statement. Lines of `green` (normalised lines of
    the last successful run) rank down.
    """
    hits = {id(step): _step_hits(step) for step in run.steps}
    if run.kind == "text":
        failed, boundary = _text_scope(run, hits)
        in_log_order, continued = failed, []
        shaped = {id(step): _shaped(hits[id(step)]) for step in run.steps}
        blocks = scored_blocks(run.steps, shaped, boundary, green, TEXT_PROXIMITY)
        causes = pick(blocks + last_words(run.steps, boundary) if failed else blocks, MAX_CAUSES)
    else:
        in_log_order = [s for s in run.steps
                        if s.conclusion == "failure" or any(_GHA_ERROR in v for v in hits[id(s)].values())]
        failed, continued = failing_first(in_log_order)
        causes = _actions_causes(run, failed, hits, green)
    categories = set().union(*(cause.categories for cause in causes)) or set().union(*(c.weak for c in causes))
    excerpt = build_excerpt(run, _shown(run, in_log_order, causes), [(c.step, c.index) for c in causes], budget)
    return Window(
        failed_steps=[FailedStep(job=step.job, step=step.name) for step in failed],
        root_cause_lines=[clip(cause.text, EXCERPT_LINE_CHARS) for cause in causes],
        excerpt=excerpt, truncated_bytes=run.truncated_bytes, redactions=run.redactions,
        causes=causes, failed=failed, category=heuristic_category(categories), continued=continued,
    )


def _actions_causes(run: RunLog, failed: list[Step], hits: dict, green: set[str] | None) -> list[Cause]:
    causes = []
    for step in failed or run.steps:
        step_causes = _step_causes(step, hits[id(step)], green)
        if step in failed:
            step_causes = _quiet_step_causes(step, hits[id(step)], step_causes)
        causes.extend(step_causes)
    return causes[:MAX_CAUSES]


def _shown(run: RunLog, failed: list[Step], causes: list[Cause]) -> list[Step]:
    """The steps the excerpt shows: the failed ones and (in a text log, or when none failed) those with causes."""
    with_causes = {id(cause.step) for cause in causes}
    if run.kind == "text" or not failed:
        return [step for step in run.steps if step in failed or id(step) in with_causes]
    return failed
