"""A warm index on a local socket: a long-lived process (the daemon, `agent mcp`, `agent index --serve`)
keeps the embedding model loaded, and `agent search` from a shell asks it instead of loading the model.

The server binds 127.0.0.1 on a free port and writes `{port, token, pid}` to `search-server.json` in the
index directory (mode 0600); a client must send the token, so another local user cannot query it or
stand in for it without reading our files.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import socketserver
import threading
from pathlib import Path
from typing import Any

SERVER_FILE = "search-server.json"
CONNECT_TIMEOUT = 0.3
ANSWER_TIMEOUT = 1.5
"""A warm hybrid query takes tens of milliseconds; past this the client answers with BM25 alone."""
MAX_REQUEST_BYTES = 16_384


def server_file(index_path: Path | str) -> Path:
    return Path(index_path) / SERVER_FILE


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(MAX_REQUEST_BYTES)
        self.wfile.write((json.dumps(self.server.answer(line)) + "\n").encode("utf-8"))


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, index: Any, token: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.index, self.token = index, token

    def answer(self, line: bytes) -> dict:
        """One request line → hits, or an error the client turns into its BM25 fallback."""
        try:
            request = json.loads(line)
            if not secrets.compare_digest(str(request.get("token", "")), self.token):
                return {"error": "bad token"}
            hits = self.index.search(str(request["query"]), k=int(request.get("k", 5)),
                                     mode=str(request.get("mode", "hybrid")))
            return {"hits": [hit.to_dict() for hit in hits]}
        except Exception as exc:  # noqa: BLE001 - a bad request must not stop the server; the client falls back
            return {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}


class IndexServer:
    """Serves `index.search` on 127.0.0.1 in a background thread; `close()` removes the server file."""

    def __init__(self, index: Any, warm: bool = True):
        self.index = index
        self.token = secrets.token_hex(16)
        self.tcp = _TCPServer(index, self.token)
        self.port = self.tcp.server_address[1]
        self.path = server_file(index.path)
        self._warm = warm

    def start(self) -> IndexServer:
        """Load the model (so the first client query is warm), then accept queries and publish the port."""
        if self._warm:
            self.index.search("warm up the embedding model", k=1, mode="hybrid")
        threading.Thread(target=self.tcp.serve_forever, name="index-server", daemon=True).start()
        self._publish()
        return self

    def _publish(self) -> None:
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"port": self.port, "token": self.token, "pid": os.getpid()}, handle)
        os.replace(tmp, self.path)

    def close(self) -> None:
        """Stop serving; the server file goes too unless another server has replaced it since."""
        self.tcp.shutdown()
        self.tcp.server_close()
        try:
            if json.loads(self.path.read_text(encoding="utf-8")).get("token") == self.token:
                self.path.unlink()
        except (OSError, ValueError):
            pass


def serve_in_background(index: Any = None) -> IndexServer:
    """Warm the model and serve the (default shared) index from a background thread; returns at once."""
    if index is None:
        from agent.rag.index import shared_index

        index = shared_index()
    server = IndexServer(index)
    threading.Thread(target=server.start, name="index-server-warm-up", daemon=True).start()
    return server


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def ask_server(index_path: Path | str, query: str, k: int, mode: str) -> list[dict] | None:
    """The warm server's hits as dicts, or None when no server answers in time (the caller falls back)."""
    try:
        info = json.loads(server_file(index_path).read_text(encoding="utf-8"))
        if not _alive(int(info["pid"])):  # a server killed hard leaves its file; its port may be reused
            return None
        request = json.dumps({"token": info["token"], "query": query, "k": k, "mode": mode}) + "\n"
        with socket.create_connection(("127.0.0.1", int(info["port"])), timeout=CONNECT_TIMEOUT) as conn:
            conn.settimeout(ANSWER_TIMEOUT)
            conn.sendall(request.encode("utf-8"))
            answer = json.loads(conn.makefile("rb").readline())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return answer["hits"] if isinstance(answer, dict) and isinstance(answer.get("hits"), list) else None
