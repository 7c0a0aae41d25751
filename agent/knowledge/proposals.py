"""Where learned entries go: `$AGENT_HOME/proposals/<id>.{yaml,json}`, merged into the deployment's DB by `agent kb accept`.

The DB shipped with the agent is the product's; what one deployment learns from its own repositories
is the deployment's. So a proposal is local: `<id>.yaml` (a one-entry DB, for `agent kb test --file`) and
`<id>.json` (the entry, its guide section, where it came from)
and `accept` appends it to the known-issue DB the agent loads (`$AGENT_GUIDES/known-issues.yaml`) and
the section to `$AGENT_GUIDES/learned.md`, after the loader validated the whole new DB. Nothing is
written to GitHub, so no gate decision is involved; the shipped DB is never written.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import yaml

from agent import config
from agent.errors import BadInput
from agent.knowledge.loader import parse_known_issues
from agent.knowledge.propose import Proposal

GUIDE_HEADER = "# Learned from human fixes\n\nSections added by `agent kb accept`, one per learned known issue.\n"


def proposals_dir() -> Path:
    """$AGENT_HOME/proposals (created on first use)."""
    path = config.data_dir() / "proposals"
    path.mkdir(parents=True, exist_ok=True)
    return path


class _BlockDumper(yaml.SafeDumper):
    """Safe YAML with multi-line strings (a diff in the notes) as literal `|` blocks."""


_BlockDumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def entry_block(entry: dict[str, Any]) -> str:
    """The entry as YAML list-item lines under `issues:` (two-space indent, keys in schema order)."""
    text = yaml.dump([entry], Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=110,
                     default_flow_style=False)
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(keepends=True))


def write_proposal(proposal: Proposal) -> Path:
    """Save `<id>.yaml` (a one-entry DB: `agent kb test ID --against-history --file` reads it) and `<id>.json`
    (the whole proposal: guide section, source); existing ones are replaced. → the YAML path."""
    folder = proposals_dir()
    path = folder / f"{proposal.id}.yaml"
    _atomic_write(folder / f"{proposal.id}.json", json.dumps(proposal.to_dict(), indent=2, ensure_ascii=False))
    _atomic_write(path, "version: 1\nissues:\n" + entry_block(proposal.entry))
    return path


def read_proposal(proposal_id: str) -> dict[str, Any]:
    """A saved proposal; BadInput when there is none by that id."""
    path = proposals_dir() / f"{proposal_id}.json"
    if "/" in proposal_id or not path.is_file():
        raise BadInput(f"no proposal {proposal_id!r} in {proposals_dir()}")
    return json.loads(path.read_text(encoding="utf-8"))


def deployment_db() -> Path:
    """The DB `accept` writes: the one in $AGENT_GUIDES; BadInput when the agent loads the shipped DB."""
    if not os.environ.get("AGENT_GUIDES"):
        raise BadInput("the agent loads the known-issue DB it ships with; set AGENT_GUIDES to the deployment's "
                       "own guides directory (a copy of guides/) to accept learned entries")
    return config.known_issues_path()


def merged_texts(proposal: dict[str, Any], db: Path) -> tuple[str, str, str, str]:
    """(old DB, new DB, old guide, new guide) texts; the new DB is validated by the loader."""
    old_db = db.read_text(encoding="utf-8") if db.is_file() else "version: 1\nissues:\n"
    new_db = old_db.rstrip("\n") + "\n" + entry_block(proposal["entry"])
    kb = parse_known_issues(yaml.safe_load(new_db), db.name)
    if kb.get(proposal["entry"]["id"]) is None:
        raise BadInput(f"{db}: the entry did not land in the issues list (is `issues:` the file's last key?)")
    guide = db.parent / proposal["guide_file"]
    old_guide = guide.read_text(encoding="utf-8") if guide.is_file() else ""
    new_guide = (old_guide or GUIDE_HEADER).rstrip("\n") + "\n\n" + proposal["guide_section"].rstrip("\n") + "\n"
    return old_db, new_db, old_guide, new_guide


def proposal_diff(proposal: dict[str, Any], db: Path) -> str:
    """The unified diff `accept` would make to the DB and the guide."""
    old_db, new_db, old_guide, new_guide = merged_texts(proposal, db)
    guide = db.parent / proposal["guide_file"]
    chunks = [difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{p.name}",
                                   f"b/{p.name}") for p, old, new in ((db, old_db, new_db), (guide, old_guide, new_guide))]
    return "".join("".join(chunk) for chunk in chunks)


def accept(proposal_id: str) -> tuple[Path, str]:
    """Merge a proposal into the deployment's DB and guide; → (DB path, the diff). The proposal file is kept as accepted."""
    proposal, db = read_proposal(proposal_id), deployment_db()
    diff = proposal_diff(proposal, db)
    _, new_db, _, new_guide = merged_texts(proposal, db)
    _atomic_write(db, new_db)
    _atomic_write(db.parent / proposal["guide_file"], new_guide)
    done = proposals_dir() / "accepted"
    done.mkdir(exist_ok=True)
    for suffix in (".yaml", ".json"):
        os.replace(proposals_dir() / f"{proposal_id}{suffix}", done / f"{proposal_id}{suffix}")
    return db, diff


def _atomic_write(path: Path, text: str) -> None:
    partial = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
