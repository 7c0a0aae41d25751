"""Generic error shapes (gha-logs.md "Generic signatures", compilers, CMake, vcpkg, linkers, test runners).

Each shape is RE2 syntax that works on raw timestamped bytes and on clean lines alike. A shape with a
category votes for that category when no known issue matches; `CATEGORY_PRIORITY` settles the vote.
"""

from __future__ import annotations

from agent.logs.toolchains import ERROR_WORDS, START, SUMMARY, TOOLCHAIN_SHAPES, Shape
from agent.models import Category as C

__all__ = ["CATEGORY_PRIORITY", "EXIT_BOUNDARY", "JOB_VERDICT", "SHAPES", "START", "TEXT_EXIT", "Shape", "heuristic_category"]


SHAPES: tuple[Shape, ...] = (
    Shape("gha-error", r"##\[error\]"),
    Shape("timeout", r"has exceeded the maximum execution time of \d+ minutes|##\[error\]The action .*has timed out",
          C.timeout),
    Shape("runner", r"The runner has received a shutdown signal|The hosted runner encountered an error"
          r"|lost communication with the server|The self-hosted runner .* lost communication", C.runner),
    Shape("disk-space", r"(?i)No space left on device|There is not enough space on the disk", C.disk_space),
    Shape("oom", r"Killed signal terminated program|fatal error: Killed signal|exit code 137\b"
          r"|virtual memory exhausted|compiler is out of heap space|fatal error C1060|std::bad_alloc"
          r"|Cannot allocate memory", C.out_of_memory),
    Shape("glibc", r"version `GLIBC(?:XX)?_[0-9.]+' not found", C.container_incompatible),
    Shape("permissions", r"Resource not accessible by integration|refusing to allow a GitHub App"
          r"|refusing to allow an OAuth App|Permission to \S+ denied to", C.permissions),
    Shape("deprecated-action", r"uses a deprecated version of", C.action_deprecated),
    Shape("workflow", r"Invalid workflow file|is not defined in the referenced workflow"
          r"|unexpected EOF while looking for matching|Unrecognized named-value", C.workflow_config),
    Shape("registry", r"unexpected hash|does not have the expected hash|upload-pack: not our ref"
          r"|no version database entry for", C.registry_fetch),
    Shape("toolchain", r"unsupported GNU version|unsupported Microsoft Visual Studio version"
          r"|unable to detect the active compiler|No CMAKE_(?:CXX|C|CUDA)_COMPILER could be found"
          r"|is not able to compile a simple test program|Error: operand type mismatch", C.toolchain),
    Shape("compile", r"\.(?:c|cc|cpp|cxx|h|hh|hpp|hxx|cu|cuh|m|mm|inl|ipp|tcc)(?::\d+(?::\d+)?:|\(\d+(?:,\d+)?\)[ \t]*:)"
          r"[ \t]*(?:fatal )?error\b|\berror C\d{4}:|fatal error C\d{4}|#error\b|nvcc fatal", C.compile_error),
    Shape("link", r"undefined reference to|\bLNK\d{4}\b|ld: symbol\(s\) not found|Undefined symbols for architecture"
          r"|ld returned \d+ exit status|cannot find -l\S+|multiple definition of|STATUS_DLL_NOT_FOUND",
          C.link_error),
    Shape("test", r"\[  FAILED  \]|\*\*\* \d+ failures? (?:is|are) detected|The following tests FAILED"
          r"|\d+% tests passed, \d+ tests? failed|\*\*\*Failed|error: in \"\S*\": check|CUDA_ERROR_OUT_OF_MEMORY",
          C.test_failure),
    Shape("missing", r"command not found|Could NOT find \w+|ModuleNotFoundError: No module named"
          r"|E: Unable to locate package|A suitable version of \S+ was not found|externally-managed-environment"
          r"|requires the following programs from the system package manager"
          r"|Could not find a package configuration file", C.dependency_missing),
    Shape("network", r"toomanyrequests|curl: \(\d+\)|Could not resolve host|ECONNRESET|ETIMEDOUT"
          r"|502 Bad Gateway|503 Service Unavailable|Connection timed out|Connection reset by peer"
          r"|TLS handshake timeout|Temporary failure in name resolution|Failed to download from mirror set",
          C.network),
    Shape("generic", r"CMake Error|npm ERR!|error MSB\d{4}"
          r"|Segmentation fault|core dumped|Access to the path .* is denied|:\d+:(?:\d+:)? (?:fatal )?error: "
          r"|" + START + r"(?:FAILED: |[\w+.-]+: (?:fatal )?error: |(?:[Ee]rror|ERROR|fatal|FATAL)(?:\[\w+\])?: |[A-Z]\w*(?:Error|Exception): )"),
    *TOOLCHAIN_SHAPES,
    Shape("summary", SUMMARY, role="summary"),
    Shape("error-word", ERROR_WORDS, role="word"),
)
"""Every error shape; order does not matter (see CATEGORY_PRIORITY)."""

CATEGORY_PRIORITY: tuple[C, ...] = (
    C.runner, C.timeout, C.disk_space, C.out_of_memory, C.container_incompatible, C.permissions,
    C.action_deprecated, C.workflow_config, C.registry_fetch, C.toolchain, C.test_failure, C.compile_error,
    C.link_error, C.dependency_missing, C.dependency_version, C.network,
)
"""When several categories show, the first of these wins: a decisive cause beats its consequences
(a test runner's summary beats the compiler-shaped `file.cpp(88): error: in "case"` lines of Boost.Test)."""

EXIT_BOUNDARY = r"##\[error\]Process completed with exit code (\d+)\."
"""The step boundary: where a `run:` step failed, not why."""
TEXT_EXIT = r"The command \".*\" (?:failed and )?exited with [1-9]\d*|script returned exit code [1-9]"
"""Where a plain log says a command failed (Travis, Jenkins): the failure boundary of a text log."""
JOB_VERDICT = r"ERROR: Job failed|^Finished: FAILURE|Your build exited with [1-9]"
"""Where a plain log says the job failed (GitLab, Jenkins, Travis): the boundary when no command exit says more."""


def heuristic_category(categories: set[C]) -> C:
    """The category the error shapes point at, or unknown."""
    for category in CATEGORY_PRIORITY:
        if category in categories:
            return category
    return C.unknown
