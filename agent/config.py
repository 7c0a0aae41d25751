"""Where the agent keeps its state and finds its shipped knowledge."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from agent import PROJECT_ROOT
from agent.errors import ConfigError


def data_dir() -> Path:
    """The state directory: $AGENT_HOME, else ./.agent (created on first use)."""
    path = Path(os.environ.get("AGENT_HOME") or ".agent")
    return _ensure(path, "AGENT_HOME")


def db_path() -> Path:
    """The SQLite database the daemon, the CLI and the evals share."""
    return Path(os.environ.get("AGENT_DB") or data_dir() / "agent.db")


def shipped(name: str) -> Path:
    """Data shipped with the agent: inside the installed package (agent/_data, put there by setup.py's
    build), else the source checkout (an editable install or a clone)."""
    packaged = Path(str(resources.files("agent"))) / "_data" / name
    return packaged if packaged.exists() else PROJECT_ROOT / name


def guides_dir() -> Path:
    """The shipped troubleshooting guides and known-issue DB."""
    return Path(os.environ.get("AGENT_GUIDES") or shipped("guides"))


def known_issues_path() -> Path:
    return guides_dir() / "known-issues.yaml"


def policies_path() -> Path:
    """The policy in force: see agent.policy.lookup.policy_source for the lookup order."""
    from agent.policy.lookup import policy_source

    return policy_source()[0]


def default_policies_path() -> Path:
    """The default policy shipped with the agent (the last place the lookup tries)."""
    return shipped("policies.yaml")


def prompts_dir() -> Path:
    return shipped("prompts")


def cache_dir() -> Path:
    """Derived, disposable data (compiled pattern databases, validated DB digests): $AGENT_CACHE,
    else $XDG_CACHE_HOME/devops-agent, else ~/.cache/devops-agent; never the user's working tree."""
    root = os.environ.get("AGENT_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "devops-agent"
    return _ensure(Path(root), "AGENT_CACHE")


def prune_cache(folder: Path, pattern: str, keep: int, siblings: tuple[str, ...] = ()) -> None:
    """Delete all but the `keep` newest files of `folder` matching `pattern` (and each one's `siblings`
    suffixes, e.g. SQLite's `-wal`); OSError is the caller's to handle."""
    for stale in sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)[:-keep]:
        for part in (stale, *(stale.with_name(stale.name + end) for end in siblings)):
            part.unlink(missing_ok=True)


def _ensure(path: Path, setting: str) -> Path:
    """`path`, created if missing; a ConfigError naming the setting when it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{setting} {path}: cannot create it ({exc.strerror or exc})") from None
    return path
