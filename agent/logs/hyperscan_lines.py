"""The optional hyperscan engine: the same line starts as RE2 wherever provably equal, faster; and the engine choice."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from functools import cached_property, lru_cache

from agent.logs.multimatch import Re2Lines, uncaptured


def line_finder(patterns: list[str], engine: str = "auto"):
    """The fastest exact line finder for `patterns`: hyperscan when importable ("auto"), else RE2."""
    if engine not in ("auto", "hyperscan", "re2"):
        raise ValueError(f"unknown scan engine {engine!r}")
    if engine != "re2":
        if hyperscan_available():
            return HyperscanLines(patterns)
        if engine == "hyperscan":
            raise RuntimeError("the hyperscan engine was asked for and `import hyperscan` fails")
    return Re2Lines(patterns)


@lru_cache(maxsize=1)
def hyperscan_available() -> bool:
    """True when the optional `hyperscan` wheel imports (it is never required)."""
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


_NEWLINE_ESCAPES = set("snxCpPWDQv01234567")
"""Escapes that can match a newline (or whose reach we do not check): `\\s`, `\\n`, `\\x0a`, `\\D`, ..."""
_CONTROL_ESCAPES = set("trfae")
"""Escapes for control characters: harmless alone, but a range starting at one (`[\\t-~]`) may hold a newline."""
_BOM = b"\xef\xbb\xbf"


def bom_blind(pattern: str) -> bool:
    """True when `pattern` cannot tell a leading BOM (one UTF-8 character to RE2) from the byte \\x01."""
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if not " " <= char <= "~":  # a literal like "●" can match neither a BOM nor \x01; inside a class it could
            if in_class or char in "\ufeff\x01" or not char.isprintable():
                return False
            i += 1
            continue
        if char == "\\":
            escaped = pattern[i + 1:i + 2]
            if escaped in ("p", "P", "Q", "C") or (in_class and escaped in set("x01234567")):
                return False
            i += 2
            continue
        if pattern.startswith("[:", i):
            return False
        if char == "[" and not in_class:
            i += 1 + pattern.startswith("^", i + 1)
            i += pattern.startswith("]", i)
            in_class = True
            continue
        in_class = in_class and char != "]"
        i += 1
    return True


def line_local(pattern: str) -> bool:
    """True when no match of RE2 `pattern` can contain a newline (conservative: unsure → False)."""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escaped = pattern[i + 1:i + 2]
            if _plain_hex_escape(pattern, i):
                i += 4
                continue
            if escaped in _NEWLINE_ESCAPES or (escaped in _CONTROL_ESCAPES and pattern[i + 2:i + 3] == "-"):
                return False
            i += 2
            continue
        if ord(char) < 0x20 or pattern.startswith(("[^", "[:"), i):
            return False
        if pattern.startswith("(?", i):
            flags = re.match(r"[A-Za-z-]*", pattern[i + 2:]).group(0)
            if "s" in flags and not flags.startswith("P"):
                return False
        i += 1
    return True


def _plain_hex_escape(pattern: str, i: int) -> bool:
    """True for `\\xHH` at `i` naming a byte other than newline, not the start of a range."""
    digits = pattern[i + 2:i + 4]
    if pattern[i + 1:i + 2] != "x" or len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        return False
    return int(digits, 16) != 10 and pattern[i + 4:i + 5] != "-"


class HyperscanLines:
    """The same line starts as `Re2Lines`, found by hyperscan wherever that is provably the same.

    A pattern no match of which can span lines reports its line by the match end. A hit of any other
    pattern, a block that is not ASCII (RE2 reads UTF-8, hyperscan bytes; a leading BOM is stood in
    for by one byte) and the patterns hyperscan cannot compile all go to RE2.
    """

    engine = "hyperscan"

    def __init__(self, patterns: list[str]):
        self.patterns = list(patterns)
        self._db, facts = hyperscan_database(self.patterns)
        self.residual = Re2Lines([self.patterns[i] for i in facts["rejected"]])
        self._spans = facts["spans"]
        self._bom_ok = facts["bom_ok"]
        self.blocks = {"hyperscan": 0, "re2": 0}
        """How many blocks each engine answered (for tests and the benchmark)."""
        self._local = threading.local()  # one hyperscan scratch per scanning thread
        self._count = threading.Lock()

    @cached_property
    def re2(self) -> Re2Lines:
        """The RE2 reference engine, compiled the first time a block needs it (most logs never do)."""
        return Re2Lines(self.patterns)

    def _scratch(self):
        """This thread's scratch space (hyperscan refuses one scratch in two scans at once)."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            import hyperscan

            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        return scratch

    def starts(self, block: bytes) -> list[int]:
        """Start of every line some pattern matches in (one entry per line, ascending)."""
        found = None
        if self._db is not None and block.isascii():
            found = self._scan(block, block, 0)
        elif self._db is not None and self._bom_ok and block.startswith(_BOM) and block[3:].isascii():
            found = self._scan(b"\x01" + block[3:], block, len(_BOM) - 1)
        with self._count:
            self.blocks["re2" if found is None else "hyperscan"] += 1
        return self.re2.starts(block) if found is None else found

    def _scan(self, data: bytes, block: bytes, shift: int) -> list[int] | None:
        """Line starts in `block` from a hyperscan pass over `data` (`block` with bytes 1.. moved by `shift`)."""
        ends: list[tuple[int, int]] = []
        self._db.scan(data, match_event_handler=lambda pid, _start, end, _flags, _ctx: ends.append((pid, end)),
                      scratch=self._scratch())
        if any(self._spans[pid] for pid, _ in ends):
            return None
        found = {start + shift if start else 0 for start in (data.rfind(b"\n", 0, end) + 1 for _, end in ends)}
        if self.residual.patterns:
            found.update(self.residual.starts(block))
        return sorted(found)


