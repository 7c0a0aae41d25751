"""Transient infrastructure failures, recognised by kind and judged by where the evidence sits.

A kind names what failed underneath the build (the runner, its pod, the container daemon, a registry,
the network, a rate limit) with RE2 patterns written from what such failures look like on any CI
(GitHub-hosted or self-hosted runners, GitLab's Docker and Kubernetes executors). Evidence counts only
at the failure boundary: the output of the last command before the job ended. A compile, test or lint
failure there outranks it, unless the runner's own verdict (a system failure, a lost runner) comes after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from agent.logs.multimatch import MultiPattern
from agent.models import TRANSIENT_CATEGORIES, Action, Category

if TYPE_CHECKING:
    from agent.knowledge.schema import KnownIssue
    from agent.logs.model import RunLog
    from agent.logs.window import Window

_HTTP_5XX = r"(?:50[0234] (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out))"


@dataclass(frozen=True)
class Kind:
    """One kind of infrastructure failure: its category, why a re-run helps, and how it reads."""

    name: str
    category: Category
    reason: str
    patterns: tuple[str, ...]
    verdict: bool = False
    """The runner's own verdict on the job: it outranks build errors printed before it."""


KINDS: tuple[Kind, ...] = (
    Kind("runner-lost", Category.runner, "the runner reported a system failure, shut down or lost the job", (
        r"Job failed \(system failure\)",
        r"(?i)runner system failure",
        r"The runner has received a shutdown signal",
        r"The hosted runner encountered an error",
        r"lost communication with the server",
        r"was not acquired by Runner",
        r"(?i)runner .{0,60}(?:went offline|is offline|has been (?:lost|deleted|removed))",
    ), verdict=True),
    Kind("runner-pod", Category.runner, "the runner's pod or executor could not be scheduled, started or kept", (
        r"(?i)timed out waiting for (?:the )?pod",
        r"(?i)waiting for pod running",
        r"(?:Unschedulable|ContainersNotReady|ContainersNotInitialized):",
        r"(?i)pods? \"[^\"]+\" (?:not found|is being deleted)|pod \S+ (?:was )?evicted|The node was low on resource",
        r"(?i)error dialing backend|unable to upgrade connection",
        r"ERROR: Preparation failed",
    )),
    Kind("container-daemon", Category.runner, "the container daemon was unreachable or dropped the call", (
        r"(?i)Cannot connect to the Docker daemon|Is the docker daemon running",
        r"(?i)error during connect: .{0,200}docker",
        r"(?i)docker daemon .{0,40}(?:not responding|unavailable)",
        r"code = (?:Unavailable|DeadlineExceeded) desc",
    )),
    Kind("registry", Category.registry_fetch, "the image or package registry failed to serve the request", (
        r"(?i)received unexpected HTTP status: 5\d\d",
        r"(?i)unexpected status(?: code)?:? 5\d\d",
        r"(?i)(?:error pulling image configuration|failed to (?:pull|push|copy|fetch)|error pushing image)"
        r".{0,400}(?:" + _HTTP_5XX + r"|EOF|i/o timeout|TLS handshake|connection reset|server misbehaving)",
        r"(?i)Get \"?https?://\S*(?:/jwt/auth|/token\?|/oauth2?/token)\S*\"?: (?:dial tcp|net/http|EOF|read tcp)",
        r"Hash Sum mismatch|At least one invalid signature was encountered",
    )),
    Kind("dns", Category.network, "a host name could not be resolved", (
        r"(?i)Could not resolve (?:host|hostname|proxy)",
        r"(?i)Temporary failure in name resolution|Name or service not known|nodename nor servname",
        r"(?i)getaddrinfo (?:EAI_AGAIN|ENOTFOUND)|\bno such host\b",
        r"lookup \S+ on \S+:53|server misbehaving",
    )),
    Kind("connection", Category.network, "a connection was refused, reset or cut, or the network was unreachable", (
        r"(?i)connection reset by peer|\bECONNRESET\b|\bECONNREFUSED\b|\bEHOSTUNREACH\b|\bENETUNREACH\b",
        r"(?i)connection refused|network is unreachable|no route to host",
        r"(?i)Unable to connect to \S+|Failed to connect to \S+ port \d+|Could not connect to \S+",
        r"(?i)http2: (?:client connection lost|server sent GOAWAY)|connection closed by (?:remote|foreign) host",
        r"(?i)the remote end hung up unexpectedly|RPC failed; (?:curl|HTTP)",
        r"(?i)network failure seems to have happened|spurious network error",
        r"curl: \((?:6|7|18|28|35|52|55|56|92)\)",
    )),
    Kind("timeout-tls", Category.network, "a network call timed out or its TLS/HTTP stream broke off", (
        r"(?i)TLS handshake timeout|i/o timeout|\bETIMEDOUT\b|\bESOCKETTIMEDOUT\b|Client\.Timeout exceeded",
        r"(?i)connection timed out|operation timed out after|read timed out|Resolving timed out",
        r"(?i)the server was unable to return a response in the time allotted",
        r"(?i)SSL_ERROR_SYSCALL|GnuTLS recv error|gnutls_handshake\(\) failed",
        r"(?i)SSL error: .{0,40}EOF|(?:unexpected|early|premature) EOF",
        r"(?i)HTTP(?:/[\d.]+)? (?:status|error|response)?:? ?" + _HTTP_5XX[3:-1] + r"|"
        + _HTTP_5XX + r"|The requested URL returned error: 5\d\d",
    )),
    Kind("rate-limit", Category.network, "a service refused the call for its rate limit", (
        r"(?i)toomanyrequests|Too Many Requests|\b429\b.{0,40}rate",
        r"(?i)(?:API |secondary )?rate limit (?:exceeded|reached)|exceeded (?:the |your )?rate limit",
        r"(?i)reached your (?:unauthenticated )?pull rate limit",
    )),
    Kind("lfs-fetch", Category.network, "the Git LFS server did not hand out the job's own objects (its server "
         "or the job's token); re-running a checkout costs seconds", (
        r"(?i)Failed to fetch some objects from '\S+'",
    )),
)
"""Every kind, most decisive first (a line matching several kinds is reported as the first)."""

