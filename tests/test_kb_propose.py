"""Known issues that grow from human fixes: an escalation issue closed by a commit becomes a proposed entry."""

from __future__ import annotations

import json

import pytest
from test_executor_kit import (
    CONTAINER_WF,
    GLIBC,
    KNOWN_ISSUES,
    NEW_IMAGE,
    REPO,
    add_glibc_repo,
    add_novel_run,
    client,
    failure_logs,
    issues,
    pipeline,
)

from agent.cli.app import main
from agent.errors import BadInput
from agent.knowledge import load_known_issues
from agent.knowledge.learning import against_history, first_match, stored_lines
from agent.knowledge.loader import parse_known_issues
from agent.knowledge.patterns import line_pattern, separating_patterns
from agent.knowledge.proposals import proposal_diff
from agent.knowledge.propose import propose_from_issue
from agent.sandbox import Sandbox
from agent.store import Store

pytest_plugins = ["test_executor_kit"]

WITHOUT_GLIBC = "version: 1\nissues:\n  - id: sfml-3-breaks-build" + KNOWN_ISSUES.split("  - id: sfml-3-breaks-build")[1]
"""The pinned DB minus the GLIBC entry: that failure is novel here and gets escalated."""
NVJPEG = ["/src/base/src/JPEGDecoderNVJPEG.cpp:3:10: fatal error: nvjpeg.h: No such file or directory",
          "  note: the CUDA toolkit include directory is not on the include path of target aprapipes"]
ZLIB = ["CMake Error at CMakeLists.txt:41 (find_package):",
        "  Could not find a package configuration file provided by \"ZLIB\" with any of the following names:"]


@pytest.fixture
def learning_home(home):
    (home / "guides" / "known-issues.yaml").write_text(WITHOUT_GLIBC, encoding="utf-8")
    return home


def escalate_glibc_and_novel(sb: Sandbox, home) -> None:
    """Issue #1: the GLIBC failure (novel here); issue #2: another novel failure."""
    p = pipeline(sb, home, kb=load_known_issues())
    assert p.handle_run(REPO, add_glibc_repo(sb)).status == "escalated"
    assert p.handle_run(REPO, add_novel_run(sb, new_repo=False)).status == "escalated"


def human_commit(sb: Sandbox, path: str, text: str, message: str) -> str:
    return sb.commit_file(REPO, "main", path, text, message=message, author="alice")


def close(sb: Sandbox, number: int) -> None:
    client(sb).request("PATCH", f"/repos/{REPO}/issues/{number}", body={"state": "closed"})


def human_image_fix(sb: Sandbox, learning_home, message: str = "Fixes #1") -> None:
    """The glibc failure escalated as #1 (beside a novel one), then fixed by a human moving the image to 22.04."""
    escalate_glibc_and_novel(sb, learning_home)
    old = sb.file_text(REPO, CONTAINER_WF)
    human_commit(sb, CONTAINER_WF, old.replace("ubuntu18.04", "ubuntu22.04"), message)
    close(sb, 1)


def test_a_human_image_fix_becomes_a_valid_container_image_entry_matching_only_this_failure(sb, learning_home):
    human_image_fix(sb, learning_home, "Move the CUDA container to 22.04\n\nFixes #1")
    store = Store(learning_home / "agent.db")
    proposal = propose_from_issue(client(sb), store, load_known_issues(), REPO, 1)

    entry = proposal.entry
    assert entry["fix"] == {"template": "container_image", "params": {"image": NEW_IMAGE, "bump_cache_key": False}}
    assert entry["category"] == "container_incompatible" and proposal.fitted == "template"
    issue = parse_known_issues({"version": 1, "issues": [entry]}).issues[0]
    rows = store.rows("SELECT signature, diagnosis FROM diagnoses")
    hits = {row["signature"] for row in rows if first_match(issue, stored_lines(row["diagnosis"]))}
    assert hits == {proposal.signature} and len({row["signature"] for row in rows}) == 2
    assert first_match(issue, [GLIBC.replace("/__e/node20", "/opt/hostedtoolcache/node20")]) is not None
    assert "## " in proposal.guide_section and "container_image" in proposal.guide_section


