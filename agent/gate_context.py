"""The gate's view of a run: who triggered it, from where, and what the agent already did (usage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.models import Action, Plan
from agent.policy import GateContext
from agent.policy.deploy import deploy_paths_at

FAILING = frozenset({"failure", "timed_out", "startup_failure"})
"""Run conclusions the agent handles; success, cancelled, skipped… are ignored."""
FILE_WRITES = frozenset({Action.auto_fix, Action.pull_request})
TRUST_ORDER = ("OWNER", "MEMBER", "COLLABORATOR", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER",
               "MANNEQUIN", "NONE")
"""author_association values, most trusted first."""


def association_of(run: dict[str, Any]) -> str | None:
    """The run's author association (top level, else on its actor); None is untrusted (fail closed)."""
    return run.get("author_association") or (run.get("actor") or {}).get("author_association")


def trust_of(gh: Any, full_name: str, who: dict[str, Any] | None, given: str | None = None) -> str | None:
    """The association the payload gives, else GitHub's answer for the login; None (untrusted) without either."""
    login = (who or {}).get("login")
    if given or not login or gh is None:
        return given
    return gh.actor_association(full_name, login)


def least_trusted(associations: list[str | None], trusted: set[str]) -> str | None:
    """The association that decides: any untrusted one (None included), else the weakest trusted one."""
    for association in associations:
        if association not in trusted:
            return association
    return max(associations, key=lambda a: TRUST_ORDER.index(a) if a in TRUST_ORDER else len(TRUST_ORDER))


def agent_triggered(store: Any, full_name: str, run: dict[str, Any]) -> bool:
    """True when this attempt is the agent's own re-run (its triggering actor is the agent itself)."""
    attempt = int(run.get("run_attempt") or 1)
    if attempt == 1 or store is None:
        return False
    done = store.actions(kind="rerun", repo=full_name, run_id=int(run["id"]), status="done")
    return any(str(row.get("ref")) == str(attempt) for row in done)


def resolve_association(pipeline: Any, full_name: str, run: dict[str, Any]) -> str | None:
    """The run's trust: the weaker of its actor's and its triggering actor's association (payload, else GitHub)."""
    gh, actor = getattr(pipeline, "gh", None), run.get("actor") or {}
    found = [trust_of(gh, full_name, actor, association_of(run))]
    trigger = run.get("triggering_actor") or {}
    if trigger.get("login") and trigger.get("login") != actor.get("login") and not agent_triggered(
            pipeline.store, full_name, run):
        found.append(trust_of(gh, full_name, trigger, trigger.get("author_association")))
    return least_trusted(found, set(pipeline.policy.actors.trusted_associations))


def is_fork(full_name: str, run: dict[str, Any]) -> bool:
    """True when the run's head repository is not the repository itself."""
    head = (run.get("head_repository") or {}).get("full_name")
    return bool(head) and head.lower() != full_name.lower()


def created_at(run: dict[str, Any]) -> datetime | None:
    stamp = run.get("created_at")
    if not stamp:
        return None
    return datetime.fromisoformat(str(stamp))


def run_fields(run: dict[str, Any]) -> dict[str, Any]:
    """The columns `store.claim_run` keeps about a run."""
    return {"workflow": run.get("path"), "head_branch": run.get("head_branch"), "head_sha": run.get("head_sha"),
            "event": run.get("event"), "actor": (run.get("actor") or {}).get("login"),
            "association": association_of(run), "conclusion": run.get("conclusion")}


