"""Run eval cases through the whole pipeline against one sandbox GitHub, a fresh store per case."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.evals.cases import CaseSpec
from agent.evals.models import make_model
from agent.evals.observe import Observation, Seeded, from_result, observe_sandbox, seed
from agent.evals.scoring import CaseResult, score_case
from agent.knowledge import KnowledgeBase, load_known_issues
from agent.policy import Policy, load_policy

CI_DELAY = 0.05
"""Seconds from queued to completed for a simulated CI run."""
CI_TIMEOUT = 30.0
"""How long the pipeline waits to verify a fix, and the eval for a case's simulated runs afterwards."""
POLL_INTERVAL = 0.02
"""How often the pipeline polls the simulated CI while verifying a fix."""


@contextmanager
def agent_home(path: Path) -> Iterator[None]:
    """Point AGENT_HOME (and AGENT_DB) at `path` for the duration of one case."""
    saved = {key: os.environ.get(key) for key in ("AGENT_HOME", "AGENT_DB")}
    os.environ["AGENT_HOME"], os.environ["AGENT_DB"] = str(path), str(path / "agent.db")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def failed_rerun_attempt(sb: Any, seeded: Seeded, result: Any) -> int | None:
    """The new attempt number when the agent re-ran the run and that attempt failed too (the daemon's next event)."""
    if getattr(result, "status", None) != "rerun":
        return None
    with sb.lock:
        run = sb.repo(seeded.full_name).runs.get(seeded.run_id)
        if run is None or len(run.attempts) < 2 or run.latest.conclusion != "failure":
            return None
        return len(run.attempts)


class EvalRunner:
    """Loads each case into a fresh sandbox repository, runs `Pipeline.handle_run`, observes, scores."""

    def __init__(self, model_kind: str = "offline", policy: Policy | None = None, kb: KnowledgeBase | None = None,
                 ci_delay: float = CI_DELAY, ci_timeout: float = CI_TIMEOUT,
                 on_case: Callable[[CaseSpec, CaseResult], None] | None = None):
        self.model_kind, self.ci_delay, self.ci_timeout = model_kind, ci_delay, ci_timeout
        self.policy = policy if policy is not None else load_policy()
        self.kb = kb if kb is not None else load_known_issues()
        self.on_case = on_case

    def run(self, cases: list[CaseSpec]) -> list[CaseResult]:
        """Every case, in order, in one sandbox."""
        from agent.sandbox import Sandbox

        results = []
        with Sandbox(ci_delay=self.ci_delay) as sb:
            for case in cases:
                results.append(self.run_case(sb, case))
                if self.on_case:
                    self.on_case(case, results[-1])
        return results

    def run_case(self, sb: Any, case: CaseSpec) -> CaseResult:
        """One case in its own repository, AGENT_HOME and store."""
        from agent.sandbox.ratelimit import RateLimits

        sb.limits = RateLimits()  # each case is scored as if it had the API to itself: no budget carried over
        with tempfile.TemporaryDirectory(prefix=f"eval-{case.id[:40]}-") as home, agent_home(Path(home)):
            obs = self.execute(sb, case, Path(home))
        return score_case(case, obs, self.policy)

    def execute(self, sb: Any, case: CaseSpec, home: Path) -> Observation:
        """Seed the case, handle its failed run, wait for the simulated CI, and observe."""
        from agent.store import Store

        seeded = seed(sb, case.dir)
        store, model, obs = Store(home / "agent.db"), make_model(self.model_kind, case.dir), Observation()
        try:
            result = self.handle(sb, seeded, store, model, obs)
            observe_sandbox(sb, seeded, case.fixed_when, obs)
        finally:
            store.close()
        obs.llm_input_tokens = model.input_tokens if model is not None else 0
        return from_result(result, obs, case.wrong_fixes)

    def handle(self, sb: Any, seeded: Seeded, store: Any, model: Any, obs: Observation) -> Any:
        """`Pipeline.handle_run` on the case's run, then wait for CI; a crash becomes `obs.error`."""
        from agent.github import GitHub
        from agent.pipeline import Pipeline

        began, result = time.perf_counter(), None
        try:
            pipeline = Pipeline(GitHub(base_url=sb.url, token=sb.token), store, self.policy, kb=self.kb, model=model,
                                verify_timeout=self.ci_timeout, poll_interval=POLL_INTERVAL)
            result = pipeline.handle_run(seeded.full_name, seeded.run_id)
            sb.wait_for_runs(seeded.full_name, timeout=self.ci_timeout)
            attempt = failed_rerun_attempt(sb, seeded, result)
            if attempt is not None:
                result = pipeline.handle_run(seeded.full_name, seeded.run_id, attempt)
                sb.wait_for_runs(seeded.full_name, timeout=self.ci_timeout)
        except Exception as exc:  # noqa: BLE001 - a crashing case is scored as an error, the suite goes on
            obs.error = f"{type(exc).__name__}: {exc}"
        obs.seconds = time.perf_counter() - began
        return result
