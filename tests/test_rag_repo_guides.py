"""The watched repository's own guides: selected by globs, read at the run's commit, cited with a link."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_executor_kit import CONTAINER_WF, GLIBC_FIXED, MEMBER, REPO, glibc_logs, pipeline, repo_files

from agent.cli.app import main
from agent.rag import Index, guide_source
from agent.rag.repo_guides import REPO_GUIDE_GLOBS, guide_paths, local_repo_guides, repo_guide_globs
from agent.rag.sources import repo_guide_source
from agent.sandbox.cases import read_tree

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

UPSTREAM = Path(__file__).resolve().parents[1] / "evals" / "upstream" / "aprapipes"
CONTAINERS = ".claude/skills/aprapipes-devops/troubleshooting.containers.md"
GLIBC_SECTION = "issue-d4-github-actions-nodejs-20-glibc-compatibility-resolved"


def real_guides() -> dict[str, str]:
    return {f".claude/{path}": data.decode("utf-8") for path, data in read_tree(UPSTREAM / ".claude").items()}


def test_default_globs_select_the_maintainers_guides_and_skip_vendored_trees():
    paths = [CONTAINERS, ".claude/LEARNINGS.md", ".claude/skills/aprapipes-devops/SKILL.md", "README.md",
             "docs/troubleshooting-build.md", "troubleshooting.md", "vcpkg/docs/troubleshooting.md",
             ".claude/skills/a/deeper/notes.md", "base/src/troubleshooting.cpp", "docs/build.md"]
    assert guide_paths(paths, REPO_GUIDE_GLOBS) == sorted([
        ".claude/LEARNINGS.md", ".claude/skills/aprapipes-devops/SKILL.md", CONTAINERS,
        "docs/troubleshooting-build.md", "troubleshooting.md"])


def test_the_globs_are_configurable(monkeypatch):
    monkeypatch.setenv("AGENT_REPO_GUIDE_GLOBS", "ops/runbooks/*.md, FAQ.md")
    assert repo_guide_globs() == ("ops/runbooks/*.md", "FAQ.md")
    assert guide_paths(["ops/runbooks/ci.md", "FAQ.md", CONTAINERS], repo_guide_globs()) == [
        "FAQ.md", "ops/runbooks/ci.md"]


@pytest.fixture
def guides_home(home, repo_root):
    """The kit's home (pinned known-issue DB) with the shipped troubleshooting guides beside it."""
    for shipped in (repo_root / "guides").glob("troubleshooting.*.md"):
        shutil.copy(shipped, home / "guides" / shipped.name)
    return home


def test_the_pipeline_cites_the_repositorys_own_guide_at_the_runs_commit(sb, guides_home):
    home = guides_home
    sb.add_repo(REPO, files={**repo_files(), **real_guides()})
    run_id = sb.add_failed_run(REPO, workflow=CONTAINER_WF, name="CI-Linux-CUDA-Docker", logs=glibc_logs(),
                               fixed_when=GLIBC_FIXED, actor=MEMBER)
    flow = pipeline(sb, home)
    run = {**flow.gh.get_run(REPO, run_id), "run_attempt": 1}
    cited = flow.diagnose(REPO, run).guides
    own = [ref for ref in cited if ref.repo == REPO]
    assert ("troubleshooting.containers.md", "glibc-228-not-found", None) in [(r.guide, r.anchor, r.repo) for r in cited]
    assert (own[0].guide, own[0].anchor, own[0].ref) == (CONTAINERS, GLIBC_SECTION, run["head_sha"])
    assert own[0].url == f"https://github.com/{REPO}/blob/{run['head_sha']}/{CONTAINERS}#{GLIBC_SECTION}"


def test_a_repository_without_guides_gets_the_shipped_guides_only(sb, guides_home):
    home = guides_home
    sb.add_repo(REPO, files=repo_files())
    run_id = sb.add_failed_run(REPO, workflow=CONTAINER_WF, name="CI-Linux-CUDA-Docker", logs=glibc_logs(),
                               fixed_when=GLIBC_FIXED, actor=MEMBER)
    flow = pipeline(sb, home)
    cited = flow.diagnose(REPO, {**flow.gh.get_run(REPO, run_id), "run_attempt": 1}).guides
    assert cited and all(ref.repo is None and ref.url is None for ref in cited)