def test_a_commit_bumping_an_action_major_is_proposed_as_action_version_with_its_params(sb, learning_home):
    sb.add_repo(REPO, files={".github/workflows/ci.yml": "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n"
                             "    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/upload-artifact@v3\n"
                             "        with: {name: logs, path: build}\n"})
    lines = [("##[error]This request has been automatically failed because it uses a deprecated version of "
              "`actions/upload-artifact: v3`.")]
    run = sb.add_failed_run(REPO, workflow=".github/workflows/ci.yml", logs=failure_logs(lines, step="Upload"))
    assert pipeline(sb, learning_home, kb=load_known_issues()).handle_run(REPO, run).status == "escalated"
    old = sb.file_text(REPO, ".github/workflows/ci.yml")
    human_commit(sb, ".github/workflows/ci.yml", old.replace("upload-artifact@v3", "upload-artifact@v4"), "ci: artifact v4, fixes #1")
    close(sb, 1)
    proposal = propose_from_issue(client(sb), Store(learning_home / "agent.db"), load_known_issues(), REPO, 1)
    assert proposal.entry["fix"] == {"template": "action_version",
                                     "params": {"action": "actions/upload-artifact", "version": "v4"}}


def test_a_fix_no_template_reproduces_is_proposed_with_the_human_diff_as_the_remedy(sb, learning_home):
    escalate_glibc_and_novel(sb, learning_home)
    old = sb.file_text(REPO, CONTAINER_WF)
    new = old.replace("ubuntu18.04", "ubuntu22.04") + "# pinned node for the old glibc\n"
    human_commit(sb, CONTAINER_WF, new, "Work around GLIBC, closes #1")
    close(sb, 1)
    proposal = propose_from_issue(client(sb), Store(learning_home / "agent.db"), load_known_issues(), REPO, 1)
    assert proposal.fitted == "diff" and "fix" not in proposal.entry and proposal.entry["action"] == "escalate"
    assert "+# pinned node for the old glibc" in proposal.entry["notes"]
    assert "+# pinned node for the old glibc" in proposal.guide_section
    diff = proposal_diff(proposal.to_dict(), learning_home / "guides" / "known-issues.yaml")  # validated by the loader
    assert "+    notes: |" in diff and "+      +# pinned node for the old glibc" in diff


def test_a_line_another_signature_shares_is_narrowed_to_a_pair_that_only_this_failure_has():
    own = NVJPEG
    others = [[NVJPEG[0], "  note: the build used the system compiler"],
              ["fatal error: npp.h: No such file or directory", NVJPEG[1]]]
    patterns, how = separating_patterns(own, others)
    assert how == "all" and len(patterns) == 2
    issue = parse_known_issues({"version": 1, "issues": [{"id": "x", "title": "x", "category": "compile_error",
                                                           "patterns": patterns, "match": how, "confidence": 0.5}]})
    assert first_match(issue.issues[0], own) and not any(first_match(issue.issues[0], lines) for lines in others)


def test_a_cmake_message_header_is_never_a_pattern_on_its_own():
    patterns, _ = separating_patterns(ZLIB, [])
    assert patterns == [line_pattern(ZLIB[1])] and line_pattern(ZLIB[0]) is None


def test_no_entry_is_proposed_when_every_root_cause_line_also_appears_in_another_signature():
    assert separating_patterns(ZLIB, [ZLIB + ["  and one more line"]]) is None


def test_the_proposed_entry_passes_kb_test_against_history(sb, learning_home, capsys):
    human_image_fix(sb, learning_home)
    store = Store(learning_home / "agent.db")
    proposal = propose_from_issue(client(sb), store, load_known_issues(), REPO, 1)
    issue = parse_known_issues({"version": 1, "issues": [proposal.entry]}).issues[0]
    report = against_history(issue.id, issue, store, old=None)
    assert [row["signature"] for row in report["newly_matching"]] == [proposal.signature]


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main(list(args))
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


