"""Logs + known issues → Diagnosis: what failed, why, and what to do about it (ARCHITECTURE 3.3)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from agent.config import guides_dir
from agent.knowledge import IssueMatch, KnowledgeBase, load_known_issues
from agent.knowledge.resolve import resolve_fix
from agent.knowledge.transient import boundary_decision
from agent.logs.clean import clip
from agent.logs.excerpt import EXCERPT_LINE_CHARS
from agent.logs.model import DEFAULT_LIMITS, Limits, RunLog
from agent.logs.reader import Source, read_log
from agent.logs.signature import failure_signature, normalise_line
from agent.logs.window import Window, failure_window
from agent.models import TRANSIENT_CATEGORIES, Action, Category, Diagnosis, FixSpec, GuideRef, KnownIssueRef

if TYPE_CHECKING:  # the guide index loads only when guides are cited (start-up of `agent triage`)
    from agent.rag.repo_guides import RepoGuides
    from agent.rag.textstore import TextStore

AUTO_FIX_CONFIDENCE = 0.90
PULL_REQUEST_CONFIDENCE = 0.60


def propose_action(category: Category, confidence: float, fix: FixSpec | None,
                   high: float = AUTO_FIX_CONFIDENCE, medium: float = PULL_REQUEST_CONFIDENCE) -> Action:
    """Transient → rerun; else the confidence tier (`high`/`medium` thresholds) of a known fix; no fix → escalate."""
    if category in TRANSIENT_CATEGORIES:
        return Action.rerun
    if fix is None:
        return Action.escalate
    if confidence >= high:
        return Action.auto_fix
    return Action.pull_request if confidence >= medium else Action.escalate


def _fix_of(match: IssueMatch | None, repo_dir: str | Path | None) -> FixSpec | None:
    if match is None or match.issue.fix is None:
        return None
    fix = FixSpec(template=match.issue.fix.template, params=match.params)
    if repo_dir is not None:
        fix = resolve_fix(fix, repo_dir)
    wrong = {(w.template, repr(sorted(w.params.items()))) for w in match.issue.known_wrong_fixes}
    return None if (fix.template, repr(sorted(fix.params.items()))) in wrong else fix


def _title(match: IssueMatch | None, window: Window, category: Category) -> str:
    if match:
        return match.issue.title
    where = f" in {window.failed_steps[0].job} / {window.failed_steps[0].step}" if window.failed_steps else ""
    return f"{category.value.replace('_', ' ')}{where}"


def _line_order(run: RunLog, window: Window):
    """Sort key for (step, index, is_cause): failing steps before continue-on-error ones, evidence first, each
    group in the window's rank order (lines the window did not rank after them, in log order)."""
    failed = {id(step): n for n, step in enumerate(window.failed)}
    in_run = {id(step): n for n, step in enumerate(run.steps)}
    context = {id(step) for step in window.continued}
    ranked = {(id(c.step), c.index): n for n, c in enumerate(window.causes)}

    def key(line: tuple) -> tuple:
        step, index, is_cause = line[:3]
        rank = ranked.get((id(step), index), len(ranked))
        return id(step) in context, is_cause, rank, failed.get(id(step), len(failed)), in_run[id(step)], index

    return key


def root_cause_lines(run: RunLog, window: Window, match: IssueMatch | None) -> list[str]:
    """The window's root-cause lines plus the known issue's evidence: the failing step's first (evidence
    leading, in log order; then the ranked lines), then the continue-on-error steps' lines."""
    if match is None:
        return window.root_cause_lines
    found = {(id(c.step), c.index): (c.step, c.index, 1, text) for c, text in zip(window.causes, window.root_cause_lines)}
    for hit in match.hits:
        found[(id(hit.step), hit.index)] = (hit.step, hit.index, 0, clip(hit.text, EXCERPT_LINE_CHARS))
    return [line[3] for line in sorted(found.values(), key=_line_order(run, window))]


