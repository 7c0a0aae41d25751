"""Run-log zips and job logs: ask GitHub for the redirect, then stream the signed URL without the token."""

from __future__ import annotations

from urllib.parse import urljoin

import requests

from agent.github.auth import TokenSource
from agent.github.errors import GitHubError, LogTooLarge
from agent.github.retry import Retrier
from agent.github.transport import check_response

CHUNK_BYTES = 64 * 1024
DEFAULT_ZIP_CAP = 512 * 1024 * 1024
DEFAULT_JOB_LOG_CAP = 32 * 1024 * 1024


class LogBytes(bytes):
    """Downloaded log bytes; `truncated_bytes` counts the bytes dropped from the front (job logs)."""

    truncated_bytes: int = 0


class SignedUrlRejected(Exception):
    """The signed download URL answered 4xx (expired); a fresh redirect is needed."""


class LogFetcher:
    """Downloads logs through GitHub's 302: the API request carries the token, the signed URL never does."""

    def __init__(self, base_url: str, tokens: TokenSource, retrier: Retrier, timeout: float = 30.0,
                 user_agent: str = "devops-agent"):
        self.base_url, self._tokens, self._retrier = base_url.rstrip("/"), tokens, retrier
        self._timeout, self._user_agent = timeout, user_agent
        self._api = requests.Session()
        self._blob = requests.Session()
        self._api.trust_env = self._blob.trust_env = False  # no .netrc credentials, no proxies from env

    def run_logs(self, full_name: str, run_id: int, attempt: int | None, max_bytes: int) -> LogBytes:
        """The run's log zip; raises LogTooLarge past `max_bytes` (a cut zip is unreadable)."""
        tail = f"/attempts/{attempt}/logs" if attempt else "/logs"
        return self._fetch(f"/repos/{full_name}/actions/runs/{run_id}{tail}", max_bytes, keep_tail=False)

    def job_log(self, full_name: str, job_id: int, max_bytes: int) -> LogBytes:
        """One job's plain-text log; past `max_bytes` only the tail is kept, after a marker line."""
        return self._fetch(f"/repos/{full_name}/actions/jobs/{job_id}/logs", max_bytes, keep_tail=True)

    def _fetch(self, path: str, max_bytes: int, keep_tail: bool) -> LogBytes:
        for round_ in (1, 2):
            target = self._retrier.run(lambda: self._ask(path), f"GET {path}", idempotent=True,
                                       reauth=self._tokens.refresh)
            if isinstance(target, requests.Response):
                return read_capped(target, max_bytes, keep_tail, path)
            try:
                return self._retrier.run(lambda url=target: self._download(url, max_bytes, keep_tail, path),
                                         f"GET signed log URL of {path}", idempotent=True)
            except SignedUrlRejected as exc:
                if round_ == 2:
                    raise GitHubError(f"the signed log URL for {path} was rejected again after a fresh "
                                      f"redirect ({exc})") from exc
        raise AssertionError("unreachable")

    def _ask(self, path: str) -> str | requests.Response:
        """The signed URL from GitHub's redirect (or the response itself when GitHub answers 200)."""
        headers = {"Authorization": f"token {self._tokens.token()}", "User-Agent": self._user_agent,
                   "Accept": "application/vnd.github+json"}
        resp = check_response(self._api.get(self.base_url + path, headers=headers, allow_redirects=False,
                                             stream=True, timeout=self._timeout))
        if resp.is_redirect and resp.headers.get("location"):
            resp.close()
            return urljoin(self.base_url + path, resp.headers["location"])
        return resp

    def _download(self, url: str, max_bytes: int, keep_tail: bool, path: str) -> LogBytes:
        return read_capped(self._open_signed(url), max_bytes, keep_tail, path)

    def _open_signed(self, url: str) -> requests.Response:
        resp = self._blob.get(url, headers={"User-Agent": self._user_agent}, stream=True,
                              allow_redirects=False, timeout=self._timeout)
        if 400 <= resp.status_code < 500:
            resp.close()
            raise SignedUrlRejected(f"HTTP {resp.status_code}")
        return check_response(resp)


def read_capped(resp: requests.Response, max_bytes: int, keep_tail: bool, what: str) -> LogBytes:
    """Stream a body with bounded memory: error past the cap, or keep only the last `max_bytes`."""
    with resp:
        declared = int(resp.headers.get("content-length") or 0)
        if not keep_tail and declared > max_bytes:
            raise _too_large(what, max_bytes, declared)
        buf, dropped = bytearray(), 0
        for chunk in resp.iter_content(CHUNK_BYTES):
            buf += chunk
            if len(buf) > max_bytes:
                if not keep_tail:
                    raise _too_large(what, max_bytes, None)
                dropped += len(buf) - max_bytes
                del buf[: len(buf) - max_bytes]
    if not dropped:
        return LogBytes(bytes(buf))
    out = LogBytes(f"[truncated {dropped} bytes]\n".encode() + bytes(buf))
    out.truncated_bytes = dropped
    return out


def _too_large(what: str, max_bytes: int, declared: int | None) -> LogTooLarge:
    size = f"{declared} bytes" if declared else "more"
    return LogTooLarge(f"log archive {what} is {size}, over the cap of {max_bytes} bytes; raise max_bytes "
                       f"or download single job logs (which keep the tail)")
