"""Untrusted text (logs, PR titles, commit messages, branch names, issue bodies, tool output) → a fence.

`Fence().wrap(text, source)` strips what a human reviewer cannot see but a model can (HTML comments,
zero-width/bidi/tag characters, markdown link titles and image alt text; fault #14), redacts secrets
(fault #12), escapes `& < >` so no tag — not even the fence's own terminator or a fake tool-result
block — can be written from inside (fault #15), and wraps the result in
`<untrusted-NONCE source="...">` … `</untrusted-NONCE>` with one random nonce per run.
What was stripped or looked like an injection is counted in `fence.findings` for the audit log.
All patterns are RE2 (linear time), so hostile input cannot stall the agent.
"""

from __future__ import annotations

import secrets
from collections import Counter

import re2

from agent.logs.redact import redact

_INVISIBLE_RANGES = [
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200D), (0x2060, 0x2064), (0x3164, 0x3164), (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xE0000, 0xE007F), (0xE0100, 0xE01EF),
]
"""Zero-width, invisible fillers, variation selectors and Unicode tag characters (ASCII smuggling)."""
_BIDI_RANGES = [(0x200E, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069)]
_CONTROL_RANGES = [(0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F)]


def _table(ranges: list[tuple[int, int]]) -> dict[int, None]:
    return {code: None for low, high in ranges for code in range(low, high + 1)}


_DELETE = {"invisible": _table(_INVISIBLE_RANGES), "bidi": _table(_BIDI_RANGES),
           "control": _table(_CONTROL_RANGES)}

_MARKDOWN = [
    ("image_alt", re2.compile(r"!\[[^\]\n]*\]\([^)\n]*\)"), "[image]"),
    ("image_alt", re2.compile(r"(?i)<img\b[^<>]*>"), "[image]"),
    ("link_title", re2.compile(r"\[([^\]\n]*)\]\(([^)\s]*)[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\))[ \t]*\)"),
     r"[\1](\2)"),
    ("link_title", re2.compile(r"(?m)^([ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+)[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\))[ \t]*$"),
     r"\1"),
    ("html_attribute", re2.compile(r"(?i)(<[a-z][^<>]*?)\s(?:title|alt|aria-label)\s*=\s*(?:\"[^\"]*\"|'[^']*')"),
     r"\1"),
]
_SUSPICIOUS = [
    ("role_line", re2.compile(r"(?im)^[ \t>*#-]*(?:system|assistant|human|user|developer|tool_result|tool)[ \t]*:")),
    ("injection_phrase", re2.compile(
        r"(?i)(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|"
        r"preceding|your)\s+(?:instructions|rules|prompts?|directions)")),
    ("fence_tag", re2.compile(r"(?i)</?\s*untrusted")),
    ("tool_block", re2.compile(r"(?i)</?\s*(?:tool_result|tool_use|function_results|system)\b")),
]
_MAX_PASSES = 8
_SOURCE_LABEL = re2.compile(r"[^A-Za-z0-9:_./ -]")


def strip_html_comments(text: str) -> tuple[str, int]:
    """Remove `<!-- … -->` (an unterminated one to the end, as a renderer hides it); returns (text, count)."""
    parts, position, count = [], 0, 0
    while (start := text.find("<!--", position)) != -1:
        parts.append(text[position:start])
        count += 1
        end = text.find("-->", start + 4)
        position = len(text) if end == -1 else end + 3
    parts.append(text[position:])
    return "".join(parts), count


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so no tag can open or close inside a fence."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Fence:
    """One run's fence: a random nonce, the neutralizing pipeline and the findings it counted."""

    def __init__(self, nonce: str | None = None):
        self.nonce = nonce or secrets.token_hex(8)
        self.findings: Counter[str] = Counter()

    @property
    def tag(self) -> str:
        """The fence's tag name, `untrusted-NONCE`."""
        return f"untrusted-{self.nonce}"

    @property
    def close_tag(self) -> str:
        return f"</{self.tag}>"

    def neutralize(self, text: str) -> str:
        """The text with hidden payloads stripped, secrets redacted and markup escaped (not yet fenced)."""
        for kind, table in _DELETE.items():
            cleaned = text.translate(table)
            self._count(kind, len(text) - len(cleaned))
            text = cleaned
        text, comments = strip_html_comments(text)
        self._count("html_comment", comments)
        for kind, pattern in _SUSPICIOUS:  # flagged for the audit log, left visible inside the fence
            self._count(kind, len(pattern.findall(text)))
        for kind, pattern, replacement in _MARKDOWN:
            for _ in range(_MAX_PASSES):  # one attribute per tag per pass
                text, hits = pattern.subn(replacement, text)
                self._count(kind, hits)
                if not hits:
                    break
        text, secrets_found = redact(text)
        self._count("secret", secrets_found)
        return escape(text)

    def wrap(self, text: str, source: str = "text") -> str:
        """`text` neutralized and fenced; `source` says where it came from (log, pr_title, tool:name…)."""
        label = _SOURCE_LABEL.sub("_", source)[:80]
        body = self.neutralize(text)
        return f'<{self.tag} source="{label}">\n{body}\n{self.close_tag}'

    def _count(self, kind: str, hits: int) -> None:
        if hits:
            self.findings[kind] += hits
