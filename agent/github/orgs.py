"""An organisation's repositories as the credentials see them: a GitHub App installation's repositories, or
(with a token) the organisation's repository list. Archived and disabled repositories are left out."""

from __future__ import annotations

from typing import Any

from agent.github.auth import InstallationToken

MAX_REPOSITORIES = 5000


def organisation_repositories(gh: Any, org: str) -> list[str]:
    """Full names of `org`'s active repositories the client can reach, sorted case-insensitively."""
    if isinstance(gh.tokens, InstallationToken):
        found = gh._paginate("/installation/repositories", key="repositories", limit=MAX_REPOSITORIES)
    else:
        found = gh._paginate(f"/orgs/{org}/repos", {"type": "all"}, limit=MAX_REPOSITORIES)
    names = {repo["full_name"] for repo in found
             if str((repo.get("owner") or {}).get("login") or repo["full_name"].split("/")[0]).lower() == org.lower()
             and not repo.get("archived") and not repo.get("disabled")}
    return sorted(names, key=str.lower)
