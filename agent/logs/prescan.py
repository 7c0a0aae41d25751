"""Scanning ahead on worker threads: while the main thread steps through one block, the next ones are
scanned (hyperscan releases the GIL) and their newlines counted."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from agent.logs.scan import newlines

PRESCAN_AHEAD = 3
"""Blocks scanned ahead of the one being stepped through (each holds its bytes until consumed)."""


def _scanned(finder, block: bytes) -> tuple[list[int], int]:
    return finder.starts(block), newlines(block)


def prescanned(blocks: Iterable[bytes], finder) -> Iterator[tuple[bytes, tuple[list[int], int]]]:
    """(block, (the line starts `finder` matches in it, its newline count)) for every block, in order.

    From the second block on, this work runs ahead on two worker threads: hyperscan releases the GIL, so
    blocks are scanned while the main thread reads the next one and keeps the steps of the previous one
    (a one-block log starts no thread). The finder's `starts` must be safe to call from several threads.
    """
    iterator = iter(blocks)
    first = next(iterator, None)
    if first is None:
        return
    second = next(iterator, None)
    if second is None:
        yield first, _scanned(finder, first)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="log-scan") as pool:
        pending = deque([(first, pool.submit(_scanned, finder, first)), (second, pool.submit(_scanned, finder, second))])
        for block in iterator:
            pending.append((block, pool.submit(_scanned, finder, block)))
            if len(pending) > PRESCAN_AHEAD:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
