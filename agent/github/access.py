"""Who may steer the agent: an actor's trust in a repository, and the repository's labels."""

from __future__ import annotations

import time
from urllib.parse import quote

from agent.github.errors import NotFound, PermissionDenied

TRUSTED_PERMISSIONS = frozenset({"admin", "maintain", "write"})
"""Repository roles (and legacy `permission` values) that count as a collaborator's trust."""
ASSOCIATION_TTL = 3600.0
"""Seconds an actor's association is remembered, so a revoked collaborator loses trust within the hour."""


def association_from_permission(data: dict | None) -> str:
    """COLLABORATOR for admin/maintain/write (role_name or legacy permission), else NONE."""
    data = data or {}
    return "COLLABORATOR" if {data.get("role_name"), data.get("permission")} & TRUSTED_PERMISSIONS else "NONE"


class AccessMixin:
    """Actor trust and repository labels, on top of GitHub.request."""

    _associations: dict[tuple[str, str], tuple[float, str]]

    def actor_association(self, full_name: str, login: str) -> str:
        """OWNER for the repository's owner, COLLABORATOR with write access or more, else NONE (cached)."""
        key = (full_name.lower(), (login or "").lower())
        cached = self._associations.get(key)
        if cached is not None and time.monotonic() - cached[0] < ASSOCIATION_TTL:
            return cached[1]
        association, settled = self._lookup_association(full_name, login)
        if settled:
            self._associations[key] = (time.monotonic(), association)
        return association

    def _lookup_association(self, full_name: str, login: str) -> tuple[str, bool]:
        """(association, whether it is worth caching); a 403 is NONE now but asked again next time."""
        if not login:
            return "NONE", True
        if login.lower() == full_name.split("/", 1)[0].lower():
            return "OWNER", True
        path = f"/repos/{full_name}/collaborators/{quote(login, safe='')}/permission"
        try:
            return association_from_permission(self.request("GET", path)[2]), True
        except NotFound:
            return "NONE", True
        except PermissionDenied:
            return "NONE", False

    def repo_labels(self, full_name: str) -> list[str]:
        """The names of the labels defined on the repository."""
        return [label["name"] for label in self._paginate(f"/repos/{full_name}/labels") if label.get("name")]
