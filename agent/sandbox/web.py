"""Tiny HTML pages at the sandbox's `html_url`s, so a link the agent prints opens in a browser.

`{base}/OWNER/NAME` (the repository), `/pull/N`, `/issues/N`, `/actions/runs/ID[/job/JID]` and
`/commit/SHA`. Pages need no token and spend no rate limit; anything else under a repository is a
404 page. The REST API (`/repos/...`, `/user`, `/search/...`, `/app/...`) is never shadowed.
"""

from __future__ import annotations

import html
import re
from typing import Any

from agent.sandbox.dispatch import RecordedRequest
from agent.sandbox.routing import Request, Response

API_PREFIXES = frozenset({"repos", "app", "search", "rate_limit", "user", "users", "orgs", "installation"})
"""First path segments that belong to the REST API (as on api.github.com)."""
PAGE = re.compile(r"^/(?P<owner>[^/]+)/(?P<name>[^/]+)(?P<rest>/.*)?$")
STYLE = "body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{background:#f6f8fa;padding:1em}"


def is_page(req: Request) -> bool:
    """A browser GET of a web path (not an API path)."""
    match = PAGE.match(req.path)
    return req.method == "GET" and match is not None and match["owner"] not in API_PREFIXES


def serve(sb: Any, req: Request) -> Response:
    """The page for `req` (404 page when the repository or the object does not exist), recorded."""
    match = PAGE.match(req.path)
    with sb.lock:
        repo = sb.state.repos.get(f"{match['owner']}/{match['name']}".lower())
        found = render(sb, repo, match["rest"] or "") if repo is not None else None
    status, (title, body) = (200, found) if found else (404, ("Not Found", "<p>Nothing here.</p>"))
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)} · sandbox</title>"
            f"<style>{STYLE}</style></head><body><h1>{esc(title)}</h1>{body}"
            f"<p><small>devops-agent sandbox at {esc(sb.url)}</small></p></body></html>")
    resp = Response(status, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
    sb.record(RecordedRequest(req.method, req.path, req.query, req.headers, req.body, status, host="web"))
    return resp


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def render(sb: Any, repo: Any, rest: str) -> tuple[str, str] | None:
    """(title, HTML body) for a path under the repository, or None."""
    routes = ((r"", repo_page), (r"/(?:pull|issues)/(\d+)", issue_page),
              (r"/actions/runs/(\d+)(?:/job/\d+)?", run_page), (r"/commit/([0-9a-f]{7,40})", commit_page))
    for pattern, page in routes:
        match = re.fullmatch(pattern, rest.rstrip("/"))
        if match:
            return page(sb, repo, *match.groups())
    return None


def facts(rows: dict[str, Any]) -> str:
    """A small definition table."""
    cells = "".join(f"<tr><th align=left>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows.items())
    return f"<table>{cells}</table>"


def link(sb: Any, repo: Any, path: str, text: str) -> str:
    return f"<a href='{esc(f'{sb.url}/{repo.full_name}{path}')}'>{esc(text)}</a>"


def repo_page(sb: Any, repo: Any) -> tuple[str, str]:
    items = [link(sb, repo, f"/{'pull' if i.is_pull else 'issues'}/{n}", f"#{n} {i.title} ({i.state})")
             for n, i in sorted(repo.issues.items(), reverse=True)]
    runs = [link(sb, repo, f"/actions/runs/{r.id}", f"run {r.id} {r.name} on {r.head_branch}: "
                 f"{r.latest.conclusion or r.latest.status}") for r in sorted(repo.runs.values(), key=lambda r: -r.id)
            if r.attempts]
    lists = "".join(f"<h2>{name}</h2><ul>{''.join(f'<li>{x}</li>' for x in entries[:30])}</ul>"
                    for name, entries in (("Issues and pull requests", items), ("Workflow runs", runs)) if entries)
    return repo.full_name, facts({"default branch": repo.default_branch}) + lists


def issue_page(sb: Any, repo: Any, number: str) -> tuple[str, str] | None:
    issue = repo.issues.get(int(number))
    if issue is None:
        return None
    rows: dict[str, Any] = {"state": issue.state, "author": issue.user, "labels": ", ".join(issue.labels) or "—",
                            "created": issue.created_at}
    pull = repo.pulls.get(issue.number) if issue.is_pull else None
    if pull is not None:
        rows.update({"branches": f"{pull.head} → {pull.base}", "head": pull.head_sha[:10],
                     "merged": f"yes, {pull.merged_at} ({(pull.merge_commit_sha or '')[:10]})" if pull.merged else "no"})
    comments = "".join(f"<h3>{esc(c.user)} · {esc(c.created_at)}</h3><pre>{esc(c.body)}</pre>" for c in issue.comments)
    kind = "Pull request" if pull is not None else "Issue"
    return f"{kind} #{issue.number}: {issue.title}", facts(rows) + f"<pre>{esc(issue.body or '')}</pre>" + comments


def run_page(sb: Any, repo: Any, run_id: str) -> tuple[str, str] | None:
    run = repo.runs.get(int(run_id))
    if run is None or not run.attempts:
        return None
    latest = run.latest
    rows = {"workflow": run.path, "branch": run.head_branch, "commit": run.head_sha[:10], "event": run.event,
            "attempt": latest.number, "status": latest.status, "conclusion": latest.conclusion or "—",
            "created": latest.created_at, "updated": latest.updated_at}
    jobs = "".join(f"<li>{esc(j.name)}: {esc(j.conclusion or j.status)}</li>" for j in latest.jobs)
    return f"Run {run.id} · {run.name}", facts(rows) + (f"<h2>Jobs</h2><ul>{jobs}</ul>" if jobs else "")


def commit_page(sb: Any, repo: Any, sha: str) -> tuple[str, str] | None:
    found = next((c for s, c in repo.commits.items() if s.startswith(sha)), None)
    if found is None:
        return None
    return f"Commit {found.sha[:10]}", facts({"author": found.author, "date": found.date}) + \
        f"<pre>{esc(found.message)}</pre>"
