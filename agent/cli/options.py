"""Arguments several commands share (--repo, run id, --github-url, GitHub credentials), checked the same way everywhere."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agent.errors import BadInput

GITHUB_COM = "https://api.github.com"
GITHUB_URL_HELP = "REST API root (default: $GITHUB_API_URL, else https://api.github.com)"
POLICIES_HELP = ("policies file (default: $AGENT_POLICIES, ./policies.yaml, $AGENT_HOME/policies.yaml, "
                 "then the packaged default)")
TOKEN_HELP = "GitHub token (default $GITHUB_TOKEN; without one, the GitHub App in $AGENT_APP_*)"
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


APP_ENV = ("AGENT_APP_ID", "AGENT_APP_PRIVATE_KEY_FILE", "AGENT_APP_INSTALLATION_ID")
"""The GitHub App's credentials (AGENT_APP_PRIVATE_KEY may hold the PEM text instead of the file)."""
NO_CREDENTIALS = ("no GitHub token: pass --token or set GITHUB_TOKEN, or set AGENT_APP_ID, "
                  "AGENT_APP_PRIVATE_KEY_FILE and AGENT_APP_INSTALLATION_ID for a GitHub App")


def github_token(token: str | None) -> str:
    """--token, else $GITHUB_TOKEN (else $GH_TOKEN); BadInput when none is set."""
    secret = token or os.environ.get("GITHUB_TOKEN", "") or os.environ.get("GH_TOKEN", "")
    if not secret:
        raise BadInput(NO_CREDENTIALS)
    return secret


def github_auth(token: str | None) -> dict[str, Any]:
    """GitHub() credentials: --token or $GITHUB_TOKEN, else the App from AGENT_APP_*; BadInput when neither."""
    if token or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN"):
        return {"token": github_token(token)}
    present = {name: bool(os.environ.get(name, "").strip()) for name in APP_ENV}
    present["AGENT_APP_PRIVATE_KEY_FILE"] |= bool(os.environ.get("AGENT_APP_PRIVATE_KEY", "").strip())
    if not any(present.values()):
        raise BadInput(NO_CREDENTIALS)
    missing = [name for name, found in present.items() if not found]
    if missing:
        raise BadInput(f"GitHub App credentials incomplete: set {' and '.join(missing)} (or use a token)")
    return {"app_id": _app_number("AGENT_APP_ID"), "private_key": app_private_key(),
            "installation_id": _app_number("AGENT_APP_INSTALLATION_ID")}


def _app_number(name: str) -> int:
    value = os.environ.get(name, "").strip()
    if not value.isdigit() or int(value) <= 0:
        raise BadInput(f"{name} {value!r}: expected a positive number")
    return int(value)


def app_private_key() -> str:
    """The App's RSA private key (PEM) from AGENT_APP_PRIVATE_KEY_FILE, else AGENT_APP_PRIVATE_KEY; checked now."""
    path = os.environ.get("AGENT_APP_PRIVATE_KEY_FILE", "").strip()
    source = f"AGENT_APP_PRIVATE_KEY_FILE {path}" if path else "AGENT_APP_PRIVATE_KEY"
    if path:
        try:
            pem = Path(path).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a text file"
            raise BadInput(f"{source}: cannot read the private key ({reason})") from None
    else:
        pem = os.environ.get("AGENT_APP_PRIVATE_KEY", "").replace("\\n", "\n")
    return _checked_pem(pem.strip() + "\n", source)


def _checked_pem(pem: str, source: str) -> str:
    """`pem` when it is an RSA private key GitHub can verify (RS256); BadInput otherwise."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        raise BadInput(f"{source}: not a PEM private key (expected the App's unencrypted RSA key)") from None
    except Exception:  # noqa: BLE001 - cryptography raises UnsupportedAlgorithm and friends
        raise BadInput(f"{source}: not a usable PEM private key") from None
    if not isinstance(key, RSAPrivateKey):
        raise BadInput(f"{source}: the key is not RSA (GitHub Apps sign with RS256)")
    return pem


def github_client(url: str, token: str | None, **options: Any) -> Any:
    """The configured agent.github.GitHub for `url`: token auth when given/set, else the GitHub App."""
    from agent.github import GitHub

    return GitHub(base_url=url, **github_auth(token), **options)


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
