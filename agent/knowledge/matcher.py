"""Match a read run against every known issue at once and pick the best entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import re2

from agent.knowledge.schema import KnownIssue
from agent.logs.model import RunLog, Step
from agent.logs.multimatch import MultiPattern, options
from agent.logs.window import Window

_PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)\}")


@dataclass
class Hit:
    """One line a pattern matched: where, how close to the failure (2 root cause, 1 failed step, 0 other)."""

    pattern: str
    step: Step
    index: int
    text: str
    weight: int
    span: int = 0
    groups: dict[str, str] = field(default_factory=dict)


@dataclass
class IssueMatch:
    """A known issue that matched, its evidence, its score and its fix params with placeholders filled."""

    issue: KnownIssue
    hits: list[Hit]
    score: tuple
    params: dict[str, Any] = field(default_factory=dict)


def fill(value: Any, groups: dict[str, str]) -> Any:
    """`value` with `{group}` placeholders replaced from `groups` (unknown names stay as they are)."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: groups.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {key: fill(item, groups) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, groups) for item in value]
    return value


class KnowledgeBase:
    """The validated known issues and one multi-pattern matcher over all their patterns."""

    def __init__(self, issues: list[KnownIssue], source: str = ""):
        self.issues, self.source = issues, source
        every = [p for issue in issues for p in (*issue.patterns, *issue.not_patterns)]
        self.patterns: list[str] = list(dict.fromkeys(every))
        self._index = {pattern: i for i, pattern in enumerate(self.patterns)}
        self._multi: MultiPattern | None = None
        self._compiled: dict[str, Any] = {}

    def get(self, issue_id: str) -> KnownIssue | None:
        return next((issue for issue in self.issues if issue.id == issue_id), None)

    def _hits(self, run: RunLog, window: Window) -> dict[int, list[Hit]]:
        if self._multi is None:
            self._multi = MultiPattern(self.patterns)
        found: dict[int, list[Hit]] = {}
        for step in run.steps:
            for index, pattern_ids in self._multi.scan([line.text for line in step.lines]):
                text = step.lines[index].text
                for pid in pattern_ids:
                    hit = Hit(self.patterns[pid], step, index, text, window.weight(step, index))
                    found.setdefault(pid, []).append(hit)
        return found

    def _detail(self, hit: Hit) -> Hit:
        regex = self._compiled.get(hit.pattern) or self._compiled.setdefault(hit.pattern, re2.compile(hit.pattern, options()))
        found = regex.search(hit.text)
        if found:
            hit.span = found.end() - found.start()
            hit.groups = {k: v for k, v in found.groupdict().items() if v is not None}
        return hit

    def _evaluate(self, issue: KnownIssue, found: dict[int, list[Hit]]) -> IssueMatch | None:
        per_pattern = [found.get(self._index[p], []) for p in issue.patterns]
        if not any(per_pattern) or (issue.match == "all" and not all(per_pattern)):
            return None
        if any(found.get(self._index[p]) for p in issue.not_patterns):
            return None
        best = [self._detail(max(hits, key=lambda h: h.weight)) for hits in per_pattern if hits]
        groups: dict[str, str] = {}
        for hit in best:
            groups = hit.groups | groups
        score = (max(h.weight for h in best), len(best), max(h.span for h in best), issue.confidence)
        params = fill(issue.fix.params, groups) if issue.fix else {}
        return IssueMatch(issue, best, score, params)

    def matches(self, run: RunLog, window: Window) -> list[IssueMatch]:
        """Every entry that matches, best first: near the failure, then specificity, then confidence."""
        if not self.issues:
            return []
        found = self._hits(run, window)
        matched = [m for m in (self._evaluate(issue, found) for issue in self.issues) if m]
        return sorted(matched, key=lambda m: m.score, reverse=True)

    def match(self, run: RunLog, window: Window) -> IssueMatch | None:
        """The best matching known issue, or None."""
        found = self.matches(run, window)
        return found[0] if found else None
