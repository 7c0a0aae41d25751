"""A maintained secret rule set beside ours: Yelp's detect-secrets plugins, run on the lines a cheap
prefilter flags (their regexes are Python `re`, so they only ever see short, suspicious lines)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import re2

from agent.logs.secret_rules import is_reference_or_masked, looks_secret

NEEDLES = (b"passw", b"secret", b"token", b"api_key", b"apikey", b"api-key", b"credential", b"accountkey",
           b"private key", b"xox", b"xapp", b"akia", b"asia", b"eyj", b"-----begin")
"""Lower-case literals one of which a line must hold before the plugins look at it."""
KEYWORD_NEEDLES = NEEDLES[:8]
"""Words that only matter when a value follows them (`token=…`, `password: "…"`, `secret is '…'`): gcc's
"before '}' token" must not wake the plugins (importing them costs ~0.2 s)."""
SHAPE_NEEDLES = (rb"(?i)private key", rb"xox[baprs]-", rb"xapp-", rb"(?:AKIA|ASIA)[A-Z0-9]{16}",
                 rb"eyJ[A-Za-z0-9_-]{10,}", rb"-----BEGIN")
"""Values recognisable by their own shape, wherever they stand."""
KEYWORDS = (b"secret", b"token", b"passw", b"pwd", b"auth", b"credential", b"api_key", b"apikey", b"private")
"""Lines where a high-entropy quoted string is taken as a secret (elsewhere it is a hash or a cache key)."""
MAX_LINE = 4096
"""Longer lines are left to our RE2 rules (linear time); the plugins' regexes are not."""


@functools.lru_cache(maxsize=1)
def plugins() -> tuple[tuple[str, object], ...]:
    """(kind, plugin) for the AWS, Azure, Slack, basic-auth, private-key, JWT and keyword detectors."""
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.basic_auth import BasicAuthDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.keyword import KeywordDetector
    from detect_secrets.plugins.private_key import PrivateKeyDetector
    from detect_secrets.plugins.slack import SlackDetector

    return (("aws-key", AWSKeyDetector()), ("azure-storage-key", AzureStorageKeyDetector()),
            ("slack-token", SlackDetector()), ("url-credential", BasicAuthDetector()),
            ("private-key", PrivateKeyDetector()), ("jwt", JwtTokenDetector()),
            ("generic-secret", KeywordDetector()))


@functools.lru_cache(maxsize=1)
def entropy_plugin() -> object:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    return Base64HighEntropyString(limit=4.5)


_KEYWORD = b"(?i:" + b"|".join(re2.escape(needle) for needle in KEYWORD_NEEDLES) + b")"
_NEEDLE = re2.compile(_KEYWORD + rb"[^\n]{0,40}?(?:[:=]|\bis\s+[\x22\x27]|[\x22\x27]\s*[:=,])|"
                      + b"|".join(SHAPE_NEEDLES))


def flagged_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) byte offsets of the lines holding a needle, found in one RE2 pass."""
    spans: list[tuple[int, int]] = []
    at = 0
    while (match := _NEEDLE.search(data, at)) is not None:
        start = data.rfind(b"\n", 0, match.start()) + 1
        end = data.find(b"\n", match.end())
        end = len(data) if end < 0 else end
        if end - start <= MAX_LINE:
            spans.append((start, end))
        at = end + 1
    return spans


def findings(line: str) -> Iterator[tuple[str, str]]:
    """(kind, secret value) the plugins find in one line; verification (network) is never called."""
    for kind, plugin in plugins():
        for value in plugin.analyze_string(line):
            yield kind, value
    folded = line.lower().encode("utf-8", "replace")
    if any(word in folded for word in KEYWORDS):
        entropy = entropy_plugin()
        for value in entropy.analyze_string(line):  # analyze_string yields every quoted string: judge it here
            if random_looking(value, entropy) and not is_json_key(line, value):
                yield "high-entropy-secret", value


def random_looking(value: str, entropy: object) -> bool:
    """High Shannon entropy, or a long token mixing letters and digits (a short password's shape)."""
    if entropy.calculate_shannon_entropy(value) > entropy.entropy_limit:
        return True
    return len(value) >= 12 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value) \
        and not any(c.isspace() for c in value)


def is_json_key(line: str, value: str) -> bool:
    """Every occurrence of `value` is a quoted JSON key (`"value":`), a name rather than a secret."""
    return f'"{value}":' in line and line.count(f'"{value}":') == line.count(value)


def redact_line(line: str, placeholder: Callable[[str, str], str]) -> tuple[str, int]:
    """Replace what the plugins find in one line; placeholders and references are left alone."""
    total = 0
    for kind, value in sorted(set(findings(line)), key=lambda item: -len(item[1])):
        if len(value) < 6 or is_reference_or_masked(value) or value not in line:
            continue
        if kind in ("generic-secret", "high-entropy-secret") and not looks_secret(value):
            continue
        total += line.count(value)
        line = line.replace(value, placeholder(kind, value))
    return line, total


def redact_flagged(data: bytes, placeholder: Callable[[str, str], str]) -> tuple[bytes, int]:
    """UTF-8 `data` with the plugins' findings replaced on every flagged line; and how many."""
    out, at, total = [], 0, 0
    for start, end in flagged_spans(data):
        line, count = redact_line(data[start:end].decode("utf-8", "replace"), placeholder)
        if count:
            out += [data[at:start], line.encode("utf-8")]
            at, total = end, total + count
    return (b"".join(out) + data[at:] if total else data), total