def test_triage_with_a_repo_dir_cites_its_guides(tmp_path, capsys):
    log = tmp_path / "job.txt"
    log.write_text("2025-12-01T10:21:43.7064282Z Run actions/checkout@v4\n"
                   "2025-12-01T10:21:44.1000000Z /__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: "
                   "version `GLIBC_2.28' not found (required by /__e/node20/bin/node)\n"
                   "2025-12-01T10:21:44.2000000Z ##[error]Process completed with exit code 1.\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["triage", str(log), "--repo-dir", str(UPSTREAM), "--json"])
    cited = json.loads(capsys.readouterr().out)["guides"]
    assert {(ref["guide"], ref["anchor"]) for ref in cited} >= {(CONTAINERS, GLIBC_SECTION)}


def test_the_index_finds_a_sentence_only_the_maintainers_guide_has(tmp_path):
    index = Index(tmp_path / "index")
    index.build([guide_source(), repo_guide_source(UPSTREAM)], vectors=False)
    hits = index.search("Node.js 20 requires GLIBC 2.28+ Ubuntu 18.04 only has GLIBC 2.27", k=5, mode="bm25")
    assert (CONTAINERS, GLIBC_SECTION, "repo_guide") in [(hit.guide, hit.anchor, hit.kind) for hit in hits]


def test_every_real_guide_is_read_and_split_into_sections():
    guides = local_repo_guides(UPSTREAM)
    assert set(guides.files) == {f".claude/{path}" for path in read_tree(UPSTREAM / ".claude")}
    assert len(guides.chunks()) > 100


def test_the_model_s_guide_search_finds_the_guides_the_pipeline_read(sb, guides_home):
    sb.add_repo(REPO, files={**repo_files(), **real_guides()})
    run_id = sb.add_failed_run(REPO, workflow=CONTAINER_WF, name="CI-Linux-CUDA-Docker", logs=glibc_logs(),
                               fixed_when=GLIBC_FIXED, actor=MEMBER)
    index = Index(guides_home / "index")
    flow = pipeline(sb, guides_home, index=index)
    flow.index_repo_guides(REPO, {**flow.gh.get_run(REPO, run_id), "run_attempt": 1})
    hits = index.search("Ubuntu 18.04 only has GLIBC 2.27 permanently incompatible", k=5, mode="bm25")
    assert (CONTAINERS, GLIBC_SECTION) in [(hit.guide, hit.anchor) for hit in hits]


def test_guides_of_a_newer_commit_replace_the_older_ones_in_the_index(tmp_path):
    from agent.rag.repo_guides import RepoGuides

    index = Index(tmp_path / "index")
    index.add_repo_guides(RepoGuides(REPO, "a" * 40, {"docs/troubleshooting.md": "# T\n\n## Old quirk\n\nzebra\n"}))
    stats = index.add_repo_guides(RepoGuides(REPO, "b" * 40, {"docs/troubleshooting.md": "# T\n\n## New quirk\n\nokapi\n"}))
    assert (stats.added, stats.removed) == (1, 1)
    assert index.search("okapi", k=1, mode="bm25")[0].anchor == "new-quirk"
    assert all(hit.kind != "repo_guide" for hit in index.search("zebra", k=3, mode="bm25"))


def test_two_repositories_with_the_same_guide_path_and_heading_keep_both_sections(tmp_path):
    from agent.rag.repo_guides import RepoGuides

    index = Index(tmp_path / "index")
    index.add_repo_guides(RepoGuides("org/alpha", "a" * 40, {"docs/ci.md": "# CI\n\n## Build fails\n\nzebra stripes\n"}))
    index.add_repo_guides(RepoGuides("org/beta", "b" * 40, {"docs/ci.md": "# CI\n\n## Build fails\n\nokapi spots\n"}))
    assert [h.anchor for h in index.search("zebra", k=3, mode="bm25") if h.kind == "repo_guide"] == ["build-fails"]
    assert [h.anchor for h in index.search("okapi", k=3, mode="bm25") if h.kind == "repo_guide"] == ["build-fails"]
