"""Error shapes of common toolchains and CI services, written from what each prints on any failure.

Go test, JUnit/Gradle/Maven, pytest, Jest/Mocha/npm, cargo/rustc, dotnet/MSBuild, CTest/GoogleTest,
git, and the summary lines every build ends with. RE2 syntax, valid on raw timestamped bytes too.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.models import Category as C

START = r"(?:^|\dZ |\t)(?:\x1b\[[0-9;]*[mK])*"
"""A line start on clean text, after a runner timestamp on raw text, or after a `gh` column."""
INDENT = START + r"[ \t]*"


@dataclass(frozen=True)
class Shape:
    name: str
    pattern: str
    category: C | None = None
    role: str = "cause"
    """"cause": says why; "header": opens a block whose next lines say why (a failing test, a traceback);
    "summary": says that it failed, not why (context, ranked last); "word": an error word, nothing more."""
    weak: bool = False
    """A wrapper's shape (pytest's `_ name _` block and `E   ` prefix print any exception, a collection error
    too): its category counts only when no cause line names a category by a strong shape
    (`E   ModuleNotFoundError: …` during collection is a missing dependency, not a failing test)."""


TOOLCHAIN_SHAPES: tuple[Shape, ...] = (
    Shape("traceback", r"Traceback \(most recent call last\)|" + START + r"\* What went wrong:"
          r"|" + START + r"(?:goroutine \d+ \[running\]|panic: )", role="header"),
    Shape("go-test", INDENT + r"--- FAIL: \S+", C.test_failure, role="header"),
    Shape("go-test-message", INDENT + r"[\w.-]+_test\.go:\d+: \S", C.test_failure),
    Shape("exception", INDENT + r"(?:Exception in thread \"[\w .:-]*\" |Caused by: )?(?:[a-z_][\w$]*\.)+[A-Z][\w$]*"
          r"(?:Exception|Error|Failure|Exit)\b(?::|$)|" + START + r"[A-Z]\w*(?:Error|Exception|Exit)$"),
    Shape("test-header", INDENT + r"[\w.$]+ > .+ FAILED$|" + INDENT + r"Failed \S+ \[\d", C.test_failure, role="header"),
    Shape("junit", INDENT + r"(?:Tests in error|Failed tests):"
          r"|" + START + r"\[ERROR\] (?:\S+\.(?:java|kt|scala):\[?\d+|\S+\(\S+\)[ \t]+Time elapsed:.*<<< (?:FAILURE|ERROR)!)"
          r"|" + INDENT + r"(?:org\.opentest4j\.|junit\.framework\.|org\.junit\.)\w+", C.test_failure),
    Shape("pytest", START + r"(?:FAILED|ERROR) [\w/.-]+\.py::\S+", C.test_failure),
    Shape("pytest-block", START + r"_{3,} \S.* _{3,}$|" + START + r"E {2,}\S"
          r"|" + START + r"[\w/.-]+\.py:\d+: [A-Z]\w*(?:Error|Exception)\b", C.test_failure, weak=True),
    Shape("jest", INDENT + r"● \S|" + INDENT + r"(?:Expected|Received)(?: value)?:|" + INDENT + r"expect\(",
          C.test_failure, role="header"),
    Shape("mocha", START + r" {2,}\d+\) \S|" + INDENT + r"(?:AssertionError|AssertError)\b", C.test_failure),
    Shape("node", INDENT + r"(?:Error: Cannot find module|SyntaxError: |ReferenceError: |TypeError: )"
          r"|npm ERR! (?:code E(?:404|NOTFOUND|INTEGRITY|ACCES)|404 )", C.dependency_missing),
    Shape("rust", START + r"error\[E\d{4}\]: ", C.compile_error),
    Shape("rust-test", INDENT + r"thread '\S*' panicked at|" + START + r"---- \S+ stdout ----$|" + START
          + r"test \S+ \.\.\. FAILED$", C.test_failure),
    Shape("source-compile", r"\.(?:java|kt|kts|scala|go|rs|ts|tsx|cs|fs|vb|swift)(?::\d+(?::\d+)?:|\(\d+,\d+\):) "
          r"(?:error\b|undefined: |cannot use |syntax error)|\.java:\[\d+,\d+\] |\berror TS\d{4}:", C.compile_error),
    Shape("toolchain-version", r"requires rustc [\d.]+|requires (?:Java|JDK|Go|go|Node(?:\.js)?|Python) (?:version )?"
          r"[\d.]+ or (?:newer|later|higher)|unsupported class file major version", C.toolchain),
    Shape("dotnet", r": (?:fatal )?error (?:CS|FS|BC|NETSDK|CA|IDE)\d{4}: ", C.compile_error),
    Shape("packages", r"error NU1\d{3}: |Could not (?:resolve dependencies|find artifact)|was not found in https?://"
          r"|No matching distribution found for|Could not find a version that satisfies", C.dependency_missing),
    Shape("versions", r"npm ERR! code ERESOLVE|ERESOLVE (?:unable to resolve|could not resolve)|Conflicting peer dependency"
          r"|ResolutionImpossible|version solving failed", C.dependency_version),
    Shape("jvm-oom", r"OutOfMemoryError|JavaScript heap out of memory|MemoryError$", C.out_of_memory),
    Shape("net-timeout", r"ReadTimeoutError|ConnectTimeoutError|Read timed out|ETIMEDOUT|socket hang up", C.network),
    Shape("xunit", INDENT + r"(?:Error Message:|Assert\.\w+\(\) Failure)", C.test_failure),
    # a sanitizer's report opens with its banner; the stack frames under it say where
    Shape("sanitizer", r"ERROR: (?:Address|Leak|Thread|Memory|UndefinedBehavior)Sanitizer: |WARNING: ThreadSanitizer: "
          r"|\.\w{1,5}:\d+:\d+: runtime error: ", C.test_failure, role="header"),
    # ESLint/stylelint "stylish" rows under a file name: `  12:2  error  message  rule-name`
    Shape("lint-row", INDENT + r"\d+:\d+[ \t]+(?:error|✖)[ \t]+\S", C.compile_error),
    # xcpretty marks what failed: ❌ before a compile error, ✗ before a failing test
    Shape("xcpretty", INDENT + r"❌[ \t]+\S", C.compile_error),
    Shape("tap", START + r"not ok \d+\b|Dubious, test returned [1-9]|Failed \d+/\d+ (?:subtests|test programs)",
          C.test_failure),
    Shape("gtest", START + r"\S+(?::\d+|\(\d+\)): (?:Failure|error)$", C.test_failure, role="header"),
    Shape("expectation", INDENT + r"(?:Expected equality of these values|Value of: |Expected: |Actual: |Which is: )",
          C.test_failure),
    Shape("exception-line", INDENT + r"\*\* \([A-Z][\w.]*\) \S|" + INDENT + r"rake aborted!$"
          r"|" + INDENT + r"\S+\.rb:\d+:in `.*': \S", role="header"),
    Shape("location", START + r"[\w./-]+\.[A-Za-z]\w{0,5}(?::[ ]?\d+(?::\d+)?:|\(\d+(?:,\d+)?\):?) ?\S", role="word"),
    Shape("git", START + r"(?:fatal|error): (?:repository|unable to access|could not read|pathspec|Authentication"
          r"|Could not read from remote|couldn't find remote ref|reference is not a tree)"),
    # a ref the workflow asks for that does not exist, or a push made without fetching: the workflow's doing
    Shape("git-refs", START + r"(?:fatal: couldn't find remote ref|error: pathspec '.*' did not match"
          r"|fatal: reference is not a tree|error: failed to push some refs| ! \[(?:rejected|remote rejected)\] )",
          C.workflow_config),
)
"""Causes and block headers per toolchain; the category is a vote (see shapes.CATEGORY_PRIORITY)."""

SUMMARY = (
    r"make(?:\[\d+\])?: \*\*\* .*Error \d+|ninja: build stopped|Configuring incomplete, errors occurred"
    r"|BUILD[_ ]FAILED|FAILURE: Build failed with an exception|Build FAILED\.|Failed to execute goal"
    r"|There (?:are|were) test failures|Tests run: \d+, Failures: \d+|" + START + r"FAIL(?:ED)?[ \t]*$"
    r"|" + START + r"FAIL\t|" + START + r"FAIL[ \t]+\S+[ \t]+[\d.]+s$|npm ERR! (?:code ELIFECYCLE|errno|Exit status"
    r"|Failed at the|This is probably not a problem|A complete log of this run|[\w@/.-]+: `)"
    r"|error: could not compile|error: aborting due to|error: test failed|test result: FAILED"
    r"|error: Recipe .* failed|Errors while running CTest|tests passed, \d+ tests? failed"
    r"|\[  FAILED  \] \d+ tests?, listed below|\d+ FAILED TESTS?|Process completed with exit code"
    r"|exited with (?:code |status )?[1-9]|exit (?:code|status):? [1-9]|returned non-zero exit status"
    r"|Your build exited with|ERROR: Job failed|compilation terminated\.|error MSB3073"
    r"|" + START + r"\d+ failing$|Tests:[ \t]+\d+ failed|Test Suites: \d+ failed|=+ .*\d+ (?:failed|error).* =+$"
    r"|Ran \d+ tests?|FAILED \(|\d+ (?:examples?|tests?|specs?|assertions?), \d+ failures?"
    r"|COMPILATION ERROR :?[ \t]*$|npm ERR! Test failed|[Ss]ee above for more details|\*\*\* \d+ failures? (?:is|are) detected"
)
"""Lines that say a build or test run failed, not why: context, never the first root-cause line."""

ERROR_WORDS = (
    r"(?i)\b(?:errors?|fail(?:s|ed|ure|ures)?|fatal|exception|panic(?:ked)?|abort(?:ed)?|assert(?:ion)?"
    r"|traceback|cannot|can't|could ?n[o']t|unable to|not found|no such file|undefined|denied|refused"
    r"|segmentation fault|timed out|invalid|unexpected|mismatch|missing|not ok|expected)\b"
)
"""What an error line says in any language; a weak signal alone (ranked by where it is and what else it has)."""
