"""Every known issue links to a real section of a troubleshooting guide."""

from pathlib import Path

import pytest
import yaml

from agent.rag.chunks import headings_of

GUIDES = Path(__file__).resolve().parent.parent / "guides"
KNOWN_ISSUES = GUIDES / "known-issues.yaml"


def _entries():
    if not KNOWN_ISSUES.exists():
        return []
    with open(KNOWN_ISSUES, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["issues"]


def test_the_known_issue_db_exists_and_has_entries():
    assert len(_entries()) > 0


@pytest.mark.parametrize("entry", _entries(), ids=lambda entry: entry["id"])
def test_known_issue_guide_link_resolves_to_a_heading(entry):
    guide, _, anchor = entry["guide"].partition("#")
    path = GUIDES / guide
    assert guide.startswith("troubleshooting.") and path.is_file(), f"{entry['id']}: no guide {guide}"
    assert anchor in headings_of(path.read_text(encoding="utf-8")), f"{entry['id']}: no section #{anchor}"