def test_kb_propose_from_issue_end_to_end_then_accept_merges_into_the_deployment_db(sb, learning_home, capsys,
                                                                                    monkeypatch):
    human_image_fix(sb, learning_home)
    monkeypatch.setenv("GITHUB_TOKEN", sb.token)
    code, out, err = run_cli(capsys, "kb", "propose", "--from-issue", "1", "--repo", REPO, "--github-url", sb.url,
                             "--json")
    assert code == 0, err
    proposal = json.loads(out)
    assert (learning_home / "proposals" / f"{proposal['id']}.yaml").is_file()
    assert "+  - id: " + proposal["id"] in proposal["diff"]
    code, out, err = run_cli(capsys, "kb", "test", proposal["id"], "--against-history", "--file", proposal["path"],
                             "--json")
    assert code == 0, err
    assert [row["signature"] for row in json.loads(out)["newly_matching"]] == [proposal["signature"]]
    code, out, err = run_cli(capsys, "kb", "accept", proposal["id"])
    assert code == 0, err
    kb = load_known_issues()
    assert kb.get(proposal["id"]) is not None and kb.get("sfml-3-breaks-build") is not None
    assert "GLIBC_2" in (learning_home / "guides" / "learned.md").read_text(encoding="utf-8")
    code, out, err = run_cli(capsys, "kb", "test", proposal["id"], "--against-history", "--json")
    assert code == 0 and json.loads(out)["stop_matching"] == []


@pytest.mark.parametrize("number, why", [(2, "still open"), (3, "not an issue the agent filed")])
def test_kb_propose_refuses_in_one_line_an_open_issue_or_one_the_agent_did_not_file(sb, learning_home, capsys,
                                                                                    monkeypatch, number, why):
    escalate_glibc_and_novel(sb, learning_home)
    client(sb).create_issue(REPO, "A feature request", "Please add a thing")
    monkeypatch.setenv("GITHUB_TOKEN", sb.token)
    code, out, err = run_cli(capsys, "kb", "propose", "--from-issue", str(number), "--repo", REPO,
                             "--github-url", sb.url)
    assert code != 0 and why in err and len(err.strip().splitlines()) == 1 and out == ""
    assert len(issues(sb)) == 3


def test_an_issue_closed_by_hand_without_a_commit_is_not_learned_from(sb, learning_home):
    escalate_glibc_and_novel(sb, learning_home)
    close(sb, 1)
    with pytest.raises(BadInput, match="without a commit"):
        propose_from_issue(client(sb), Store(learning_home / "agent.db"), load_known_issues(), REPO, 1)


def test_a_merged_pull_request_saying_fixes_n_is_the_closing_fix(sb, learning_home):
    escalate_glibc_and_novel(sb, learning_home)
    gh = client(sb)
    old = sb.file_text(REPO, CONTAINER_WF)
    human_branch = sb.repo(REPO).branches["main"]
    sb.repo(REPO).branches["alice/glibc"] = human_branch
    sb.commit_file(REPO, "alice/glibc", CONTAINER_WF, old.replace("ubuntu18.04", "ubuntu22.04"), "22.04", "alice")
    pull = gh.create_pull(REPO, "alice/glibc", "main", "Container on 22.04", "Fixes #1")
    gh.request("PUT", f"/repos/{REPO}/pulls/{pull['number']}/merge", body={})
    close(sb, 1)
    files = gh.request("GET", f"/repos/{REPO}/pulls/{pull['number']}/files")[2]
    assert [f["filename"] for f in files] == [CONTAINER_WF] and "+" in files[0]["patch"]
    proposal = propose_from_issue(gh, Store(learning_home / "agent.db"), load_known_issues(), REPO, 1)
    assert proposal.entry["fix"]["template"] == "container_image"


