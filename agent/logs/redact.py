"""Secret redaction before any LLM call, SQLite write or GitHub write (faults.md, fault #12).

Every match becomes `[REDACTED:<kind>#<4 hex of sha256(secret)>]`, so the same secret correlates
across lines and runs without being readable. All patterns are RE2 (linear time, no backtracking),
so a hostile 10 MB line cannot stall the agent. Placeholders are never re-redacted, so redacting
twice changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from typing import Any

import re2

from agent.logs import maintained_rules
from agent.logs.secret_rules import (
    PLACEHOLDER_PATTERN,
    PLACEHOLDER_PREFIX,
    RULES,
    Rule,
    is_reference_or_masked,
    looks_secret,
)

__all__ = [
    "PLACEHOLDER_PATTERN",
    "PLACEHOLDER_PREFIX",
    "RULES",
    "Redactor",
    "looks_secret",
    "placeholder",
    "redact",
    "redact_obj",
    "register_secret",
]

ENV_SECRET_NAMES = (
    "ANTHROPIC_API_KEY",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "AGENT_WEBHOOK_SECRET",
    "GITHUB_WEBHOOK_SECRET",
    "OPENAI_API_KEY",
    "SLACK_BOT_TOKEN",
    "SLACK_WEBHOOK_URL",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_APP_PRIVATE_KEY",
    "AGENT_GITHUB_APP_PRIVATE_KEY",
)
"""Environment variables whose values are always redacted as literals when set."""

_ENV_SECRET_SUFFIXES = ("TOKEN", "SECRET", "API_KEY", "PASSWORD", "PASSWD", "PRIVATE_KEY")
_SECRET_KEY_NAME = re2.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|private[_-]?key|authorization|credentials?)$"
)
MIN_LITERAL_LENGTH = 8
"""Shorter known values (e.g. a test token "x") are not redacted as literals: too many collisions."""


def placeholder(kind: str, secret: str) -> str:
    """`[REDACTED:<kind>#<4 hex>]` for `secret`; the same secret always gives the same hash."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:4]
    return f"{PLACEHOLDER_PREFIX}{kind}#{digest}]"


@functools.lru_cache(maxsize=1024)
def _is_secret_env_name(name: str) -> bool:
    return name in ENV_SECRET_NAMES or name.upper().endswith(_ENV_SECRET_SUFFIXES)


def _kind_slug(kind: str) -> str:
    """A kind as placeholders spell it: lowercase letters, digits and dashes."""
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in kind.lower()) or "secret"


