"""Benchmark: `agent triage LOG --json` against `grep -E -f <every known-issue pattern> LOG` on a ~100 MB log.

    python -m evals.bench.triage_vs_grep [--mb 100] [--repeat 7] [--keep DIR]

Both run in the same session on the same file (page cache warm for both), one grep then one triage
per round so machine noise hits both alike; the medians of `--repeat` rounds are compared (min in
brackets). Goals: triage ≤ 1.5× grep, triage peak RSS ≤ 150 MB, also on a log of the same size made of
thousands of steps, each with an error line and a failed-step marker (`write_heavy_log`).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.knowledge import load_known_issues
from evals.synth_noise import noise_lines

GOAL_RATIO, GOAL_RSS_MB = 1.5, 150
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
FAILURE = [
    "/__e/node20/bin/node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found (required by /__e/node20/bin/node)",
    "##[error]Process completed with exit code 1.",
]


def _stamped(lines: list[str], hour: int) -> bytes:
    return "".join(f"2025-12-01T{hour:02d}:{i // 600 % 60:02d}:{i // 10 % 60:02d}.{i * 7919 % 10**7:07d}Z {line}\n"
                   for i, line in enumerate(lines)).encode("utf-8")


def write_log(path: Path, megabytes: int) -> int:
    """A realistic job log: set-up, checkout, a long vcpkg + CMake + compile step, then the failure."""
    setup = ["Requested labels: ubuntu-22.04", "Job defined at: Apra-Labs/ApraPipes/.github/workflows/CI-Linux.yml@refs/heads/main",
             "Waiting for a runner to pick up this job...", "##[group]Operating System", "Ubuntu", "22.04.5", "LTS",
             "##[endgroup]", "Download action repository 'actions/checkout@v4' (SHA:11bd71901bbe5b1630ceea73d27597364c9af683)",
             "##[group]Run actions/checkout@v4", "with:", "  submodules: recursive", "##[endgroup]",
             "##[group]Run ./base/fix-vcpkg-json.sh && cmake --build build --parallel 4", "##[endgroup]"]
    body = noise_lines(24000, "mixed", "bench", ansi=True) + noise_lines(6000, "test", "bench-t", ansi=True)
    with path.open("wb") as out:
        out.write(b"\xef\xbb\xbf" + _stamped(setup, 10))
        hour = 10
        while out.tell() < megabytes << 20:
            out.write(_stamped(body, hour % 24))
            hour += 1
        out.write(_stamped(FAILURE, hour % 24))
        return out.tell()


ERRORS = [
    "/home/runner/work/app/src/module{n}.cpp:{n}:7: error: 'frame{n}' was not declared in this scope",
    "[  FAILED  ] Suite{n}.Case{n} (12 ms)",
    "E       AssertionError: assert {n} == 0",
    "npm ERR! code ELIFECYCLE",
    "make[2]: *** [CMakeFiles/app.dir/build.make:{n}: module{n}.o] Error 1",
]


def write_heavy_log(path: Path, megabytes: int) -> tuple[int, int]:
    """A job log of many steps with thousands of error lines (a job log repeated until `megabytes`): (bytes, steps)."""
    noise = noise_lines(300, "mixed", "heavy", ansi=True)
    with path.open("wb") as out:
        step, hour = 0, 10
        while out.tell() < megabytes << 20:
            lines = [f"##[group]Run make -C part{step}", "##[endgroup]", *noise[: 100 + step % 200]]
            lines += [ERRORS[step % len(ERRORS)].format(n=step), f"##[error]Process completed with exit code {step % 3}."]
            out.write(_stamped(lines, hour % 24))
            step, hour = step + 1, hour + (step % 50 == 0)
        out.write(_stamped(FAILURE, hour % 24))
        return out.tell(), step


def grep_patterns(path: Path) -> int:
    """Every known-issue pattern as POSIX ERE for grep -E (named/non-capturing groups made plain)."""
    ere = []
    for pattern in load_known_issues().patterns:
        text = re.sub(r"\(\?P?<[A-Za-z_]\w*>", "(", pattern).replace("(?:", "(").replace("(?i)", "")
        ere.append(text.replace(r"\d", "[0-9]"))
    path.write_text("\n".join(ere) + "\n", encoding="utf-8")
    return len(ere)


def timed(argv: list[str]) -> tuple[float, float, bytes]:
    """(wall seconds, peak RSS in MB, stdout) of one child process (RSS from GNU time when present)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss", encoding="utf-8") as rss:
        wrapped = [TIME, "-f", "%M", "-o", rss.name, *argv] if TIME else argv
        start = time.perf_counter()
        done = subprocess.run(wrapped, capture_output=True, check=False)
        wall = time.perf_counter() - start
        peak = float(rss.read().split()[-1]) / 1024 if TIME else 0.0
    if done.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} exited {done.returncode}: {done.stderr.decode()[:200]}")
    return wall, peak, done.stdout


