"""Which policies file is in force: `--policies`, `$AGENT_POLICIES`, `./policies.yaml`,
`$AGENT_HOME/policies.yaml`, then the default shipped with the agent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agent.policy.schema import Policy, load_policy

LOOKUP_ORDER = ("--policies", "$AGENT_POLICIES", "./policies.yaml", "$AGENT_HOME/policies.yaml", "packaged default")
"""Where the policy is looked for, first found wins; a named file that is missing or states nothing is an error."""


def policy_source(explicit: str | Path | None = None) -> tuple[Path, str]:
    """(the policies file in force, which step of LOOKUP_ORDER found it)."""
    from agent.config import default_policies_path

    if explicit:
        return Path(explicit), "--policies"
    if os.environ.get("AGENT_POLICIES"):
        return Path(os.environ["AGENT_POLICIES"]), "$AGENT_POLICIES"
    local = Path("policies.yaml")
    if local.is_file():
        return local.resolve(), "./policies.yaml"
    home = Path(os.environ.get("AGENT_HOME") or ".agent") / "policies.yaml"
    if home.is_file():
        return home.resolve(), "$AGENT_HOME/policies.yaml"
    return default_policies_path(), "packaged default"


def load_configured_policy(explicit: str | Path | None = None, quiet: bool = False) -> Policy:
    """The policy in force, validated; unless `quiet`, one stderr line says which file (commands that write)."""
    path, found_by = policy_source(explicit)
    policy = load_policy(path)
    if not quiet:
        print(f"policy: {path} ({found_by})", file=sys.stderr)
    return policy