def _sanitize(text: str) -> str:
    """Replace lone surrogates (from surrogateescape decoding) so RE2 can take UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class _CompiledRule:
    def __init__(self, rule: Rule):
        self.rule = rule
        self.regex = re2.compile(rule.pattern)
        self.needles = tuple(needle.encode("utf-8") for needle in rule.needles)

    def may_match(self, data: bytes, folded: bytes) -> bool:
        """False only when no needle occurs, so the pattern cannot match (a memchr-speed skip)."""
        haystack = folded if self.rule.fold else data
        return not self.needles or any(needle in haystack for needle in self.needles)

    def apply(self, data: bytes) -> tuple[bytes, int]:
        """Substitute every accepted match in UTF-8 `data`; returns it and how many were replaced."""
        count = 0

        def replace(match) -> bytes:
            nonlocal count
            whole, secret = match.group(0), match.group(self.rule.group).decode("utf-8")
            if self.rule.check and not self.rule.check(secret):
                return whole
            count += 1
            kind = self.rule.kind_of(secret) if self.rule.kind_of else self.rule.kind
            start, end = (
                match.start(self.rule.group) - match.start(),
                match.end(self.rule.group) - match.start(),
            )
            return whole[:start] + placeholder(kind, secret).encode("utf-8") + whole[end:]

        return self.regex.sub(replace, data), count


_COMPILED = tuple(_CompiledRule(rule) for rule in RULES)


class Redactor:
    """Redacts the pattern classes plus literal secrets: registered ones and known env variables."""

    def __init__(self, use_env: bool = True, maintained: bool = True):
        self.use_env, self.maintained = use_env, maintained
        """maintained: also run detect-secrets' plugins on the lines its prefilter flags."""
        self._literals: dict[str, str] = {}
        self._lock = threading.Lock()
        self._literal_cache: tuple[frozenset, Any] = (frozenset(), None)

    def add_secret(self, value: str, kind: str = "known-secret") -> None:
        """Always redact this exact value (e.g. a token loaded from a file)."""
        if value and len(value) >= MIN_LITERAL_LENGTH:
            with self._lock:
                self._literals[value] = _kind_slug(kind)

    def known_secrets(self) -> dict[str, str]:
        """Literal value → kind: registered values plus the current secret env variables."""
        found = dict(self._literals)
        if self.use_env:
            for name, value in os.environ.items():
                if len(value) >= MIN_LITERAL_LENGTH and _is_secret_env_name(name):
                    found.setdefault(value, _kind_slug(name))
        return found

    def _literal_regex(self, secrets: dict[str, str]):
        key = frozenset(secrets.items())
        with self._lock:
            if self._literal_cache[0] != key:
                ordered = sorted(secrets, key=len, reverse=True)
                regex = re2.compile("|".join(re2.escape(_sanitize(v)) for v in ordered)) if ordered else None
                self._literal_cache = (key, regex)
            return self._literal_cache[1]

    def _redact_literals(self, data: bytes) -> tuple[bytes, int]:
        secrets = self.known_secrets()
        regex = self._literal_regex(secrets)
        if regex is None:
            return data, 0
        kinds = {_sanitize(value).encode("utf-8"): kind for value, kind in secrets.items()}
        return regex.subn(
            lambda m: placeholder(kinds[m.group(0)], m.group(0).decode("utf-8")).encode("utf-8"), data
        )

    def redact(self, text: str) -> tuple[str, int]:
        """Return `text` with every secret replaced by a typed placeholder, and how many there were."""
        if not text:
            return text, 0
        # One UTF-8 encoding for all passes: encoding per pass costs more than the RE2 scans.
        data, total = self._redact_literals(_sanitize(text).encode("utf-8"))
        folded = data.lower()
        for rule in _COMPILED:
            if rule.may_match(data, folded):
                data, count = rule.apply(data)
                total += count
        if self.maintained:
            data, count = maintained_rules.redact_flagged(data, placeholder)
            total += count
        return (data.decode("utf-8") if total else text), total

    def redact_obj(self, obj: Any) -> Any:
        """A copy of `obj` (dicts, lists, tuples, pydantic models) with every string redacted."""
        if isinstance(obj, str):
            return self.redact(obj)[0]
        if isinstance(obj, bytes):
            return self.redact(obj.decode("utf-8", "replace"))[0]
        if hasattr(obj, "model_dump"):
            return self.redact_obj(obj.model_dump(mode="json"))
        if isinstance(obj, dict):
            return {key: self._redact_item(key, value) for key, value in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.redact_obj(item) for item in obj)
        return obj

    def _redact_item(self, key: Any, value: Any) -> Any:
        """A value under a secret-looking key (`password`, `GITHUB_TOKEN`) is redacted whole."""
        if isinstance(value, str) and isinstance(key, str) and _SECRET_KEY_NAME.search(key):
            cleaned = self.redact(value)[0]
            if cleaned == value and len(value) >= MIN_LITERAL_LENGTH and not is_reference_or_masked(value):
                return placeholder("generic-secret", value)
            return cleaned
        return self.redact_obj(value)


DEFAULT = Redactor()
"""The process-wide redactor every module uses."""


def redact(text: str) -> tuple[str, int]:
    """Redact every known secret class in `text`; returns (redacted text, number of redactions)."""
    return DEFAULT.redact(text)


def redact_obj(obj: Any) -> Any:
    """Recursively redact every string in dicts/lists/tuples/pydantic models (before SQLite/GitHub)."""
    return DEFAULT.redact_obj(obj)


def register_secret(value: str, kind: str = "known-secret") -> None:
    """Add a literal secret the process knows (a token read from a file, an App private key)."""
    DEFAULT.add_secret(value, kind)
