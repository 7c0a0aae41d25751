"""Signed webhook deliveries: real HTTP POSTs from one background sender, in order."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from agent.sandbox import shapes
from agent.sandbox.model import Repo


def signature_256(secret: str, body: bytes) -> str:
    """`X-Hub-Signature-256`: sha256=<hex HMAC-SHA256(secret, raw body)>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """One webhook delivery attempt and its answer."""

    id: str
    event: str
    action: str | None
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


class Hooks:
    """Queues deliveries for a repository's hooks and posts them from a daemon thread."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._send_loop, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None

    def emit(self, repo: Repo, event: str, payload: dict[str, Any], sender: str) -> list[Delivery]:
        """Queue `event` to every hook of `repo` subscribed to it."""
        body_obj = {**payload, "repository": shapes.repo(self.sb.url, repo), "sender": shapes.user(self.sb.url, sender)}
        body = json.dumps(body_obj).encode("utf-8")
        out = []
        for hook in repo.hooks:
            if event in hook.events or "*" in hook.events:
                out.append(self._queue_delivery(str(uuid.uuid4()), event, payload.get("action"), hook, body))
        return out

    def _queue_delivery(self, delivery_id: str, event: str, action: str | None, hook: Any, body: bytes) -> Delivery:
        headers = {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/sandbox",
                   "X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id, "X-GitHub-Hook-ID": str(hook.id),
                   "X-Hub-Signature-256": signature_256(hook.secret, body),
                   "X-Hub-Signature": "sha1=" + hmac.new(hook.secret.encode("utf-8"), body, hashlib.sha1).hexdigest()}
        delivery = Delivery(delivery_id, event, action, hook.url, headers, body)
        self.deliveries.append(delivery)
        self._queue.put(delivery)
        return delivery

    def redeliver(self, delivery_id: str) -> Delivery:
        """Send a past delivery again, with the same id and body (like GitHub's redeliver)."""
        old = next(d for d in self.deliveries if d.id == delivery_id)
        again = Delivery(old.id, old.event, old.action, old.url, dict(old.headers), old.body)
        self.deliveries.append(again)
        self._queue.put(again)
        return again

    def _send_loop(self) -> None:
        while (delivery := self._queue.get()) is not None:
            request = urllib.request.Request(delivery.url, data=delivery.body, headers=delivery.headers, method="POST")
            try:
                with self._opener.open(request, timeout=10) as answer:
                    delivery.status = answer.status
            except urllib.error.HTTPError as exc:
                delivery.status = exc.code
            except OSError as exc:
                delivery.error = str(exc)
            delivery.done.set()

    def wait(self, timeout: float = 10) -> None:
        """Block until every queued delivery has been attempted."""
        for delivery in list(self.deliveries):
            if not delivery.done.wait(timeout):
                raise TimeoutError(f"webhook {delivery.id} not delivered within {timeout} s")
