"""Trust on real GitHub: a run without author_association is judged by the collaborator permission API (#33)."""

from __future__ import annotations

import pytest
import yaml
from test_executor_kit import REPO, add_glibc_repo, client, pipeline, pulls, writes

from agent.gate_context import least_trusted
from agent.sandbox.model import Actor

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

BARE = {"login": "dev1", "association": None}
"""An actor as github.com shows it in a workflow_run: a login, no author_association."""


def permission_requests(sb) -> list[str]:
    return [r.path for r in sb.requests if r.path.endswith("/permission")]


@pytest.mark.parametrize("login, role, expected", [
    ("Apra-Labs", None, "OWNER"),
    ("apra-labs", None, "OWNER"),
    ("admin1", "admin", "COLLABORATOR"),
    ("keeper", "maintain", "COLLABORATOR"),
    ("dev1", "write", "COLLABORATOR"),
    ("triager", "triage", "NONE"),
    ("reader", "read", "NONE"),
    ("stranger", None, "NONE"),
])
def test_actor_association_follows_the_collaborator_permission(sb, login, role, expected):
    sb.add_repo(REPO, files={"README.md": "x"})
    if role:
        sb.add_collaborator(REPO, login, role)
    assert client(sb).actor_association(REPO, login) == expected


def test_actor_association_is_asked_once_per_repository_and_login(sb):
    sb.add_repo(REPO, files={"README.md": "x"})
    sb.add_collaborator(REPO, "dev1", "write")
    gh = client(sb)
    answers = [gh.actor_association(REPO, "dev1"), gh.actor_association(REPO, "DEV1"),
               gh.actor_association(REPO, "stranger"), gh.actor_association(REPO, "stranger")]
    assert answers == ["COLLABORATOR", "COLLABORATOR", "NONE", "NONE"]
    assert len(permission_requests(sb)) == 2


def test_run_without_association_by_a_collaborator_with_write_access_is_fixed(sb, home):
    run_id = add_glibc_repo(sb, actor=BARE)
    sb.add_collaborator(REPO, "dev1", "write")
    assert "author_association" not in client(sb).get_run(REPO, run_id)["actor"]
    result = pipeline(sb, home).handle_run(REPO, run_id)
    assert result.status == "fixed" and pulls(sb)[0].merged
    assert pipeline(sb, home).store.get_run(REPO, run_id, 1)["association"] == "COLLABORATOR"


@pytest.mark.parametrize("role", [None, "read", "triage"])
def test_run_without_association_by_someone_without_write_access_is_analysed_only(sb, home, role):
    run_id = add_glibc_repo(sb, actor=BARE)
    if role:
        sb.add_collaborator(REPO, "dev1", role)
    result = pipeline(sb, home).handle_run(REPO, run_id)
    assert result.status == "ignored" and result.decision.rule == "ignore.untrusted_actor"
    assert writes(sb) == []


@pytest.mark.parametrize("trigger", [
    {"login": "outsider", "association": None},
    {"login": "outsider", "association": "CONTRIBUTOR"},
])
def test_untrusted_triggering_actor_makes_a_trusted_actors_run_untrusted(sb, home, trigger):
    run_id = add_glibc_repo(sb)
    sb.repo(REPO).runs[run_id].latest.triggering_actor = Actor(**trigger)
    result = pipeline(sb, home).handle_run(REPO, run_id)
    assert result.status == "ignored" and "not trusted" in result.decision.reason
    assert writes(sb) == []


def test_trusted_triggering_actor_found_by_permission_keeps_the_run_trusted(sb, home):
    run_id = add_glibc_repo(sb, actor=BARE)
    sb.add_collaborator(REPO, "dev1", "write")
    sb.add_collaborator(REPO, "lead", "maintain")
    sb.repo(REPO).runs[run_id].latest.triggering_actor = Actor(login="lead", association=None)
    assert pipeline(sb, home).handle_run(REPO, run_id).status == "fixed"
    assert {p.rsplit("/", 2)[-2] for p in permission_requests(sb)} == {"dev1", "lead"}


@pytest.mark.parametrize("associations, expected", [
    (["OWNER", "MEMBER"], "MEMBER"),
    (["COLLABORATOR", "OWNER"], "COLLABORATOR"),
    (["MEMBER", "NONE"], "NONE"),
    (["MEMBER", None], None),
    (["CONTRIBUTOR", "MEMBER"], "CONTRIBUTOR"),
])
def test_the_least_trusted_association_decides(associations, expected):
    assert least_trusted(associations, {"OWNER", "MEMBER", "COLLABORATOR"}) == expected


def write_case(root, association: str):
    case = root / "case"
    (case / "logs").mkdir(parents=True)
    (case / "repo").mkdir()
    (case / "repo" / "README.md").write_text("x", encoding="utf-8")
    (case / "logs" / "1_build.txt").write_text("2025-01-01T00:00:00.0000000Z boom\n", encoding="utf-8")
    spec = {"id": "c1", "repo": {"full_name": "acme/widget"},
            "run": {"workflow": ".github/workflows/ci.yml", "actor": {"login": "dev9", "association": association}},
            "expect": {"action": "escalate"}}
    (case / "case.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return case


@pytest.mark.parametrize("association, collaborators", [
    ("MEMBER", {"dev9": "write"}),
    ("COLLABORATOR", {"dev9": "write"}),
    ("OWNER", {"dev9": "write"}),
    ("CONTRIBUTOR", {}),
    ("NONE", {}),
])
def test_case_loader_registers_a_trusted_case_actor_as_a_writer(sb, tmp_path, association, collaborators):
    full_name, _ = sb.load_case(write_case(tmp_path, association))
    assert sb.repo(full_name).collaborators == collaborators
    expected = "COLLABORATOR" if collaborators else "NONE"
    assert client(sb).actor_association(full_name, "dev9") == expected