FALLBACK_TAIL_LINES = 5
"""Last output lines of a failed step that stand for its failure when no cause line was found."""


def fallback_signature_lines(run: RunLog, window: Window) -> list[str]:
    """Failed job/step names and the normalised last output lines of those steps (or of the run's last step)."""
    main = [step for step in run.steps if not step.is_post]
    steps = window.failed or main[-1:] or run.steps[-1:]
    lines = []
    for step in steps:
        lines.append(f"step: {step.job} / {step.name}")
        tail = [line.text for line in step.lines if line.text.strip() and not line.text.startswith(("##[", "[truncated "))]
        lines += [normalise_line(text) for text in tail[-FALLBACK_TAIL_LINES:]]
    return lines


GUIDES_CITED = 3
QUERY_LINES = 3
_STORE_LOCK = threading.Lock()


GUIDES_CACHE_VERSION = 1
GUIDES_CACHE_KEEP = 4


@lru_cache(maxsize=4)
def _guide_store(folder: str, stamp: tuple, repo_guides: RepoGuides | None = None) -> TextStore:
    """The guides' sections (and the watched repository's own) in a BM25 table: the shipped guides' table
    is kept under cache_dir() (a CLI start-up reuses it), one with a repository's guides is built in memory."""
    cached = _cached_guide_store(folder, stamp) if repo_guides is None else None
    return cached or _built_store(Path(":memory:"), folder, repo_guides)


def _built_store(path: Path, folder: str, repo_guides: RepoGuides | None) -> TextStore:
    from agent.rag.sources import collect_chunks, guide_source
    from agent.rag.textstore import TextStore

    store = TextStore(path)
    store.apply(collect_chunks([guide_source(Path(folder))]) + (repo_guides.chunks() if repo_guides else []), [])
    return store


def _cached_guide_store(folder: str, stamp: tuple) -> TextStore | None:
    """The shipped guides' table from cache_dir(), built there first if missing (an atomic rename, so a
    reader never sees half a table); None when the cache cannot be used."""
    import sqlite3

    from agent.config import cache_dir, prune_cache
    from agent.errors import ConfigError
    from agent.rag.textstore import TextStore

    key = hashlib.sha256(json.dumps([GUIDES_CACHE_VERSION, folder, stamp]).encode("utf-8")).hexdigest()[:24]
    try:
        root = cache_dir()
        path = root / f"guides-{key}.sqlite"
        if path.is_file():
            try:
                store = TextStore(path)
                if store.count():
                    return store
                store.close()
            except sqlite3.Error:
                pass
            path.unlink(missing_ok=True)
        partial = root / f"guides-{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            _built_store(partial, folder, None).close()
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        prune_cache(root, "guides-*.sqlite", GUIDES_CACHE_KEEP, siblings=("-wal", "-shm"))
        return TextStore(path)
    except (OSError, sqlite3.Error, ConfigError):
        return None


def guide_store(repo_guides: RepoGuides | None = None) -> TextStore:
    """The BM25 table of the current guides, rebuilt when a guide file changes."""
    folder = guides_dir()
    files = sorted(folder.glob("*.md")) if folder.is_dir() else []
    stamp = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    return _guide_store(str(folder), stamp, repo_guides or None)


def _guide_query(causes: list[str], match: IssueMatch | None) -> str:
    from agent.rag.chunks import strip_log_framing

    lines = [line for line in causes if not line.lstrip().startswith("##[error]Process completed")]
    head = " ".join(lines[: 1 if match else QUERY_LINES])
    return strip_log_framing(f"{match.issue.title} {head}" if match else head)


def _own_guide_hits(ranked: list[tuple[str, float]]) -> list[str]:
    """The best hit among the repository's own guides (their module is loaded: the caller holds them)."""
    from agent.rag.repo_guides import REPO_GUIDE_KIND

    return [chunk_id for chunk_id, _ in ranked if chunk_id.startswith(f"{REPO_GUIDE_KIND}:")][:1]


