"""A small parser of GitHub's `${{ }}` expression syntax: the context paths an expression reads."""

from __future__ import annotations

import re
from collections.abc import Iterator

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|0x[0-9a-fA-F]+)"
    r"|(?P<name>[A-Za-z_][\w-]*)|(?P<op>==|!=|<=|>=|&&|\|\||[.\[\]()*,!<>]))"
)
UNTRUSTED_FIELDS = frozenset({
    "title", "body", "head_ref", "label", "message", "name", "email", "default_branch", "page_name",
    "head_branch", "description", "ref", "text", "login", "homepage", "head_commit", "commits", "pages",
})
"""Last segments of `github.event.*` paths an outsider can set (after zizmor's template-injection list)."""
_SAFE_EVENT_PATHS = re.compile(r"^github\.event\.(\w+\.)*(number|id|sha|after|before|created_at|updated_at|"
                               r"run_id|run_number|run_attempt|merged|draft|state|action|forced|size)$")


def expressions(text: str) -> list[str]:
    """The bodies of every `${{ … }}` in `text`."""
    return [match.group(1) for match in _EXPRESSION.finditer(text or "")]


def _tokens(body: str) -> list[tuple[str, str]]:
    """(kind, text) tokens of one expression body; unknown characters are skipped."""
    out, at = [], 0
    while at < len(body):
        match = _TOKEN.match(body, at)
        if match is None or match.end() == at:
            at += 1
            continue
        kind = match.lastgroup or "op"
        out.append((kind, match.group(kind)))
        at = match.end()
    return out


def _access(tokens: list[tuple[str, str]], at: int) -> tuple[str | None, int]:
    """One `.name`, `.*`, `['name']` or `[*]` step at `at`: (segment, next index) or (None, at)."""
    if at + 1 < len(tokens) and tokens[at] == ("op", ".") and tokens[at + 1][0] in ("name", "op"):
        return tokens[at + 1][1].lower(), at + 2
    if at + 2 < len(tokens) and tokens[at] == ("op", "[") and tokens[at + 2] == ("op", "]"):
        kind, text = tokens[at + 1]
        if kind == "str":
            return text[1:-1].replace("''", "'").lower(), at + 3
        if text == "*" or kind == "num":
            return "*", at + 3
        return "?", at + 3
    return None, at


def paths(body: str) -> Iterator[str]:
    """Every context path read in one expression body, lower-cased: `github.event.issue.title`."""
    tokens, at = _tokens(body), 0
    while at < len(tokens):
        kind, text = tokens[at]
        called = at + 1 < len(tokens) and tokens[at + 1] == ("op", "(")
        follows_dot = at > 0 and tokens[at - 1] == ("op", ".")
        if kind != "name" or called or follows_dot or text in ("true", "false", "null"):
            at += 1
            continue
        segments, at = [text.lower()], at + 1
        while True:
            segment, at = _access(tokens, at)
            if segment is None:
                break
            segments.append(segment)
        yield ".".join(segments)


def context_paths(text: str) -> list[str]:
    """Every context path read by the expressions in `text`."""
    return [path for body in expressions(text) for path in paths(body)]


def is_secret(path: str) -> bool:
    """A secret or the job's token: `secrets.*` (the whole `secrets` too), `github.token`."""
    return path == "secrets" or path.startswith("secrets.") or path == "github.token"


def is_untrusted(path: str) -> bool:
    """Text an outsider controls: `github.head_ref` and the free-text fields of `github.event`."""
    if path in ("github.head_ref", "github.event"):
        return True
    if not path.startswith("github.event."):
        return False
    if _SAFE_EVENT_PATHS.match(path):
        return False
    segments = set(path.split("."))
    return bool(segments & UNTRUSTED_FIELDS) or "?" in segments or path.endswith(".*")
