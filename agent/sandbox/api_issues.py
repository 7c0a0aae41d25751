"""Issues: create, list, get, edit/close, comments, labels, and issue search."""

from __future__ import annotations

import json
import re
from typing import Any

from agent.sandbox import gitops, shapes
from agent.sandbox.api_pulls import set_state
from agent.sandbox.model import Comment, Issue, now_iso
from agent.sandbox.routing import (
    ApiError,
    Request,
    Response,
    paged_list,
    paged_wrapped,
    repo_of,
    require,
    route,
)


def issue_or_404(repo: Any, req: Request) -> Issue:
    issue = repo.issues.get(req.int_param("number"))
    if issue is None:
        raise ApiError(404, "Not Found")
    return issue


@route("POST", "/repos/{owner}/{repo}/issues")
def create_issue(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    require(body, "title")
    number = repo.next_number
    repo.next_number += 1
    issue = Issue(id=sb.state.new_id(), number=number, title=body["title"], body=body.get("body"),
                  user=req.token.login, labels=_label_names(body.get("labels")),
                  assignees=list(body.get("assignees") or []))
    repo.issues[number] = issue
    return Response(201, shapes.issue(sb.url, repo, issue))


def _label_names(labels: Any) -> list[str]:
    names = [label["name"] if isinstance(label, dict) else str(label) for label in labels or []]
    return list(dict.fromkeys(names))


@route("GET", "/repos/{owner}/{repo}/issues")
def list_issues(sb: Any, req: Request) -> Response:
    repo, q = repo_of(sb, req), req.query
    state = q.get("state", "open")
    wanted = {name.strip() for name in q.get("labels", "").split(",") if name.strip()}
    items = [shapes.issue(sb.url, repo, issue) for _, issue in sorted(repo.issues.items(), reverse=True)
             if (state == "all" or issue.state == state) and wanted <= set(issue.labels)
             and (not q.get("creator") or issue.user == q["creator"])
             and (not q.get("assignee") or q["assignee"] in issue.assignees)]
    return paged_list(sb, req, items)


@route("GET", "/repos/{owner}/{repo}/issues/{number}")
def get_issue(sb: Any, req: Request) -> dict[str, Any]:
    repo = repo_of(sb, req)
    return shapes.issue(sb.url, repo, issue_or_404(repo, req))


@route("PATCH", "/repos/{owner}/{repo}/issues/{number}")
def update_issue(sb: Any, req: Request) -> dict[str, Any]:
    repo, body = repo_of(sb, req), req.json()
    issue = issue_or_404(repo, req)
    for key in ("title", "body"):
        if key in body:
            setattr(issue, key, body[key])
    if "labels" in body:
        issue.labels = _label_names(body["labels"])
    if "assignees" in body:
        issue.assignees = list(body["assignees"] or [])
    if body.get("state") in ("open", "closed") and body["state"] != issue.state:
        if issue.is_pull and repo.pulls[issue.number].merged:
            raise ApiError(422, "Validation Failed")
        set_state(issue, body["state"], body.get("state_reason"))
    issue.updated_at = now_iso()
    return shapes.issue(sb.url, repo, issue)


CLOSING_KEYWORD = re.compile(r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b")
"""GitHub's closing keywords: a merged PR or a default-branch commit saying `Fixes #N` closes issue N."""


def closing_commit(repo: Any, number: int) -> str | None:
    """The commit that closed issue `number`: a merged PR's merge commit, else a default-branch commit."""
    for pull in repo.pulls.values():
        text = f"{repo.issues[pull.number].title}\n{repo.issues[pull.number].body or ''}"
        if pull.merged and str(number) in CLOSING_KEYWORD.findall(text):
            return pull.merge_commit_sha
    head = repo.branches.get(repo.default_branch)
    for sha in gitops.ancestors(repo, head) if head else []:
        if str(number) in CLOSING_KEYWORD.findall(repo.commits[sha].message):
            return sha
    return None


@route("GET", "/repos/{owner}/{repo}/issues/{number}/events")
def list_issue_events(sb: Any, req: Request) -> Response:
    """The issue's `closed` event (with the closing commit's id when a commit or PR closed it)."""
    repo = repo_of(sb, req)
    issue = issue_or_404(repo, req)
    events = []
    if issue.state == "closed":
        commit = closing_commit(repo, issue.number)
        events.append({"id": issue.id * 10 + 1, "event": "closed", "commit_id": commit,
                       "commit_url": f"{sb.url}/repos/{repo.full_name}/commits/{commit}" if commit else None,
                       "actor": shapes.user(sb.url, repo.owner), "created_at": issue.closed_at})
    return paged_list(sb, req, events)


@route("GET", "/repos/{owner}/{repo}/issues/{number}/comments")
def list_comments(sb: Any, req: Request) -> Response:
    repo = repo_of(sb, req)
    issue = issue_or_404(repo, req)
    return paged_list(sb, req, [shapes.comment(sb.url, repo, issue.number, c) for c in issue.comments])


@route("POST", "/repos/{owner}/{repo}/issues/{number}/comments")
def create_comment(sb: Any, req: Request) -> Response:
    repo, body = repo_of(sb, req), req.json()
    issue = issue_or_404(repo, req)
    require(body, "body")
    comment = Comment(id=sb.state.new_id(), body=body["body"], user=req.token.login)
    issue.comments.append(comment)
    issue.updated_at = now_iso()
    return Response(201, shapes.comment(sb.url, repo, issue.number, comment))


@route("GET", "/repos/{owner}/{repo}/issues/{number}/labels")
def list_labels(sb: Any, req: Request) -> list[dict[str, Any]]:
    repo = repo_of(sb, req)
    return [shapes.label(sb.url, repo, name) for name in issue_or_404(repo, req).labels]


@route("POST", "/repos/{owner}/{repo}/issues/{number}/labels")
@route("PUT", "/repos/{owner}/{repo}/issues/{number}/labels")
def add_labels(sb: Any, req: Request) -> list[dict[str, Any]]:
    repo = repo_of(sb, req)
    issue = issue_or_404(repo, req)
    try:
        data = json.loads(req.body or b"[]")
    except ValueError as exc:
        raise ApiError(400, "Problems parsing JSON") from exc
    new = _label_names(data.get("labels") if isinstance(data, dict) else data)
    issue.labels = new if req.method == "PUT" else _label_names(issue.labels + new)
    return [shapes.label(sb.url, repo, name) for name in issue.labels]


@route("DELETE", "/repos/{owner}/{repo}/issues/{number}/labels/{name*}")
def remove_label(sb: Any, req: Request) -> list[dict[str, Any]]:
    repo = repo_of(sb, req)
    issue = issue_or_404(repo, req)
    if req.params["name"] not in issue.labels:
        raise ApiError(404, "Label does not exist")
    issue.labels.remove(req.params["name"])
    return [shapes.label(sb.url, repo, name) for name in issue.labels]


QUALIFIER = re.compile(r'(-?)(\w+):("[^"]*"|\S+)|"([^"]*)"|(\S+)')


def parse_query(q: str) -> tuple[list[str], dict[str, list[str]]]:
    """Search terms (quoted phrases kept whole) and qualifiers like repo:, is:, in:, label:."""
    terms: list[str] = []
    quals: dict[str, list[str]] = {}
    for neg, key, value, phrase, word in QUALIFIER.findall(q):
        if key:
            quals.setdefault(neg + key.lower(), []).append(value.strip('"'))
        elif phrase or word:
            terms.append(phrase or word)
    return terms, quals


def _matches(repo: Any, issue: Issue, terms: list[str], quals: dict[str, list[str]]) -> bool:
    fields = [f for value in quals.get("in") or ["title,body"] for f in value.split(",")]
    text = " ".join((getattr(issue, f, "") or "") for f in fields if f in ("title", "body")).lower()
    kinds = {"issue": not issue.is_pull, "pr": issue.is_pull, "open": issue.state == "open",
             "closed": issue.state == "closed"}
    checks = [all(t.lower() in text for t in terms),
              all(kinds.get(v, True) for v in quals.get("is", []) + quals.get("type", []) + quals.get("state", [])),
              all(label in issue.labels for label in quals.get("label", [])),
              all(label not in issue.labels for label in quals.get("-label", [])),
              all(issue.user == a for a in quals.get("author", []))]
    return all(checks)


@route("GET", "/search/issues")
def search_issues(sb: Any, req: Request) -> Response:
    terms, quals = parse_query(req.query.get("q", ""))
    if not terms and not quals:
        raise ApiError(422, "Validation Failed", [{"resource": "Search", "field": "q", "code": "missing"}])
    names = {n.lower() for n in quals.get("repo", [])}
    items = [dict(shapes.issue(sb.url, repo, issue), score=1.0)
             for key, repo in sorted(sb.state.repos.items()) if not names or key in names
             for _, issue in sorted(repo.issues.items(), reverse=True) if _matches(repo, issue, terms, quals)]
    return paged_wrapped(sb, req, "items", items, incomplete_results=False)