def in_process(log: Path, repeat: int, engine: str) -> tuple[float, float]:
    """Median wall time of the library call alone (no CLI start-up), and of reading the known-issue DB."""
    from agent.triage import triage

    start = time.perf_counter()
    kb = load_known_issues()
    load = time.perf_counter() - start
    triage(log, kb=kb, engine=engine)  # compiles (or loads) the scanner once
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        triage(log, kb=kb, engine=engine)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), load


def rounds(commands: dict[str, list[str]], repeat: int) -> dict[str, tuple[float, float, float, bytes]]:
    """name → (median wall, min wall, max peak RSS, last stdout), running the commands in turn each round."""
    runs: dict[str, list] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            runs[name].append(timed(argv))
    return {name: (statistics.median(r[0] for r in done), min(r[0] for r in done), max(r[1] for r in done),
                   done[-1][2]) for name, done in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the log and patterns here instead of a temp dir")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="triage-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log, patterns = work / "big-job.txt", work / "patterns.ere"
    size = write_log(log, args.mb)
    count = grep_patterns(patterns)
    agent = str(Path(sys.executable).parent / "agent")
    timed([agent, "triage", str(log), "--json"])  # warm-up: the first run may compile the scanner
    small = work / "small-job.txt"
    small.write_bytes(b"\xef\xbb\xbf" + _stamped(FAILURE, 10))
    done = rounds({"startup": [agent, "triage", str(small), "--json"], "grep": ["grep", "-c", "-E", "-f", str(patterns), str(log)],
                   "triage": [agent, "triage", str(log), "--json"]}, args.repeat)
    (startup, startup_min, _, _), (grep_s, grep_min, grep_rss, grep_out) = done["startup"], done["grep"]
    triage_s, triage_min, triage_rss, triage_out = done["triage"]
    library = {engine: in_process(log, args.repeat, engine) for engine in ("re2", "auto")}
    found = b"glibc" in triage_out.lower()
    print(f"log: {size / 2**20:.1f} MB, {count} known-issue patterns; grep matched {grep_out.decode().strip()} lines; "
          f"{args.repeat} rounds, medians [min]")
    print(f"grep -E -f        : {grep_s:6.3f} s [{grep_min:.3f}]   peak RSS {grep_rss:6.1f} MB")
    print(f"agent triage      : {triage_s:6.3f} s [{triage_min:.3f}]   peak RSS {triage_rss:6.1f} MB   "
          f"(found the GLIBC cause: {found})")
    print(f"  start-up (`agent triage` on a 2-line log): {startup:.3f} s [{startup_min:.3f}]; DB load {library['auto'][1]:.3f} s")
    for engine, (seconds, _) in library.items():
        print(f"  in-process triage(engine={engine!r}): {seconds:.3f} s = {seconds / grep_s:.2f}x grep")
    heavy = work / "heavy-job.txt"
    heavy_size, heavy_steps = write_heavy_log(heavy, args.mb)
    heavy_runs = [timed([agent, "triage", str(heavy), "--json"]) for _ in range(max(1, args.repeat // 3))]
    heavy_s, heavy_rss = statistics.median(r[0] for r in heavy_runs), max(r[1] for r in heavy_runs)
    print(f"agent triage, {heavy_size / 2**20:.0f} MB log of {heavy_steps} steps with an error each: "
          f"{heavy_s:6.3f} s   peak RSS {heavy_rss:6.1f} MB")
    ratio = triage_s / grep_s
    print(f"ratio triage/grep : {ratio:6.2f}x   (goal <= {GOAL_RATIO}x: {'met' if ratio <= GOAL_RATIO else 'NOT met'}; "
          f"of the fastest runs {triage_min / grep_min:.2f}x)")
    peak = max(triage_rss, heavy_rss)
    print(f"triage peak RSS   : {triage_rss:6.1f} MB, {heavy_rss:.1f} MB on the many-steps log (goal <= {GOAL_RSS_MB} MB: "
          f"{'met' if peak <= GOAL_RSS_MB else 'NOT met'})")

if __name__ == "__main__":
    main()