HS_CACHE_VERSION = 2
HS_CACHE_KEEP = 8
"""Compiled databases kept under config.cache_dir() (one per pattern set; the oldest go first)."""


def pattern_facts(patterns: list[str], rejected: list[int]) -> dict:
    """What the scan needs to know of each pattern: which hyperscan rejects, which may span lines, and
    whether all of them are blind to a leading BOM (kept beside the compiled database)."""
    return {"rejected": rejected, "spans": [not line_local(p) for p in patterns],
            "bom_ok": all(bom_blind(p) for p in patterns)}


def hyperscan_database(patterns: list[str]):
    """(compiled block-mode database or None, `pattern_facts`); cached on disk by content."""
    import hyperscan

    key = hashlib.sha256(json.dumps([HS_CACHE_VERSION, hyperscan.__version__, patterns]).encode("utf-8")).hexdigest()
    cache = _cache_dir()
    path = cache / f"hyperscan-{key[:32]}.db" if cache is not None else None
    loaded = _load_database(path) if path is not None else None
    if loaded is not None:
        return loaded
    rejected = _rejected(patterns)
    kept = [i for i in range(len(patterns)) if i not in rejected]
    database = _compile(patterns, kept) if kept else None
    facts = pattern_facts(patterns, rejected)
    if path is not None and database is not None:
        _save_database(path, database, facts)
    return database, facts


def _compile(patterns: list[str], ids: list[int]):
    import hyperscan

    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=[uncaptured(patterns[i]).encode("utf-8") for i in ids], ids=ids,
                     elements=len(ids), flags=hyperscan.HS_FLAG_MULTILINE)
    return database


def _rejected(patterns: list[str]) -> list[int]:
    """Indexes of the patterns hyperscan will not compile (tried one by one only if the whole set fails)."""
    import hyperscan

    try:
        _compile(patterns, list(range(len(patterns))))
        return []
    except hyperscan.error:
        pass
    rejected = []
    for index in range(len(patterns)):
        try:
            _compile(patterns, [index])
        except hyperscan.error:
            rejected.append(index)
    return rejected


def _cache_dir():
    from agent.config import cache_dir

    try:
        path = cache_dir()
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:
        return None


def _load_database(path):
    import hyperscan

    try:
        meta, _, blob = path.read_bytes().partition(b"\n")
        database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        facts = json.loads(meta)
        return database, {name: facts[name] for name in ("rejected", "spans", "bom_ok")}
    except (OSError, ValueError, KeyError, TypeError, hyperscan.error):
        return None


def _save_database(path, database, facts: dict) -> None:
    import hyperscan

    from agent.config import prune_cache

    partial = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        partial.write_bytes(json.dumps(facts).encode("utf-8") + b"\n" + hyperscan.dumpb(database))
        os.replace(partial, path)
        prune_cache(path.parent, "hyperscan-*.db", HS_CACHE_KEEP)
    except OSError:
        partial.unlink(missing_ok=True)
