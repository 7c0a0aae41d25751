"""Credentials: a fixed token, or a GitHub App installation token minted from an RS256 JWT."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import github.Auth
import jwt
import requests

from agent.github.errors import AuthError, GitHubError
from agent.github.retry import Retrier
from agent.github.transport import check_response

JWT_BACKDATE_SECONDS = 60
"""GitHub: set iat 60 s in the past to allow for clock drift."""
JWT_LIFETIME_SECONDS = 540
"""GitHub caps a JWT at 10 minutes; stay under it."""
REFRESH_MARGIN_SECONDS = 300.0
"""Mint a new installation token this long before `expires_at`."""
MIN_TOKEN_USE_SECONDS = 30.0
"""Use a token at least this long (a skewed clock must not mint one per request; a 401 still refreshes)."""


def app_jwt(app_id: int | str, private_key_pem: str | bytes, now: float | None = None) -> str:
    """An RS256 JWT that authenticates as the GitHub App itself (iss = app id)."""
    issued = int(time.time() if now is None else now)
    claims = {"iat": issued - JWT_BACKDATE_SECONDS, "exp": issued + JWT_LIFETIME_SECONDS, "iss": str(app_id)}
    return jwt.encode(claims, private_key_pem, algorithm="RS256")


class TokenSource(Protocol):
    """Where the Authorization token comes from."""

    def token(self) -> str: ...

    def refresh(self) -> bool: ...


class StaticToken:
    """A personal access token or any fixed token: nothing to refresh, so a 401 is final."""

    def __init__(self, token: str):
        self._token = token

    def token(self) -> str:
        """The fixed token."""
        return self._token

    def refresh(self) -> bool:
        """A fixed token cannot be refreshed."""
        return False


class InstallationToken:
    """A GitHub App installation token, minted on first use and again before it expires."""

    def __init__(self, base_url: str, app_id: int | str, private_key: str | bytes, installation_id: int,
                 retrier: Retrier, session: requests.Session | None = None, timeout: float = 15.0,
                 clock: Callable[[], float] = time.time, refresh_margin: float = REFRESH_MARGIN_SECONDS):
        self.base_url, self.app_id, self.installation_id = base_url.rstrip("/"), app_id, installation_id
        self._key, self._retrier, self._timeout = private_key, retrier, timeout
        self._session = session or requests.Session()
        self._clock, self._margin = clock, refresh_margin
        self._lock = threading.Lock()
        self._token: str | None = None
        self.expires_at = self.stale_at = 0.0
        self.minted = 0
        """How many tokens this source has minted."""

    def token(self) -> str:
        """The current token, minted anew when missing or within the margin of `expires_at`."""
        with self._lock:
            if self._token is None or self._clock() >= self.stale_at:
                self._mint()
            return self._token  # type: ignore[return-value]

    def refresh(self) -> bool:
        """Mint a new token now (after a 401)."""
        with self._lock:
            self._mint()
        return True

    def _mint(self) -> None:
        path = f"/app/installations/{self.installation_id}/access_tokens"
        try:
            resp = self._retrier.run(lambda: self._post(path), f"POST {path}", idempotent=True)
        except AuthError as exc:
            raise AuthError(f"GitHub rejected the App JWT (app_id {self.app_id}): check the app id, the "
                            f"private key and the clock ({exc})", 401) from exc
        data = resp.json()
        server_now = parse_http_date(resp.headers.get("date")) or self._clock()
        lifetime = parse_expires_at(data.get("expires_at"), server_now) - server_now
        self._token, self.expires_at = data["token"], self._clock() + lifetime
        self.stale_at = self._clock() + refresh_after(lifetime, self._margin)
        self.minted += 1

    def _post(self, path: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {app_jwt(self.app_id, self._key)}",
                   "Accept": "application/vnd.github+json"}
        return check_response(self._session.post(self.base_url + path, headers=headers, timeout=self._timeout))


def refresh_after(lifetime: float, margin: float) -> float:
    """Seconds to use a token living `lifetime`: until `margin` before expiry (half a short life; ≥ 30 s)."""
    use = lifetime - margin if lifetime > 2 * margin else lifetime / 2
    return max(MIN_TOKEN_USE_SECONDS, use)


def parse_expires_at(value: str | None, now: float) -> float:
    """Epoch seconds of GitHub's ISO 8601 `expires_at` (one hour from now when absent)."""
    if not value:
        return now + 3600
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError as exc:
        raise GitHubError(f"GitHub returned an unreadable token expiry: {value!r}") from exc


def parse_http_date(value: str | None) -> float | None:
    """Epoch seconds of an HTTP Date header, or None."""
    try:
        return parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError):
        return None


class SourceAuth(github.Auth.Auth):
    """PyGithub auth that asks a TokenSource for the token on every request."""

    def __init__(self, source: TokenSource):
        self._source = source

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._source.token()

    @property
    def _masked_token(self) -> str:
        return "token (removed)"
