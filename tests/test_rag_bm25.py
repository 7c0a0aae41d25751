"""The keyword side of the index: works, and never imports chromadb or sentence-transformers."""

import json
import os
import subprocess
import sys

import pytest

from agent.errors import BadInput
from agent.rag import Index, guide_source, repo_docs_source


@pytest.fixture
def bm25_index(tmp_path):
    index = Index(tmp_path / "index")
    index.build([guide_source()], vectors=False)
    return index


@pytest.mark.parametrize("log_line, link", [
    ("/__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found",
     "troubleshooting.containers.md#glibc-228-not-found"),
    ("error: Environment variable VCPKG_DEFAULT_BINARY_CACHE must be a directory (was: ~/.cache/vcpkg)",
     "troubleshooting.vcpkg.md#binary-cache-must-be-a-directory"),
    ("2025-12-01T10:21:43.7064282Z ##[error]Resource not accessible by integration",
     "troubleshooting.github-actions.md#resource-not-accessible-by-integration"),
])
def test_bm25_search_puts_the_matching_section_first(bm25_index, log_line, link):
    assert bm25_index.search(log_line, k=3, mode="bm25")[0].link == link


def test_log_punctuation_cannot_break_the_fts_query(bm25_index):
    hits = bm25_index.search('unexpected EOF while looking for matching `"\' AND OR NOT * ( ) ^', mode="bm25")
    assert hits[0].anchor == "unexpected-eof-in-a-run-script"


def test_bm25_search_on_an_empty_index_builds_it_first(tmp_path):
    index = Index(tmp_path / "fresh")
    assert index.text.count() == 0
    hits = index.search("No module named 'distutils'", mode="bm25")
    assert hits[0].link == "troubleshooting.windows.md#no-module-named-distutils"
    assert index.text.count() > 40


def test_resolutions_are_searchable_documents(bm25_index):
    bm25_index.add_resolution("9f2c4e1a7b3d5c60", "cache_stale", "zlib headers mismatched after a runner update",
                              "bumped the vcpkg cache key from -7- to -8-")
    hit = bm25_index.search("zlib headers mismatched", k=1, mode="bm25")[0]
    assert (hit.kind, hit.anchor) == ("resolution", "9f2c4e1a7b3d5c60")
    assert "bumped the vcpkg cache key" in hit.text


def test_a_rebuild_keeps_resolutions_and_indexes_repo_docs(bm25_index, tmp_path):
    bm25_index.add_resolution("0123456789abcdef", "toolchain", "gcc 13 picked up", "CC=/usr/bin/gcc-11")
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "docs" / "build.md").write_text("# Build\n\n## Jetson flashing quirks\n\nUse sdkmanager.\n",
                                            encoding="utf-8")
    bm25_index.build([guide_source(), repo_docs_source(repo)], vectors=False)
    links = {hit.link for hit in bm25_index.search("Jetson flashing quirks sdkmanager", k=3, mode="bm25")}
    assert "docs/build.md#jetson-flashing-quirks" in links
    assert bm25_index.search("gcc 13 picked up", k=1, mode="bm25")[0].kind == "resolution"


def test_bad_search_arguments_are_one_line_errors(bm25_index):
    with pytest.raises(BadInput):
        bm25_index.search("x", mode="fuzzy")
    with pytest.raises(BadInput):
        bm25_index.search("x", k=0)


def test_bm25_paths_never_import_chromadb_or_sentence_transformers(tmp_path):
    script = (
        "import json, sys\n"
        "from agent.rag import Index\n"
        "import agent.cli.app\n"
        f"hits = Index({str(tmp_path / 'index')!r}).search('pip3: command not found', mode='bm25')\n"
        "heavy = [m for m in ('chromadb', 'sentence_transformers', 'torch') if m in sys.modules]\n"
        "print(json.dumps({'first': hits[0].anchor, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "AGENT_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout) == {"first": "pip3-command-not-found", "heavy": []}