def gate_context(pipeline: Any, full_name: str, run: dict[str, Any], plan: Plan,
                 origin: dict[str, Any] | None = None) -> GateContext:
    """Everything decide() needs besides the plan. `origin` (a stored run row) stands in for the actor
    and event when the agent acts on its own earlier fix (a rollback is made on the original run's behalf)."""
    store, now, gh = pipeline.store, pipeline.now(), getattr(pipeline, "gh", None)
    association, event = resolve_association(pipeline, full_name, run), run.get("event")
    if origin:
        association = (origin.get("association") or trust_of(gh, full_name, {"login": origin.get("actor")})
                       or association)
        event = origin.get("event") or event
    pulls = own_pulls(pipeline, full_name)
    return GateContext(
        policy=pipeline.policy, actor_association=association, event=event, head_branch=run.get("head_branch"),
        is_fork=is_fork(full_name, run), repo_labels=gh.repo_labels(full_name) if gh is not None else [],
        usage=usage_for(pipeline, full_name, run, plan, now, pulls),
        closed_fix_keys=closed_keys_for(pipeline, full_name, pulls),
        symlinks=symlinks_for(gh, full_name, run, plan), deploy_paths=deploy_paths_for(gh, full_name, run, plan),
        run_created_at=created_at(run), now=now, paused=paused_reason(store, full_name),
        approved_by=approval_of(store, plan),
    )


def approval_key(plan_id: str) -> str:
    return f"approved:{plan_id}"


def approval_of(store: Any, plan: Plan) -> str | None:
    """Who approved the plan on the digest issue (stored, so every re-asked gate sees it); None: nobody."""
    found = store.get_kv(approval_key(plan.id)) if store is not None and hasattr(store, "get_kv") else None
    return str(found) if found else None


def paused_reason(store: Any, full_name: str) -> str | None:
    """Why `agent pause` stopped writes to the repository, read fresh from the store; no store: not paused."""
    return store.paused(full_name) if store is not None and hasattr(store, "paused") else None


def deploy_paths_for(gh: Any, full_name: str, run: dict[str, Any], plan: Plan) -> dict[str, str]:
    """Workflows that deploy or publish, and what they call, at the plan's commit (only for file writes)."""
    if gh is None or plan.action not in FILE_WRITES or not plan.edits:
        return {}
    return deploy_paths_at(gh, full_name, run.get("head_sha") or gh.repo_info(full_name)["default_branch"])


def symlinks_for(gh: Any, full_name: str, run: dict[str, Any], plan: Plan) -> set[str]:
    """The symlinks at the commit the plan's edits were made from (only a plan that writes files needs them)."""
    if gh is None or plan.action not in FILE_WRITES or not plan.edits:
        return set()
    ref = run.get("head_sha") or gh.repo_info(full_name)["default_branch"]
    return gh.list_symlinks(full_name, ref)


def own_pulls(pipeline: Any, full_name: str) -> list[dict[str, Any]] | None:
    """In stateless mode (the GitHub Action) the agent's own PRs on GitHub, read once per context; else None."""
    if not getattr(pipeline, "stateless", False):
        return None
    from agent.github.record import agent_pulls

    return agent_pulls(pipeline.gh, full_name, pipeline.policy.actors.branch_prefix)


def usage_for(pipeline: Any, full_name: str, run: dict[str, Any], plan: Plan, now: datetime,
              pulls: list[dict[str, Any]] | None = None) -> Any:
    """The store's counters, raised to what the agent's own PRs on GitHub show when `pulls` are given."""
    from agent.policy import Usage

    store, policy = pipeline.store, pipeline.policy
    counts = store.usage(full_name, plan.signature, run.get("id"), now=now,
                         scope=policy.rate_limits.scope, exclude_plan=plan.id).model_dump()
    if pulls is not None:
        from agent.github.record import merged_counts, usage_counts

        counts = merged_counts(counts, usage_counts(pulls, plan.signature, run, now))
    return Usage(**counts)


def closed_keys_for(pipeline: Any, full_name: str, pulls: list[dict[str, Any]] | None = None) -> set[str]:
    """Fix keys a human closed unmerged: the store's, and those the agent's PRs on GitHub record (`pulls`)."""
    keys = set(pipeline.store.closed_fix_keys(full_name))
    if pulls is not None:
        from agent.github.record import closed_fix_keys

        keys |= closed_fix_keys(pulls)
    return keys