CANCELLED = Kind("runner-cancelled", Category.runner, "a self-hosted runner cancelled the job under it", (
    r"The operation was canceled",
), verdict=True)
"""Counts only on a self-hosted runner: on a hosted one a cancel is a person or a failed matrix sibling."""

SELF_HOSTED = r"Requested labels: .*self-hosted|(?i)self-hosted runner"

CHECKED_URL = r"^\s*(?:(?:\d+[.)]|[-*•✗✖×]|\[[^\]]{1,12}\]|\d+\s*\|[^|]{0,20}\|)\s*)+(?:\d{3}\s+)?<?https?://"
"""A report item about a URL the job was checking (a link checker's finding), not the job's own connection."""

REAL_FAILURE: tuple[str, ...] = (
    r"error\[E\d{4}\]|(?i:could not compile)|\.\w{1,5}:\d+(?::\d+)?: (?:fatal )?error|\berror [A-Z]{1,3}\d{3,5}\b",
    r"(?i:undefined reference to|ld returned \d+ exit status|linking with .{0,40} failed|unresolved external symbol)",
    r"(?i:test result: FAILED|\[  FAILED  \]|\btests? failed\b|\b[1-9]\d* (?:tests? )?failed(?:[,;]| out of)|panicked at)",
    r"^--- FAIL|^FAIL\b|AssertionError|(?i:assert(?:ion)? failed)",
    r"(?i:\b[1-9]\d* failures?\b|\bFailures: [1-9]|\bErrors: [1-9]|\b[1-9]\d* (?:examples?|specs?) failed)",
    r"^Diff in |(?i:would reformat|clippy::|[1-9]\d* vulnerabilit(?:y|ies) found|lint (?:failed|errors?))",
    r"SyntaxError|TypeError|(?i:cannot find (?:symbol|type|value|function))",
    r"(?i:No space left on device|Killed signal terminated|out of memory|exit code 137)",
    r"(?i:over its data quota|exceeded its LFS budget|Object does not exist on the server)",
)
"""Compile, link, test, lint, disk and memory evidence, and an LFS quota or a missing LFS object: a real
failure, not a passing infrastructure fault."""

COMMAND_START = r"^\$ |^##\[group\]Run |^\[command\]|^##\[command\]"
"""A command echo (GitLab `$ cmd`, GitHub `Run cmd`): output above it belongs to an earlier command."""

COMMAND_FAILED = r"The command \".*\" exited with [1-9]\d*\.|##\[error\]Process completed with exit code [1-9]"
"""The runner saying a command failed (Travis, GitHub Actions): later output is clean-up (after_script, always())."""

NOISE = (r"^\s*$|^(?:real|user|sys)\s+\d+m[\d.]+s$|^Cleaning up (?:project directory|file based)"
         r"|^Uploading artifacts|^##\[(?:endgroup|group)\]")
"""Lines that carry no evidence either way (blank, `time` output, runner housekeeping)."""

TAIL_LINES = 25
"""Substantive lines before the end of the failed job that count as the failure boundary."""


@dataclass(frozen=True)
class Transient:
    """An infrastructure failure at the boundary: its kind, category, why a re-run helps, the line that says so."""

    kind: str
    category: Category
    reason: str
    line: str


