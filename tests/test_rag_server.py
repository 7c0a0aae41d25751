"""`agent search` from a shell: a warm index server answers when reachable, else BM25 at once with a note."""

import json
import os
import socket
import subprocess
import sys

import pytest

from agent.rag import Index, guide_source
from agent.rag.search import NO_SERVER_NOTE, search_from_shell
from agent.rag.server import IndexServer, ask_server, server_file

PIP3 = "/__w/_temp/1a2b.sh: line 3: pip3: command not found"


class KeywordOnlyIndex:
    """A real Index whose every search is BM25, so these tests never load the embedding model."""

    def __init__(self, index: Index):
        self.index, self.path, self.modes, self.published = index, index.path, [], []

    def search(self, query, k=5, mode="hybrid"):
        self.modes.append(mode)
        self.published.append(server_file(self.path).exists())
        return self.index.search(query, k=k, mode="bm25")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_HOME", str(tmp_path))
    Index(tmp_path / "index").build([guide_source()], vectors=False)
    return tmp_path


@pytest.fixture
def served(home):
    server = KeywordOnlyIndex(Index(home / "index"))
    running = IndexServer(server, warm=False).start()
    yield server, running
    running.close()


def test_auto_search_asks_the_warm_server_for_hybrid_hits(served):
    server, _ = served
    answer = search_from_shell(PIP3, k=3, mode="auto")
    assert (answer.mode, answer.served_by, answer.note) == ("hybrid", "server", "")
    assert server.modes == ["hybrid"]
    assert answer.hits[0].link == "troubleshooting.containers.md#pip3-command-not-found"


def test_without_a_server_auto_search_is_bm25_here_with_a_note(home):
    answer = search_from_shell(PIP3, k=3, mode="auto")
    assert (answer.mode, answer.served_by, answer.note) == ("bm25", "local", NO_SERVER_NOTE)
    assert answer.hits[0].anchor == "pip3-command-not-found"


def test_a_request_with_the_wrong_token_is_refused(served):
    _, running = served
    with socket.create_connection(("127.0.0.1", running.port), timeout=2) as conn:
        conn.sendall(json.dumps({"token": "0" * 32, "query": PIP3}).encode() + b"\n")
        answer = json.loads(conn.makefile("rb").readline())
    assert answer == {"error": "bad token"}


def test_a_server_file_with_a_wrong_token_gives_no_answer(served, home):
    _, running = served
    path = server_file(home / "index")
    path.write_text(json.dumps({"port": running.port, "token": "f" * 32, "pid": os.getpid()}), encoding="utf-8")
    assert ask_server(home / "index", PIP3, 3, "hybrid") is None


def test_a_server_file_left_by_a_dead_process_is_not_used(home):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        info = {"port": listener.getsockname()[1], "token": "a" * 32, "pid": int(dead.stdout)}
        server_file(home / "index").write_text(json.dumps(info), encoding="utf-8")
        assert ask_server(home / "index", PIP3, 3, "hybrid") is None


def test_closing_the_server_removes_its_file_and_the_client_falls_back(home):
    running = IndexServer(KeywordOnlyIndex(Index(home / "index")), warm=False).start()
    assert server_file(home / "index").exists()
    running.close()
    assert not server_file(home / "index").exists()
    assert search_from_shell(PIP3, mode="auto").served_by == "local"


def test_cli_search_without_a_server_never_loads_the_embedding_model(home):
    script = ("import contextlib, io, json, sys\nfrom agent.cli.app import main\nout = io.StringIO()\n"
              f"with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
              f"    main(['search', {PIP3!r}, '--json'])\n"
              "heavy = [m for m in ('chromadb', 'sentence_transformers', 'torch') if m in sys.modules]\n"
              "found = json.loads(out.getvalue())\n"
              "print(json.dumps({'heavy': heavy, 'mode': found['mode'], 'first': found['hits'][0]['anchor']}))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "AGENT_HOME": str(home)})
    assert json.loads(out.stdout) == {"heavy": [], "mode": "bm25", "first": "pip3-command-not-found"}


def test_a_background_server_publishes_itself_only_after_its_warm_up(home):
    import time

    from agent.rag.server import serve_in_background

    keyword = KeywordOnlyIndex(Index(home / "index"))
    running = serve_in_background(keyword)
    try:
        deadline = time.monotonic() + 30
        while not server_file(home / "index").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert search_from_shell(PIP3, k=3, mode="auto").served_by == "server"
        assert (keyword.modes, keyword.published) == (["hybrid", "hybrid"], [False, True])
    finally:
        running.close()
