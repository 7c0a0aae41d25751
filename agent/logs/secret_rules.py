"""The secret classes of faults.md as RE2 rules: pattern, secret group, plausibility check, needles.

Specific token formats come first; the contextual classes (URL credentials, Authorization headers,
keyword = value) come last and skip values that are already placeholders, masked (`***`) or
references (`${{ secrets.X }}`, `$VAR`), which is what makes redaction idempotent.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

PLACEHOLDER_PREFIX = "[REDACTED:"
PLACEHOLDER_PATTERN = r"\[REDACTED:[a-z0-9-]+#[0-9a-f]{4}\]"
"""What a placeholder looks like (RE2/`re` syntax); signature normalisation masks it."""

_GITHUB_KINDS = {
    "p": "github-pat",
    "o": "github-oauth",
    "u": "github-user-token",
    "s": "github-app-token",
    "r": "github-refresh-token",
}


@dataclass(frozen=True)
class Rule:
    """One secret class: a pattern, the group holding the secret, and an optional check."""

    kind: str
    pattern: str
    group: int = 0
    check: Callable[[str], bool] | None = None
    kind_of: Callable[[str], str] | None = None
    needles: tuple[str, ...] = ()
    """Literals one of which every match contains (lowercase when `fold`): a cheap skip, not a filter."""
    fold: bool = False


def shannon_entropy(value: str) -> float:
    """Bits per character of `value` (0 for empty)."""
    if not value:
        return 0.0
    counts, size = Counter(value), len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def is_reference_or_masked(value: str) -> bool:
    """A placeholder, an already-masked `***`, or a `${VAR}`/`%VAR%`/`<...>` reference."""
    return (
        PLACEHOLDER_PREFIX in value
        or set(value) <= {"*", "x", "X"}
        or value[:1] in ("$", "%", "<", "{")
        or value.startswith("***")
    )


def looks_secret(value: str) -> bool:
    """The generic classes' entropy gate: long enough, not a reference, not a plain word."""
    if len(value) < 8 or is_reference_or_masked(value):
        return False
    mixed = any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
    return mixed or shannon_entropy(value) >= 2.5


def _aws_secret_check(value: str) -> bool:
    lower_upper = any(c.islower() for c in value) and any(c.isupper() for c in value)
    return lower_upper and shannon_entropy(value) >= 4.0


def _openai_check(value: str) -> bool:
    body = value.removeprefix("sk-").removeprefix("proj-")
    return (
        any(c.isdigit() for c in body) and any(c.isupper() for c in body) and not is_reference_or_masked(body)
    )


def _authorization_check(value: str) -> bool:
    return not is_reference_or_masked(value) and value.lower() not in ("bearer", "basic", "token", "digest")


def _not_placeholder(value: str) -> bool:
    return not is_reference_or_masked(value)


_PEM_HEAD = r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"

RULES: tuple[Rule, ...] = (
    Rule(
        "private-key",
        _PEM_HEAD + r"[\s\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----",
        needles=("PRIVATE KEY",),
    ),
    # A block cut off by truncation: redact the header and the base64 body that follows it.
    Rule("private-key", _PEM_HEAD + r"[A-Za-z0-9+/=\s\\]*", needles=("PRIVATE KEY",)),
    Rule("jwt", r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*", needles=("eyJ",)),
    Rule("github-fine-grained-pat", r"github_pat_[A-Za-z0-9_]{22,}", needles=("github_pat_",)),
    Rule(
        "github-token",
        r"gh([pousr])_[A-Za-z0-9]{36,}",
        kind_of=lambda secret: _GITHUB_KINDS[secret[2]],
        needles=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    Rule("anthropic-key", r"sk-ant-[A-Za-z0-9_-]{20,}", needles=("sk-ant-",)),
    Rule(
        "openai-key",
        r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
        check=_openai_check,
        needles=("sk-",),
    ),
    Rule("google-api-key", r"AIza[0-9A-Za-z_-]{35}", needles=("AIza",)),
    Rule("gitlab-token", r"glpat-[0-9A-Za-z_-]{20,}", needles=("glpat-",)),
    Rule("stripe-key", r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}", needles=("k_live_", "k_test_")),
    Rule(
        "slack-webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]{8,})",
        1,
        needles=("hooks.slack.com/",),
    ),
    Rule("slack-token", r"(?:xox[abeoprs]|xapp)-[0-9A-Za-z-]{10,}", needles=("xox", "xapp-")),
    Rule("npm-token", r"npm_[A-Za-z0-9]{36,}", needles=("npm_",)),
    Rule("pypi-token", r"pypi-Ag[A-Za-z0-9_-]{50,}", needles=("pypi-Ag",)),
    Rule(
        "aws-access-key-id",
        r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b",
        needles=("A3T", "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA"),
    ),
    Rule(
        "aws-secret-key",
        r"(?i)(?:aws|secret)[A-Za-z0-9_. -]{0,30}?[\"']?(?:[ \t]*[:=]>?[ \t]*|[ \t]+)[\"']?"
        r"([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)",
        1,
        check=_aws_secret_check,
        needles=("aws", "secret"),
        fold=True,
    ),
    Rule(
        "url-credential", r"://[^/\s:@\"'<>]*:([^@\s/\"'<>]+)@", 1, check=_not_placeholder, needles=("://",)
    ),
    Rule("docker-auth", r"(?i)\"(?:auth|identitytoken|registrytoken)\"[ \t]*:[ \t]*\"([A-Za-z0-9+/=_.-]{8,})\"", 1,
         check=_not_placeholder, needles=('"auth"', '"identitytoken"', '"registrytoken"'), fold=True),
    Rule("azure-storage-key", r"(?i)(?:AccountKey|SharedAccessKey|SharedAccessSignature)[ \t]*=[ \t]*"
         r"([A-Za-z0-9+/=%]{16,})", 1, check=_not_placeholder,
         needles=("accountkey", "sharedaccesskey", "sharedaccesssignature"), fold=True),
    Rule("cli-password", r"(?i)\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mongo|mongosh|sshpass)\b"
         r"[^\n]{0,200}?[ \t](?-i:-p)[ \t]?([^\s\"'`-][^\s\"'`]{2,})", 1, check=_not_placeholder,
         needles=("mysql", "mariadb", "mongo", "sshpass"), fold=True),
    Rule(
        "authorization",
        r"(?i)\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:(?:bearer|basic|token|digest|bot)[ \t]+)?"
        r"([^\s\"',;]{4,})",
        1,
        check=_authorization_check,
        needles=("authorization",),
        fold=True,
    ),
    Rule(
        "generic-secret",
        r"(?i)(?:passw(?:or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key|credentials?)"
        r"[A-Za-z0-9_-]{0,30}[\"']?[ \t]*[:=][ \t]*[\"']?([^\s\"'`=][^\s\"'`]{7,})",
        1,
        check=looks_secret,
        needles=("passw", "passphrase", "secret", "token", "api", "access", "credential"),
        fold=True,
    ),
)
"""Applied in order: specific formats first, so the generic classes see their placeholders and skip."""
