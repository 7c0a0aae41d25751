"""What the agent writes on GitHub: issue and pull-request texts with their hidden markers, redacted."""

from __future__ import annotations

import re
from typing import Any

from agent.knowledge import KnowledgeBase
from agent.logs.redact import redact
from agent.models import Diagnosis, IssueDraft, Plan

MAX_ROOT_LINES = 20
MAX_EXCERPT_CHARS = 6000
MAX_BODY_CHARS = 60000
_MARKER = re.compile(r"<!--\s*devops-agent:")


def pr_marker(plan_id: str, signature: str) -> str:
    """The hidden marker that finds the agent's pull request for a plan again."""
    return f"<!-- devops-agent:plan={plan_id} signature={signature} -->"


def fix_key_marker(key: str) -> str:
    """The hidden line that lets a later, stateless run find a fix a human closed (agent.github.record)."""
    return f"<!-- devops-agent:fix-key={key} -->"


def issue_marker(signature: str) -> str:
    """The hidden marker that finds the one issue per failure signature."""
    return f"<!-- devops-agent:signature={signature} -->"


def clean(text: str) -> str:
    """Redacted text, with any marker look-alike from a log neutralised."""
    return _MARKER.sub("<!- - devops-agent:", redact(text or "")[0])


def fenced(text: str, lang: str = "text") -> str:
    """A code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def run_link(run: dict[str, Any]) -> str:
    """The run's web URL, with its attempt."""
    url = run.get("html_url") or f"run {run.get('id')}"
    return f"{url} (attempt {run.get('run_attempt') or 1})"


def _guides(diagnosis: Diagnosis, kb: KnowledgeBase | None) -> list[str]:
    cited = []
    issue = kb.get(diagnosis.known_issue.id) if kb is not None and diagnosis.known_issue else None
    if issue is not None and issue.guide:
        cited.append(f"- `guides/{issue.guide}` ({issue.title})")
    cited += [f"- `guides/{g.guide}#{g.anchor}` ({g.title})" for g in diagnosis.guides]
    return cited


def failure_sections(diagnosis: Diagnosis, kb: KnowledgeBase | None = None) -> str:
    """Root cause, failed steps, the redacted excerpt and the guides cited, as Markdown."""
    roots = "\n".join(diagnosis.root_cause_lines[:MAX_ROOT_LINES]) or "(no root-cause line found)"
    steps = "\n".join(f"- `{s.job}` / `{s.step}`" for s in diagnosis.failed_steps) or "- (none reported)"
    excerpt = diagnosis.excerpt[-MAX_EXCERPT_CHARS:] or "(empty)"
    guides = "\n".join(_guides(diagnosis, kb)) or "- (no guide section matched)"
    return (f"### Root cause\n{fenced(clean(roots))}\n\n### Failed steps\n{clean(steps)}\n\n"
            f"### Log excerpt (redacted)\n<details><summary>failure window</summary>\n\n{fenced(clean(excerpt))}\n"
            f"\n</details>\n\n### Guides\n{guides}\n")


def _known(diagnosis: Diagnosis) -> str:
    ref = diagnosis.known_issue
    return f"`{ref.id}` (confidence {ref.confidence:.2f})" if ref else "none (a novel failure)"


def issue_draft(diagnosis: Diagnosis, repo: str, run: dict[str, Any], kb: KnowledgeBase | None = None) -> IssueDraft:
    """One issue per failure signature: what failed, where, why, and the hidden marker."""
    what = diagnosis.title or str(diagnosis.category)
    title = clean(f"CI failure: {what} [{diagnosis.signature[:8]}]")[:200]
    header = (f"**Workflow:** `{run.get('name')}` (`{run.get('path')}`)  \n**Run:** {run_link(run)}  \n"
              f"**Branch:** `{run.get('head_branch')}` at `{str(run.get('head_sha'))[:10]}`  \n"
              f"**Category:** `{diagnosis.category}`  \n**Signature:** `{diagnosis.signature}`  \n"
              f"**Known issue:** {_known(diagnosis)}\n\n")
    body = f"## {clean(what)}\n\n{clean(header)}{failure_sections(diagnosis, kb)}"
    labels = ["devops-agent", "ci-failure", str(diagnosis.category)]
    return IssueDraft(title=title, body=body[:MAX_BODY_CHARS] + "\n" + issue_marker(diagnosis.signature),
                      labels=labels)


def escalation_body(plan: Plan, reason: str) -> str:
    """The issue body: the draft with why a human is needed, the marker kept last."""
    draft = plan.issue
    body = draft.body if draft else f"Failure signature `{plan.signature}`.\n"
    marker = issue_marker(plan.signature)
    core = body.replace(marker, "").rstrip()
    return f"{core}\n\n### Why a human is needed\n{clean(reason)}\n\n{marker}"


def repeat_comment(run: dict[str, Any], diagnosis_title: str | None) -> str:
    """The comment a repeat of a known signature adds to its issue."""
    return clean(f"The same failure happened again: {run_link(run)} on `{run.get('head_branch')}` "
                 f"(`{str(run.get('head_sha'))[:10]}`).{' ' + diagnosis_title if diagnosis_title else ''}")


def pr_title(plan: Plan) -> str:
    """A pull request title naming the known issue and the template."""
    what = plan.known_issue_id or plan.category
    how = plan.fix.template if plan.fix else "fix"
    return clean(f"devops-agent: fix {what} ({how})")[:200]


def pr_body(plan: Plan, diagnosis: Diagnosis | None, decision_text: str, run: dict[str, Any],
            kb: KnowledgeBase | None = None) -> str:
    """Root cause, redacted excerpt, the diff's rationale, the evidence, the gate's decision, the marker."""
    failure = failure_sections(diagnosis, kb) if diagnosis else "### Root cause\n(see the run)\n"
    fix = plan.fix
    evidence = (f"- Known issue: `{plan.known_issue_id or '-'}`\n- Confidence: {plan.confidence:.2f} "
                f"({plan.source} plan)\n- Template: `{fix.template if fix else '-'}` with `{fix.params if fix else {}}`\n"
                f"- Files: {', '.join(f'`{e.path}`' for e in plan.edits)}\n")
    body = (f"## Why\nThe run {run_link(run)} of `{run.get('path')}` failed with signature "
            f"`{plan.signature}`.\n\n{failure}\n## The change\n{clean(plan.rationale)}\n\n"
            f"{fenced(clean(plan.diff)[:MAX_EXCERPT_CHARS], 'diff')}\n\n## Evidence\n{clean(evidence)}\n"
            f"## Gate decision\n{clean(decision_text)}\n")
    from agent.policy.fixkey import fix_key

    return body[:MAX_BODY_CHARS] + "\n" + fix_key_marker(fix_key(plan)) + "\n" + pr_marker(plan.id, plan.signature)
