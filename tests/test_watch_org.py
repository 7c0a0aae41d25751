"""`agent watch --org`: an organisation's repositories (a GitHub App installation's), found again on refresh."""

from __future__ import annotations

from test_cli_app_auth import APP_ID, agent, app_env, app_key  # noqa: F401 - app_key is a fixture
from test_executor_kit import add_novel_run, client, issues

from agent.daemon.jsonlog import JsonLog
from agent.daemon.service import Daemon, DaemonConfig
from agent.github.orgs import organisation_repositories
from agent.policy import load_policy
from agent.store import Store

pytest_plugins = ["test_executor_kit"]
"""The sandbox (`sb`) and `home` fixtures."""

ORG = "Apra-Labs"
MINE = [f"{ORG}/ApraPipes", f"{ORG}/ApraPipes-docs"]
OUTSIDER = "someone-else/project"


class RecordingHandler:
    def __init__(self):
        self.seen: list[str] = []

    def handle_run(self, full_name: str, run_id: int, run_attempt: int | None = None):
        self.seen.append(full_name)


def test_organisation_repositories_come_from_the_org_listing_with_a_token(sb):
    for name in [*MINE, OUTSIDER]:
        sb.add_repo(name, files={"README.md": "x"})
    assert organisation_repositories(client(sb), ORG) == sorted(MINE, key=str.lower)
    assert organisation_repositories(client(sb), "nobody") == []


def test_watch_org_handles_failures_of_every_org_repository_and_none_outside(sb, home, app_key):  # noqa: F811
    sb.add_app(APP_ID, app_key[1], 77)
    for name in MINE:
        add_novel_run(sb, name=name)
    add_novel_run(sb, name=OUTSIDER)
    done = agent("watch", "--org", ORG, "--once", "--github-url", sb.url, "--monitor-interval", "0",
                 **app_env(home, app_key[0]))
    assert done.returncode == 0, done.stderr
    assert all(len(issues(sb, name)) == 1 for name in MINE)
    assert issues(sb, OUTSIDER) == []


def test_watch_org_that_reaches_no_repository_is_one_error_line(sb, home, app_key):  # noqa: F811
    sb.add_app(APP_ID, app_key[1], 77)
    done = agent("watch", "--org", "nobody-here", "--once", "--github-url", sb.url, **app_env(home, app_key[0]))
    assert done.returncode == 2 and "reach no repository" in done.stderr and "Traceback" not in done.stderr


def test_rediscovery_adds_and_removes_repositories_and_keeps_them_on_a_failed_answer(sb, home):
    sb.add_repo(MINE[0], files={"README.md": "x"})
    answers = [[MINE[0]], [MINE[0], MINE[1]], [], RuntimeError("GitHub is down"), [MINE[1]]]

    def discover():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    handler = RecordingHandler()
    config = DaemonConfig(repos=[], webhooks=False, poll_interval=None, monitor_interval=None, discover=discover)
    daemon = Daemon(Store(home / "agent.db"), client(sb), handler, load_policy(), config, log=JsonLog(level="error"))
    daemon.set_repos(discover())
    assert daemon.intake.repos == {MINE[0].lower()} and daemon.workers[0].repos == [MINE[0]]
    assert daemon.rediscover() and daemon.poller.repos == MINE
    assert not daemon.rediscover() and daemon.config.repos == MINE  # empty answer: keep
    assert not daemon.rediscover() and daemon.config.repos == MINE  # failure: keep
    assert daemon.rediscover() and daemon.intake.repos == {MINE[1].lower()}
    assert not daemon.intake.watches(MINE[0]) and daemon.intake.watches(MINE[1])
