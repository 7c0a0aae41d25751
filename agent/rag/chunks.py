"""Split markdown into one chunk per heading section; the text under a heading stays with it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_SLUG_DROP = re.compile(r"[^\w\- ]", re.UNICODE)
_FIRST_BLOCK = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n(.*?)^[ \t]{0,3}\1", re.DOTALL | re.MULTILINE)
_LOG_FRAMING = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|^\ufeff|^\d{4}-\d\d-\d\dT[\d:.]+Z ?|##\[\w+\]", re.MULTILINE)
SYMPTOM_LINES = 12
MIN_LINE_CHARS = 12


def strip_log_framing(text: str) -> str:
    """Drop what the runner adds to every line (timestamps, ANSI colour, ##[error] markers)."""
    return _LOG_FRAMING.sub(" ", text).strip()


@dataclass(frozen=True)
class Chunk:
    """One searchable unit: a heading's section of a guide or doc, or a stored resolution."""

    id: str
    kind: str
    guide: str
    anchor: str
    title: str
    text: str

    @property
    def digest(self) -> str:
        """Content hash: the chunk is re-indexed only when this changes."""
        payload = f"{self.kind}\x1f{self.guide}\x1f{self.anchor}\x1f{self.title}\x1f{self.text}"
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def embedding_text(self) -> str:
        """The section as one vector: the title, then the start of the section."""
        return f"{self.title}\n{self.text[:2000]}"

    def symptom_lines(self) -> list[str]:
        """Lines of the section's first code block (a guide's exact error text), one vector each."""
        block = _FIRST_BLOCK.search(self.text)
        lines = (strip_log_framing(line) for line in block.group(2).splitlines()) if block else ()
        return [line for line in lines if len(line) >= MIN_LINE_CHARS][:SYMPTOM_LINES]

    def vector_texts(self) -> list[str]:
        """Everything embedded for this chunk: the section, then each symptom line on its own."""
        return [self.embedding_text(), *self.symptom_lines()]


def slugify(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|__", "", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = unicodedata.normalize("NFC", text).strip().lower()
    return _SLUG_DROP.sub("", text).replace(" ", "-")


def _sections(markdown: str, max_level: int) -> list[tuple[int, str, list[str]]]:
    """(level, heading, body lines); text before the first heading gets level 0 and no heading."""
    sections: list[tuple[int, str, list[str]]] = [(0, "", [])]
    fence = ""
    for line in markdown.splitlines():
        opened = _FENCE.match(line)
        if opened and (not fence or opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence)):
            fence = "" if fence else opened.group(1)
        heading = None if fence else _HEADING.match(line)
        if heading and len(heading.group(1)) <= max_level:
            sections.append((len(heading.group(1)), heading.group(2).strip(), []))
        else:
            sections[-1][2].append(line)
    return sections


def chunk_markdown(markdown: str, guide: str, kind: str = "guide", max_level: int = 2,
                   min_level: int = 0) -> list[Chunk]:
    """One chunk per heading of level <= max_level; headings inside code fences are not headings.

    Sections above min_level (a guide's title and preamble when min_level=2) are left out.
    """
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for level, title, lines in _sections(markdown, max_level):
        body = "\n".join(lines).strip()
        base = slugify(title) if title else ""
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchor = f"{base}-{count}" if count else base
        if (not title and not body) or level < min_level:
            continue
        chunks.append(Chunk(f"{kind}:{guide}#{anchor}", kind, guide, anchor, title or guide, body))
    return chunks


def headings_of(markdown: str, max_level: int = 6) -> set[str]:
    """Every anchor a markdown file defines (GitHub numbering for repeated headings)."""
    return {chunk.anchor for chunk in chunk_markdown(markdown, "", max_level=max_level) if chunk.anchor}
