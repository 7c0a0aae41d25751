"""Where a step starts in raw log bytes: `##[group]Run …` in Actions logs; in any other text log the
sections its CI prints (Travis `travis_fold`, GitLab `section_start`/`section_end`, `##[group]`)."""

from __future__ import annotations

import re

GHA_BOUNDARY_SCAN = r"##\[group\]Run |Post job cleanup\.|Cleaning up orphan processes"
TEXT_BOUNDARY_SCAN = r"travis_fold:(?:start|end):|section_(?:start|end):\d+:|##\[(?:end)?group\]"
_GHA = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:\d{4}-\d\d-\d\dT[\d:.]+Z ?)?(?:##\[group\]Run (?P<run>[^\r\n]*)"
    rb"|(?P<post>Post job cleanup\.)|(?P<done>Cleaning up orphan processes))"
)
_TEXT = re.compile(
    rb"travis_fold:start:(?P<fold>[^\r\n\x1b]+)|section_start:\d+:(?P<section>[^\r\n\x1b\[]+)"
    rb"|(?:\A|\x1b\[[0-9;]*[A-Za-z]|\r)##\[group\](?P<group>[^\r\n]*)"
    rb"|(?P<end>travis_fold:end:|section_end:\d+:|##\[endgroup\])"
)
OUTSIDE = "log"
"""The name of the text between sections (Travis does not fold its `script` phase)."""


def gha_boundary(block: bytes, start: int) -> str | None:
    """The step a `##[group]Run …`, `Post job cleanup.` or `Cleaning up orphan processes` line opens."""
    match = _GHA.match(block, start)
    if match is None:
        return None
    if match.group("run") is not None:
        return ("Run " + match.group("run").decode("utf-8", "replace").strip())[:120]
    return "Post job cleanup" if match.group("post") else "Complete job"


def text_boundary(block: bytes, start: int) -> str | None:
    """The section the line at `start` opens (its last marker wins); `OUTSIDE` after a section's end."""
    end = block.find(b"\n", start)
    line = block[start: end if end >= 0 else len(block)]
    last = None
    for last in _TEXT.finditer(line.lstrip(b" \t")):
        pass
    if last is None:
        return None
    if last.group("end"):
        return OUTSIDE
    name = last.group("fold") or last.group("section") or last.group("group") or b""
    return name.decode("utf-8", "replace").strip()[:120] or OUTSIDE