def cite_guides(causes: list[str], match: IssueMatch | None, k: int = GUIDES_CITED,
                repo_guides: RepoGuides | None = None) -> list[GuideRef]:
    """Guide sections for the failure: the known issue's `guide:` link first, then the best section of the
    repository's own guides (when given and matching), then BM25 hits of its title (or root-cause lines)."""
    store = guide_store(repo_guides)
    linked = f"guide:{match.issue.guide}" if match and match.issue.guide else None
    with _STORE_LOCK:  # one cached connection shared by the daemon's threads
        ranked = store.bm25(_guide_query(causes, match), k + 1 + (2 * k if repo_guides else 0))
        own = _own_guide_hits(ranked) if repo_guides else []
        ids = list(dict.fromkeys(([linked] if linked else []) + own + [chunk_id for chunk_id, _ in ranked]))[:k]
        chunks = store.chunks(ids)
    scores = dict(ranked)
    return [GuideRef(guide=chunks[i].guide, anchor=chunks[i].anchor, title=chunks[i].title,
                     score=round(scores.get(i, 0.0), 4), **(repo_guides.origin(chunks[i]) if repo_guides else {}))
            for i in ids if i in chunks]


def diagnose(run: RunLog, window: Window, match: IssueMatch | None, repo_dir: str | Path | None = None,
             repo_guides: RepoGuides | None = None) -> Diagnosis:
    """The diagnosis for a run's failure window and its best known-issue match (if any)."""
    category = match.issue.category if match else window.category
    boundary = boundary_decision(run, window, match.issue if match else None)  # transient or real: ends of the job
    category = boundary[0] if boundary else category
    fix = _fix_of(match, repo_dir)
    confidence = match.issue.confidence if match else 0.0
    causes = root_cause_lines(run, window, match)
    return Diagnosis(
        signature=failure_signature(causes or fallback_signature_lines(run, window)),
        category=category,
        known_issue=KnownIssueRef(id=match.issue.id, confidence=confidence) if match else None,
        title=_title(match, window, category),
        proposed_action=boundary[1] if boundary else Action(match.issue.action) if match and match.issue.action
        else propose_action(category, confidence, fix),
        fix=fix,
        known_wrong_fixes=[FixSpec(template=w.template, params=w.params) for w in match.issue.known_wrong_fixes]
        if match else [],
        root_cause_lines=causes,
        excerpt=window.excerpt,
        failed_steps=window.failed_steps,
        redactions=window.redactions,
        truncated_bytes=window.truncated_bytes,
        guides=cite_guides(causes, match, repo_guides=repo_guides),
    )


def triage(source: Source, repo_dir: str | Path | None = None, kb: KnowledgeBase | None = None,
           limits: Limits = DEFAULT_LIMITS, engine: str = "auto", repo_guides: RepoGuides | None = None,
           last_green: Source | None = None) -> Diagnosis:
    """Read `source` (zip, run-log directory, job log, `gh run view --log` output, any text log, bytes or "-")
    and diagnose it.

    `engine` is the raw-log scanner ("auto": hyperscan when installed, else "re2"); both give the same diagnosis.
    `repo_guides` (else those found under `repo_dir`) are cited beside the shipped guides.
    `last_green` is the log of the last successful run (same kinds as `source`): lines it also has rank down.
    """
    kb = kb if kb is not None else load_known_issues()
    run = read_log(source, patterns=kb.patterns, limits=limits, engine=engine)
    green = None
    if last_green is not None:
        from agent.logs.green import green_lines

        green = green_lines(last_green, limits)
    window = failure_window(run, green=green)
    if repo_guides is None and repo_dir is not None and Path(repo_dir).is_dir():
        from agent.rag.repo_guides import local_repo_guides

        repo_guides = local_repo_guides(repo_dir)
    return diagnose(run, window, kb.match(run, window), repo_dir, repo_guides)
