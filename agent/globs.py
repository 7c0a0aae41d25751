"""Path globs as CI people write them: `*` and `?` stay inside a folder, `**/` spans folders."""

from __future__ import annotations

import re
from functools import lru_cache


def glob_source(pattern: str) -> str:
    """The regex source of one glob (anchoring is left to the caller: fullmatch)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """One glob, compiled (cached)."""
    return re.compile(glob_source(pattern), re.IGNORECASE if ignore_case else 0)
