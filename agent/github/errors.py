"""GitHub failures as typed one-line errors, and the rule that maps an HTTP answer to one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.errors import AgentError

WORKFLOW_PERMISSION_HINT = (
    "grant the GitHub App 'Workflows: read and write' (classic token: the 'workflow' scope) "
    "to change files under .github/workflows/"
)


class GitHubError(AgentError):
    """A GitHub call failed; the message is one line fit for the CLI."""

    status: int | None = None

    def __init__(self, message: str, status: int | None = None):
        super().__init__(one_line(message))
        self.status = status


class AuthError(GitHubError):
    """GitHub rejected the credentials (401), also after one token refresh."""


class NotFound(GitHubError):
    """The resource does not exist or is not visible to these credentials (404/410)."""


class PermissionDenied(GitHubError):
    """The credentials lack a permission (403 that is not a rate limit)."""


class WorkflowPermissionMissing(PermissionDenied):
    """A change under .github/workflows/ needs the `workflows` permission."""


class RateLimited(GitHubError):
    """Still rate limited after the retry budget; `retry_at` is when GitHub said to come back."""

    def __init__(self, message: str, status: int | None = None, retry_at: float | None = None):
        super().__init__(message, status)
        self.retry_at = retry_at


class Conflict(GitHubError):
    """The write conflicts with the current state (409/422/405): ref moved, already exists, not mergeable."""


class HeadMoved(Conflict):
    """The pull request head is not the SHA that was verified, so it was not merged."""


class ServerError(GitHubError):
    """GitHub answered 5xx on every attempt."""


class NetworkError(GitHubError):
    """The connection failed on every attempt of a read."""


class WriteUncertain(GitHubError):
    """A write lost its answer (dropped connection or 5xx): it may have been applied; reconcile first."""


class LogTooLarge(GitHubError):
    """A log archive is larger than the byte cap."""


@dataclass
class Failure:
    """One non-2xx answer (status None: the connection dropped before an answer)."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""
    reason: str = ""
    """For a failed connection: a few words (`connection refused`, `cannot resolve host`, `timed out`)."""
    origin: str = ""
    """For a failed connection: the scheme://host:port that could not be reached."""
    never_sent: bool = False
    """True when the connection was never made (refused, unresolvable): a write cannot have been applied."""

    def header(self, name: str) -> str | None:
        """A response header by case-insensitive name."""
        return next((v for k, v in self.headers.items() if k.lower() == name), None)


class HttpFailure(Exception):
    """Raised inside one attempt so the retry loop can decide; never leaves agent.github."""

    def __init__(self, failure: Failure):
        super().__init__(f"{failure.status} {failure.message}")
        self.failure = failure


_SECONDARY = re.compile(r"secondary rate limit|abuse detection|retry your request again later", re.IGNORECASE)
_PRIMARY = re.compile(r"api rate limit exceeded", re.IGNORECASE)
_WORKFLOWS = re.compile(r"without .?workflows?.? (permission|scope)", re.IGNORECASE)
_INTEGRATION = "resource not accessible by integration"


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace and clip, so a message fits one CLI line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_rate_limit(failure: Failure) -> bool:
    """403/429 that GitHub means as a rate limit (headers or message), not a permission."""
    if failure.status not in (403, 429):
        return False
    if failure.status == 429 or failure.header("retry-after") is not None:
        return True
    if failure.header("x-ratelimit-remaining") == "0":
        return True
    return bool(_SECONDARY.search(failure.message) or _PRIMARY.search(failure.message))


def is_secondary_limit(failure: Failure) -> bool:
    """True for GitHub's secondary (abuse) limit message."""
    return bool(_SECONDARY.search(failure.message))


def classify(failure: Failure, what: str, retry_at: float | None = None) -> GitHubError:
    """Map a final failure of `what` (e.g. 'POST /repos/o/r/pulls') to a typed error."""
    status, msg = failure.status, failure.message or "no message"
    if status is None:
        return NetworkError(unreachable_message(failure, what))
    if status == 401:
        return AuthError(f"GitHub rejected the credentials (401) for {what}: {msg}", status)
    if is_rate_limit(failure):
        return RateLimited(f"GitHub rate limit ({status}) for {what} outlasted the retry budget: {msg}",
                           status, retry_at)
    if status == 403:
        return _permission_error(msg, what)
    if status in (404, 410):
        return NotFound(f"GitHub: not found ({status}) for {what}: {msg}", status)
    if status in (405, 409, 422):
        return Conflict(f"GitHub refused {what} ({status}): {msg}", status)
    if status >= 500:
        return ServerError(f"GitHub server error ({status}) for {what}: {msg}", status)
    return GitHubError(f"GitHub answered {status} for {what}: {msg}", status)


def unreachable_message(failure: Failure, what: str) -> str:
    """`cannot reach GitHub at http://host:port (connection refused) for GET /path`."""
    where = f" at {failure.origin}" if failure.origin else ""
    return f"cannot reach GitHub{where} ({failure.reason or failure.message or 'no answer'}) for {what}"


def _permission_error(msg: str, what: str) -> PermissionDenied:
    if _WORKFLOWS.search(msg):
        return WorkflowPermissionMissing(
            f"missing workflows permission for {what}: {WORKFLOW_PERMISSION_HINT} ({msg})", 403)
    if _INTEGRATION in msg.lower():
        return PermissionDenied(
            f"the GitHub App installation lacks a permission for {what} (Resource not accessible by "
            f"integration): add it in the App's permissions and accept it on the installation", 403)
    return PermissionDenied(f"GitHub denied {what} (403): {msg}", 403)