def test_the_weekly_pass_proposes_each_human_fixed_issue_once_and_skips_one_closed_by_hand(sb, learning_home):
    from agent.knowledge.weekly import due, learn_from_fixes

    human_image_fix(sb, learning_home)
    close(sb, 2)
    store = Store(learning_home / "agent.db")
    assert due(store, REPO)
    summary = learn_from_fixes(client(sb), store, REPO)
    assert len(summary["proposed"]) == 1 and list(summary["skipped"]) == [2]
    assert (learning_home / "proposals" / f"{summary['proposed'][0]}.yaml").is_file()
    assert not due(store, REPO)
    assert learn_from_fixes(client(sb), store, REPO)["proposed"] == []


def test_an_issue_closed_in_the_same_second_as_the_previous_pass_is_still_learned_from(sb, learning_home):
    from agent.knowledge.weekly import learn_from_fixes

    escalate_glibc_and_novel(sb, learning_home)
    store = Store(learning_home / "agent.db")
    assert learn_from_fixes(client(sb), store, REPO)["proposed"] == []
    old = sb.file_text(REPO, CONTAINER_WF)
    human_commit(sb, CONTAINER_WF, old.replace("ubuntu18.04", "ubuntu22.04"), "Fixes #1")
    close(sb, 1)
    assert len(learn_from_fixes(client(sb), store, REPO)["proposed"]) == 1


def test_an_open_issue_whose_workflow_went_green_after_a_human_ci_commit_is_learned_from(sb, learning_home):
    escalate_glibc_and_novel(sb, learning_home)
    old = sb.file_text(REPO, CONTAINER_WF)
    human_commit(sb, CONTAINER_WF, old.replace("ubuntu18.04", "ubuntu22.04"), "Container on 22.04")
    sb.wait_for_runs(REPO, timeout=10)
    proposal = propose_from_issue(client(sb), Store(learning_home / "agent.db"), load_known_issues(), REPO, 1)
    assert proposal.entry["fix"]["template"] == "container_image"
    assert sb.repo(REPO).issues[1].state == "open"


def test_an_open_issue_whose_workflow_went_green_without_a_ci_change_is_not_learned_from(sb, learning_home):
    run = add_glibc_repo(sb, fixed_when=[{"file": "README.md", "matches": "docs"}])
    assert pipeline(sb, learning_home, kb=load_known_issues()).handle_run(REPO, run).status == "escalated"
    human_commit(sb, "README.md", "docs\n", "Docs only")
    sb.wait_for_runs(REPO, timeout=10)
    assert client(sb).list_runs(REPO)[0]["conclusion"] == "success"
    with pytest.raises(BadInput, match="still open"):
        propose_from_issue(client(sb), Store(learning_home / "agent.db"), load_known_issues(), REPO, 1)


def test_a_hand_edited_vcpkg_override_bump_fits_the_vcpkg_override_template():
    from agent.knowledge.fixfit import fit_template
    from evals import case_repo

    before = case_repo.base_files()
    manifest = before["base/vcpkg.json"]
    after = {"base/vcpkg.json": manifest.replace('"name": "sfml",\n      "version": "2.6.1"',
                                                 '"name": "sfml",\n      "version": "2.6.2"')}
    assert after["base/vcpkg.json"] != manifest
    assert fit_template(before, after) == ("vcpkg_override", {"name": "sfml", "version": "2.6.2",
                                                              "manifest": "base/vcpkg.json"})


def test_the_daemon_learner_thread_writes_a_proposal_then_stops_when_asked(sb, learning_home):
    import threading

    from agent.knowledge.weekly import learn_until_stopped

    human_image_fix(sb, learning_home)
    stopping = threading.Event()
    events: list[dict] = []
    thread = threading.Thread(target=learn_until_stopped, args=(stopping, client(sb), Store(learning_home / "agent.db"),
                                                                lambda: [REPO], lambda *a, **kw: events.append(kw), 0.05))
    thread.start()
    for _ in range(200):
        if events:
            break
        stopping.wait(0.05)
    stopping.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and len(events[0]["proposed"]) == 1
    assert list((learning_home / "proposals").glob("learned-*.json"))
