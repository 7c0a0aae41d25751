"""The hyperscan scanner and the RE2 fallback find the same lines and give the same diagnoses."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.knowledge import load_known_issues
from agent.logs.hyperscan_lines import HyperscanLines, bom_blind, hyperscan_available, line_finder, line_local
from agent.logs.model import Limits
from agent.logs.multimatch import Re2Lines
from agent.logs.scan import BlockReader, raw_scanner
from agent.triage import triage

CASES = sorted(p for p in (Path(__file__).resolve().parent.parent / "evals" / "cases").iterdir() if p.is_dir())
SMALL = Limits(step_bytes=20000, tail_bytes=3000, head_bytes=1000, block_bytes=1500, min_step_bytes=2000,
               run_bytes=50000, line_bytes=700, hits_per_step=6)
needs_hyperscan = pytest.mark.skipif(not hyperscan_available(), reason="hyperscan is optional and not installed")


@pytest.fixture(scope="module")
def kb():
    return load_known_issues()


@pytest.fixture(autouse=True, scope="module")
def _agent_home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGENT_HOME", str(tmp_path_factory.mktemp("agent-home")))
        yield


def _blocks(case: Path, limits: Limits) -> list[bytes]:
    files = sorted(p for p in (case / "logs").rglob("*.txt"))
    blocks = []
    for path in files:
        with path.open("rb") as stream:
            blocks.extend(BlockReader(stream, limits))
    return blocks


@needs_hyperscan
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hyperscan_and_re2_give_the_same_diagnosis_for_every_eval_case(case, kb):
    by_engine = {engine: triage(case, kb=kb, engine=engine) for engine in ("hyperscan", "re2")}
    assert by_engine["hyperscan"] == by_engine["re2"]
    small = {engine: triage(case, kb=kb, limits=SMALL, engine=engine) for engine in ("hyperscan", "re2")}
    assert small["hyperscan"] == small["re2"]


@needs_hyperscan
def test_hyperscan_answers_most_eval_blocks_itself_and_finds_the_re2_lines(kb):
    hyperscan, reference = raw_scanner(kb.patterns, "hyperscan"), raw_scanner(kb.patterns, "re2")
    for case in CASES:
        for block in _blocks(case, SMALL):
            assert hyperscan.starts(block) == reference.starts(block), case.name
    assert hyperscan.blocks["hyperscan"] > 10 * hyperscan.blocks["re2"] > 0


@pytest.mark.parametrize(("block", "expected"), [
    (b"one\nerror: two\nthree\n", [4]),
    (b"error: a\nerror: b\n", [0, 9]),
    (b"\xef\xbb\xbferror: bom\nplain\nerror: c\n", [0, 20]),
    (b"na\xc3\xafve error: x\nplain\n", [0]),
    (b"was: (a\nb)\nplain\n", [0]),
    (b"nothing here\n", []),
])
@needs_hyperscan
def test_each_engine_reports_the_start_of_every_matching_line(block, expected):
    patterns = ["error: ", r"was: \([^)]*\)"]
    for finder in (Re2Lines(patterns), HyperscanLines(patterns)):
        assert finder.starts(block) == expected, finder.engine


@needs_hyperscan
def test_a_pattern_hyperscan_cannot_compile_still_matches_through_re2():
    patterns = ["error: ", "(?U)lazy a+"]  # (?U) is RE2-only syntax
    finder = HyperscanLines(patterns)
    assert finder.residual.patterns == ["(?U)lazy a+"]
    assert finder.starts(b"x\nlazy aa\nerror: y\n") == [2, 10]
    assert finder.blocks["hyperscan"] == 1


def test_asking_for_re2_never_uses_hyperscan():
    assert line_finder(["x"], "re2").engine == "re2"
    with pytest.raises(ValueError, match="unknown scan engine"):
        line_finder(["x"], "grep")


@pytest.mark.parametrize(("pattern", "local"), [
    (r"error: \d+", True), (r"a.b", True), (r"C:\\see", True), ("(?P<s>x)", True), ("(?i)hash", True),
    (r"a\sb", False), ("a[^)]*b", False), (r"[\t-~]", False), ("(?s)a.b", False), ("a\nb", False),
    (r"\x0a", False), (r"\D", False), ("[[:space:]]", False),
])
def test_only_patterns_that_cannot_span_a_newline_count_as_line_local(pattern, local):
    assert line_local(pattern) is local


@pytest.mark.parametrize(("pattern", "blind"), [
    (r"\x1b\[[0-9;]*m", True), (r"C:\\Program", True), (r"[\x01-\x1f]", False), (r"[]\x01]", False),
    (r"\pL", False), ("[é]", False), ("\ufeff", False), ("[[:^alpha:]]", False),
    ("● \\S", True), ("é", True),  # a literal that is neither U+FEFF nor \x01 cannot match either
])
def test_the_bom_stand_in_is_used_only_when_no_pattern_could_tell_them_apart(pattern, blind):
    assert bom_blind(pattern) is blind
