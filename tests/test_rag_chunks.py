"""Chunking markdown by heading and GitHub-style anchors."""

import pytest

from agent.rag.chunks import chunk_markdown, headings_of, slugify

GUIDE = """# Troubleshooting: example

Preamble that is not a problem.

## GLIBC 2.28 not found

**Symptom**

```text
2025-12-01T10:21:43.7064282Z ##[error]/__e/node20/bin/node: version `GLIBC_2.28' not found
# not a heading: a shell comment inside the fence
```

**Cause.** Old glibc.

### A sub-heading stays inside its problem

More text.

## Second problem

Body.
"""


@pytest.mark.parametrize("heading, anchor", [
    ("GLIBC 2.28 not found", "glibc-228-not-found"),
    ("Externally managed environment (PEP 668)", "externally-managed-environment-pep-668"),
    ("Node.js 16 actions are deprecated", "nodejs-16-actions-are-deprecated"),
    ("STATUS_DLL_NOT_FOUND when tests start", "status_dll_not_found-when-tests-start"),
    ("`pip3` command not found", "pip3-command-not-found"),
    ("Actions cache too old", "actions-cache-too-old"),
])
def test_slugify_matches_github_anchors(heading, anchor):
    assert slugify(heading) == anchor


def test_symptom_lines_stay_with_their_section():
    chunks = chunk_markdown(GUIDE, "troubleshooting.example.md", min_level=2)
    glibc = chunks[0]
    assert glibc.anchor == "glibc-228-not-found"
    assert "GLIBC_2.28' not found" in glibc.text
    assert "A sub-heading stays inside its problem" in glibc.text


def test_headings_inside_code_fences_are_not_sections():
    anchors = [chunk.anchor for chunk in chunk_markdown(GUIDE, "g.md", min_level=2)]
    assert anchors == ["glibc-228-not-found", "second-problem"]


def test_guide_title_and_preamble_are_left_out_when_min_level_is_two():
    chunks = chunk_markdown(GUIDE, "g.md", min_level=2)
    assert all("Preamble" not in chunk.text for chunk in chunks)
    assert any("Preamble" in chunk.text for chunk in chunk_markdown(GUIDE, "g.md"))


def test_repeated_headings_get_numbered_anchors_like_github():
    anchors = headings_of("## Fix\n\na\n\n## Fix\n\nb\n")
    assert anchors == {"fix", "fix-1"}


def test_symptom_lines_come_from_the_first_code_block_without_log_framing():
    glibc = chunk_markdown(GUIDE, "g.md", min_level=2)[0]
    assert glibc.symptom_lines()[0] == "/__e/node20/bin/node: version `GLIBC_2.28' not found"
    assert glibc.vector_texts()[0].startswith("GLIBC 2.28 not found")


def test_digest_changes_only_when_content_changes():
    first = chunk_markdown(GUIDE, "g.md")[1]
    again = chunk_markdown(GUIDE, "g.md")[1]
    edited = chunk_markdown(GUIDE.replace("Old glibc.", "Old glibc 2.27."), "g.md")[1]
    assert first.digest == again.digest
    assert first.digest != edited.digest
