"""Look at the first bytes of a stream: a zip, gzip, `gh run view --log` output, an Actions job log, other text."""

from __future__ import annotations

import re
from typing import BinaryIO

from agent.errors import BadInput

HEAD_BYTES = 64 << 10
_GH_LINE = re.compile(rb"^[^\t\r\n]+\t[^\t\r\n]*\t(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
_RUNNER_LINE = re.compile(
    rb"(?m)^(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"
    rb"|##\[(?:group\]Run |error\]|warning\]|notice\]|debug\]|command\]|section\])"
    rb"|^(?:\xef\xbb\xbf)?(?:Requested labels: |Job defined at: |Current runner version: |Runner name: "
    rb"|Waiting for a runner to pick up this job|Download action repository '|Post job cleanup\."
    rb"|Cleaning up orphan processes)"
)
"""A runner timestamp, a runner's `##[...]` marker, or a line only the runner writes (gha-logs.md "Log lines").
A bare `##[group]NAME` is not enough: other tools print it too (their text is read with groups as steps)."""
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


class Peeked:
    """A binary stream whose first HEAD_BYTES were read ahead (`head`) and are served again."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        chunks, size = [], 0
        while size < HEAD_BYTES and (chunk := stream.read(HEAD_BYTES - size)):
            chunks.append(chunk)
            size += len(chunk)
        self.head = b"".join(chunks)
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        """At most `size` bytes (all when negative): the head's unread part first, then the stream's."""
        if self._offset < len(self.head):
            end = len(self.head) if size is None or size < 0 else self._offset + size
            served = self.head[self._offset:end]
            self._offset += len(served)
            return served
        return self.stream.read(size)


def sniff(head: bytes, name: str) -> str:
    """"gh" for `gh run view --log` output, "log" for an Actions job log, "text" for any other text log.

    Only the head is looked at. Empty or binary input → BadInput.
    """
    if not head.strip():
        raise BadInput(f"{name}: empty, not a log")
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if _GH_LINE.match(first):
        return "gh"
    if _RUNNER_LINE.search(head):
        return "log"
    if b"\x00" in head or len(_BINARY.findall(head)) > len(head) // 20:
        raise BadInput(f"{name}: binary data, not a text log")
    return "text"
