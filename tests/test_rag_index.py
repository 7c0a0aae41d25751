"""The hybrid index with real embeddings: offline, our embedding function only, incremental."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.rag import Index, guide_source, repo_docs_source

GLIBC = "/__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found"


@pytest.fixture(scope="session")
def default_embedding_calls():
    """Calls chromadb's own (downloading) default embedding function received while the index was built."""
    return []


@pytest.fixture(scope="session")
def built_home(tmp_path_factory, default_embedding_calls):
    """One AGENT_HOME with a fully built index (the model loads once for the session)."""
    from chromadb.utils import embedding_functions

    home = tmp_path_factory.mktemp("agent-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedding_functions.DefaultEmbeddingFunction, "__call__",
                      lambda self, input: default_embedding_calls.append(input) or [])
        index = Index(home / "index")
        index.build([guide_source()])
        index.search(GLIBC, k=3, mode="vector")
    return home


@pytest.fixture(scope="session")
def built_index(built_home):
    return Index(built_home / "index")


def test_the_collection_uses_our_embedding_function_and_persists_its_name(built_index):
    import chromadb
    from chromadb.config import Settings

    from agent.rag.embedding import MiniLMEmbedding

    collection = built_index.vectors.collection
    assert type(collection._embedding_function) is MiniLMEmbedding
    client = chromadb.PersistentClient(path=str(built_index.path / "chroma"),
                                       settings=Settings(anonymized_telemetry=False))
    persisted = client.get_collection("guides", embedding_function=MiniLMEmbedding())
    assert persisted.configuration["embedding_function"].name() == MiniLMEmbedding.name()
    assert client.get_settings().anonymized_telemetry is False


def test_build_and_search_never_call_chromadb_default_embedding(built_index, default_embedding_calls):
    assert built_index.text.count() > 40
    assert default_embedding_calls == []


@pytest.mark.parametrize("mode", ["hybrid", "vector", "bm25"])
def test_every_mode_finds_the_glibc_section_first(built_index, mode):
    assert built_index.search(GLIBC, k=3, mode=mode)[0].anchor == "glibc-228-not-found"


def test_hybrid_search_understands_a_paraphrase(built_index):
    hits = built_index.search("the C++ compiler got killed because the machine ran out of RAM", k=3)
    assert "troubleshooting.linux.md#compiler-killed-out-of-memory" in [hit.link for hit in hits]


def test_incremental_reindex_embeds_only_changed_chunks(tmp_path, repo_root):
    guides = tmp_path / "guides"
    guides.mkdir()
    for name in ("troubleshooting.linux.md", "troubleshooting.vcpkg.md"):
        shutil.copy(repo_root / "guides" / name, guides / name)
    index = Index(tmp_path / "index")
    first = index.build([guide_source(guides)])
    linux = guides / "troubleshooting.linux.md"
    text = linux.read_text(encoding="utf-8")
    linux.write_text(text.replace("Exit code\n137 is 128 + SIGKILL.", "Exit code 137 is 128 + SIGKILL (9)."),
                     encoding="utf-8")
    vpkg = guides / "troubleshooting.vcpkg.md"
    vpkg.write_text(vpkg.read_text(encoding="utf-8").split("## No version database entry")[0], encoding="utf-8")
    before = index.embedding_function.texts_embedded
    second = index.build([guide_source(guides)])
    changed = next(c for c in guide_source(guides).chunks() if c.anchor == "compiler-killed-out-of-memory")
    assert (second.updated, second.embedded, second.added) == (1, 1, 0)
    assert second.removed == first.chunks - second.chunks > 0
    assert index.embedding_function.texts_embedded - before == len(changed.vector_texts())
    assert index.vectors.digests() == index.text.digests()
    assert index.build([guide_source(guides)]).embedded == 0


def test_a_resolution_is_found_by_vectors_after_it_is_added(tmp_path, built_home):
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    index = Index(home / "index")
    index.add_resolution("5be1c0de5be1c0de", "registry_fetch", "the Apra-Labs registry tag vanished",
                         "moved the vcpkg baseline to the tip of the main branch")
    hits = index.search("registry tag vanished", k=3, mode="vector")
    assert "resolutions#5be1c0de5be1c0de" in [hit.link for hit in hits]


def _agent(args, home):
    env = {**os.environ, "AGENT_HOME": str(home), "HF_HUB_OFFLINE": "1",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    agent = Path(sys.executable).with_name("agent")
    return subprocess.run([str(agent), *args], check=False, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_cli_hybrid_search_returns_the_containers_section_first(built_home):
    result = _agent(["search", "version GLIBC_2.28 not found", "--mode", "hybrid", "--json"], built_home)
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout)["hits"][0]
    assert first["link"] == "troubleshooting.containers.md#glibc-228-not-found"


@pytest.mark.slow
def test_cli_index_adds_the_repository_docs(tmp_path, built_home):
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "README.md").write_text("# Demo\n\nBuild with `./build.sh`.\n", encoding="utf-8")
    (repo / "docs" / "ci.md").write_text("# CI\n\n## Self-hosted runners\n\nThe GPU box.\n", encoding="utf-8")
    result = _agent(["index", "--repo-dir", str(repo), "--json"], home)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    expected = len(repo_docs_source(repo).chunks())
    assert (stats["added"], stats["embedded"], stats["removed"]) == (expected, expected, 0)
