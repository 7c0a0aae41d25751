"""Arguments several commands share (--repo, run id, --github-url, --token), checked the same way everywhere."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from agent.errors import BadInput

GITHUB_COM = "https://api.github.com"
GITHUB_URL_HELP = "REST API root (default: $GITHUB_API_URL, else https://api.github.com)"
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")


def repo_name(repo: str | None, fallback_env: bool = True) -> str:
    """OWNER/NAME from --repo (else $GITHUB_REPOSITORY); BadInput when it is not that shape."""
    name = repo or (os.environ.get("GITHUB_REPOSITORY", "") if fallback_env else "")
    if not name:
        raise BadInput("give the repository as --repo OWNER/NAME (or set GITHUB_REPOSITORY)")
    if not _REPO.fullmatch(name) or name.split("/")[1] in (".", ".."):
        raise BadInput(f"--repo {name!r}: expected OWNER/NAME, e.g. octo-org/octo-repo")
    return name


def run_id_checked(run_id: int) -> int:
    """A workflow run id: a positive number."""
    if run_id <= 0:
        raise BadInput(f"run id must be a positive number, not {run_id}")
    return run_id


def github_api_url(url: str | None) -> str:
    """--github-url, else $GITHUB_API_URL, else api.github.com; BadInput unless it is an http(s) URL."""
    chosen = (url or os.environ.get("GITHUB_API_URL") or GITHUB_COM).strip()
    parts, source = urlsplit(chosen), "--github-url" if url else "GITHUB_API_URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{source} {chosen!r}: expected an http(s) URL such as {GITHUB_COM}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise BadInput(f"{source} {chosen!r}: the port must be a number from 1 to 65535") from None
    return chosen.rstrip("/")


def github_token(token: str | None) -> str:
    """--token, else $GITHUB_TOKEN; BadInput when neither is set."""
    secret = token or os.environ.get("GITHUB_TOKEN", "")
    if not secret:
        raise BadInput("no GitHub token: set GITHUB_TOKEN or pass --token")
    return secret


def check_writable(path: Path, flag: str) -> Path:
    """BadInput now, before any work, when `path` could not be written later (no directory, read-only, …)."""
    if path.is_dir():
        raise BadInput(f"{flag} {path}: is a directory, not a file")
    if not path.parent.is_dir():
        raise BadInput(f"{flag} {path}: the directory {path.parent} does not exist")
    try:
        if path.exists():
            with path.open("a", encoding="utf-8"):
                pass
        else:
            with tempfile.TemporaryFile(dir=path.parent):
                pass
    except OSError as exc:
        raise BadInput(f"{flag} {path}: cannot write there ({exc.strerror or exc})") from None
    return path
