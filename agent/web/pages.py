"""The daemon's read-only pages: `/` (the dashboard) and `/metrics` (Prometheus). Bound to localhost they are
open; bound to any other address they answer only with the token of $AGENT_DASHBOARD_TOKEN."""

from __future__ import annotations

import hmac
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN_ENV = "AGENT_DASHBOARD_TOKEN"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
CACHE_SECONDS = 60.0
HTML = "text/html; charset=utf-8"
Answer = tuple[int, str, bytes]


def recent_decisions(store: Any, limit: int = 20) -> list[dict[str, Any]]:
    """The latest gate decisions with their plan's run and action, and the links of what was done."""
    rows = store.rows("SELECT d.at, d.kind, d.rule, d.decision, p.id AS plan_id, p.repo, p.run_id, p.action "
                      "FROM decisions d JOIN plans p ON p.id = d.plan_id ORDER BY d.id DESC LIMIT ?", (int(limit),))
    for row in rows:
        done = store.rows("SELECT detail FROM actions WHERE plan_id = ? AND status = 'done' ORDER BY id",
                          (row["plan_id"],))
        row["urls"] = list(dict.fromkeys((a.get("detail") or {}).get("url") for a in done
                                         if (a.get("detail") or {}).get("url")))
    return rows


class WebPages:
    """Renders `/` and `/metrics` for one daemon: its GitHub client, store, repositories and known issues."""

    def __init__(self, gh: Any, store: Any, repos: list[str], kb: Any, host: str = "127.0.0.1",
                 since: str = "30d", token: str | None = None):
        self.gh, self.store, self.repos, self.kb, self.since = gh, store, list(repos), kb, since
        self.open = host in LOOPBACK
        self.token = token if token is not None else os.environ.get(TOKEN_ENV, "")
        self._cache: tuple[float, bytes] | None = None
        self._lock = threading.Lock()

    def paths(self) -> tuple[str, ...]:
        return ("/", "/metrics")

    def answer(self, raw_path: str, headers: Any) -> Answer | None:
        """The page for `raw_path` (None: not one of these pages)."""
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        if path not in self.paths():
            return None
        if not self.allowed(headers, parse_qs(parts.query)):
            return 403, "text/plain; charset=utf-8", (
                f"forbidden: bound beyond localhost, the pages need the token of ${TOKEN_ENV}\n").encode()
        return self.metrics() if path == "/metrics" else self.dashboard()

    def allowed(self, headers: Any, query: dict[str, list[str]]) -> bool:
        """Localhost: always; elsewhere only with the configured token (bearer header or ?token=)."""
        if self.open:
            return True
        if not self.token:
            return False
        given = (headers.get("Authorization") or "").removeprefix("Bearer ").strip() or (query.get("token") or [""])[0]
        return hmac.compare_digest(given.encode(), self.token.encode())

    def metrics(self) -> Answer:
        from agent.metrics import CONTENT_TYPE, exposition

        return 200, CONTENT_TYPE, exposition(self.store)

    def dashboard(self) -> Answer:
        with self._lock:
            if self._cache is None or time.monotonic() - self._cache[0] > CACHE_SECONDS:
                self._cache = (time.monotonic(), self.render().encode("utf-8"))
            return 200, HTML, self._cache[1]

    def render(self, now: datetime | None = None) -> str:
        """The dashboard from GitHub's runs and the store, now."""
        from agent.knowledge.learning import kb_stats
        from agent.policy.budget import EXHAUSTED_KEY
        from agent.stats import MAX_RUNS, Window, compute, parse_since, store_rows
        from agent.web.dashboard import TREND_DAYS, page, trend

        now = now or datetime.now(UTC)
        window = Window(parse_since(self.since, now), now)
        reach = Window(min(window.since, parse_since(f"{TREND_DAYS + 7}d", now)), now)
        runs = [run for repo in self.repos for run in self.gh.list_runs(
            repo, status="completed", created=f">={reach.since.date().isoformat()}", limit=MAX_RUNS)]
        rows = store_rows(self.store, self.repos, reach)
        figures = {"repos": self.repos, **compute(runs, store_rows(self.store, self.repos, window), window)}
        issues = kb_stats(self.kb, self.store)["issues"] if self.kb is not None else []
        return page(figures, trend(runs, rows, now), recent_decisions(self.store), issues,
                    self.store.get_kv(EXHAUSTED_KEY), now)
