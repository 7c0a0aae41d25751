"""Turn a `requests` answer into our Failure, so one retry loop sees every call."""

from __future__ import annotations

import requests

from agent.github.errors import Failure, HttpFailure


def check_response(resp: requests.Response) -> requests.Response:
    """Return a 2xx/3xx response; raise HttpFailure for 4xx/5xx."""
    if resp.status_code < 400:
        return resp
    raise HttpFailure(Failure(resp.status_code, dict(resp.headers), response_message(resp)))


def response_message(resp: requests.Response) -> str:
    """GitHub's `message` field, else the start of the body."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(body)[:200]