class _Rules:
    """The compiled rules: every kind's patterns in one set, and the build-evidence and line-role patterns."""

    def __init__(self) -> None:
        kinds = [*KINDS, CANCELLED]
        self.owners = [kind for kind in kinds for _ in kind.patterns]
        self.kinds = MultiPattern([pattern for kind in kinds for pattern in kind.patterns])
        self.real = MultiPattern(list(REAL_FAILURE))
        self.command, self.noise = MultiPattern([COMMAND_START]), MultiPattern([NOISE])
        self.command_failed = MultiPattern([COMMAND_FAILED])
        self.self_hosted = MultiPattern([SELF_HOSTED])
        self.checked_url = MultiPattern([CHECKED_URL])

    def kind_of(self, text: str, self_hosted: bool) -> Kind | None:
        """The first kind whose pattern matches `text`; none for a checked URL's report item, and a cancel
        counts only on a self-hosted runner."""
        if self.checked_url.which(text):
            return None
        for index in self.kinds.which(text):
            if self.owners[index] is not CANCELLED or self_hosted:
                return self.owners[index]
        return None


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    return _Rules()


def failure_end(lines: Sequence[str]) -> int:
    """Where the failure ends: after the last line saying a command failed, unless a runner verdict follows it
    (a continue-on-error step failed earlier), else at the end of the job."""
    rules = _rules()
    for n in range(len(lines) - 1, -1, -1):
        if rules.command_failed.which(lines[n]):
            return n + 1
        kind = rules.kind_of(lines[n], self_hosted=True)
        if kind is not None and kind.verdict:
            break
    return len(lines)


def boundary(lines: Sequence[str], size: int = TAIL_LINES) -> list[str]:
    """The last `size` substantive lines up to the failure's end, not reaching above the last command echo."""
    rules, chosen = _rules(), []
    for text in reversed(lines[:failure_end(lines)]):
        text = text.strip()
        if len(chosen) == size or rules.command.which(text):
            break
        if not rules.noise.which(text):
            chosen.append(text)
    return chosen[::-1]


def is_self_hosted(lines: Sequence[str], head: int = 200) -> bool:
    """True when the job's opening lines name a self-hosted runner."""
    return any(_rules().self_hosted.which(text) for text in lines[:head])


def judge(lines: Sequence[str], self_hosted: bool | None = None) -> Transient | None:
    """A transient failure when infrastructure evidence ends the job and no stronger build evidence sits beside it.

    `lines` are the failed job's lines in order (their end is the failure boundary); `self_hosted`
    defaults to what the lines say about the runner.
    """
    rules = _rules()
    self_hosted = is_self_hosted(lines) if self_hosted is None else self_hosted
    region = boundary(lines)
    real = [n for n, text in enumerate(region) if rules.real.which(text)]
    hits = [(n, kind, text) for n, text in enumerate(region) if (kind := rules.kind_of(text, self_hosted))]
    if not hits:
        return None
    last, kind, _ = hits[-1]
    if real and not (kind.verdict and last > real[-1]):
        return None
    _, kind, text = hits[-1] if kind.verdict else hits[0]
    return Transient(kind=kind.name, category=kind.category, reason=kind.reason, line=text)


HEAD_LINES, END_LINES = 200, 5000
"""Lines of a long job that are looked at: its head (which runner) and its end (the failure boundary)."""


def failed_job_lines(run: RunLog, window: Window) -> list[str]:
    """The head and end lines of the job that failed first (else the run's last job), post steps left out."""
    job = window.failed[0].job if window.failed else (run.jobs[-1].name if run.jobs else None)
    steps = [step for step in run.steps if step.job == job and not step.is_post]
    end: list[str] = []
    for step in reversed(steps):
        end[:0] = [line.text for line in step.lines[-(END_LINES - len(end)):]]
        if len(end) >= END_LINES:
            break
    if sum(len(step.lines) for step in steps) <= len(end):
        return end
    head = [line.text for step in steps for line in step.lines[:HEAD_LINES]][:HEAD_LINES]
    return head + end


def transient_failure(run: RunLog, window: Window) -> Transient | None:
    """The transient infrastructure failure that ended the run's failed job, if that is what the log shows."""
    return judge(failed_job_lines(run, window))


def build_failure_at_boundary(lines: Sequence[str]) -> bool:
    """True when compile, test, lint, disk or memory evidence sits in the job's failure boundary."""
    real = _rules().real
    return any(real.which(text) for text in boundary(lines))


def boundary_decision(run: RunLog, window: Window, known: KnownIssue | None) -> tuple[Category, Action] | None:
    """(category, action) when the failure boundary decides a re-run, else None (the usual rules apply).

    Without a known issue the boundary alone decides: a transient kind that ends the job → (its category,
    rerun); a transient-looking error shape elsewhere in the log → escalate. A known issue of a transient
    category (and no fixed action of its own) whose boundary shows a build failure → escalate: the network
    line it matched was not what failed the job. Any other known issue is left alone.
    """
    if known is not None and (known.category not in TRANSIENT_CATEGORIES or known.action):
        return None
    lines = failed_job_lines(run, window)
    found = judge(lines)
    if found is not None:
        return (found.category if known is None else known.category), Action.rerun
    if known is None:
        return (window.category, Action.escalate) if window.category in TRANSIENT_CATEGORIES else None
    return (known.category, Action.escalate) if build_failure_at_boundary(lines) else None
