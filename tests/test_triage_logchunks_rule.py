"""The logchunks benchmark's "chunk found" rule is the same for every method and ignores labelling noise."""

from __future__ import annotations

from evals.bench.logchunks import baselines, coverage, probes

CHUNK = "FAIL \x1b[39m[22mtest/a.test.js\nnl\n  TypeError: Cannot read property 'x' of undefined\n  at Context.anonymous> (a.js:3:1)\n}"


def test_trivial_lines_and_colour_codes_are_not_evidence():
    assert probes(CHUNK) == ["FAIL test/a.test.js", "TypeError: Cannot read property 'x' of undefined",
                             "at Context.anonymous> (a.js:3:1)"]


def test_a_chunk_line_counts_in_any_output_with_its_whitespace_colours_and_angle_brackets_normalised():
    output = "x\r\n\x1b[31m    TypeError:  Cannot read property 'x' of undefined\x1b[0m\r\n  at Context.<anonymous> (a.js:3:1)"
    assert coverage(probes(CHUNK), output) == 2 / 3
    assert coverage(probes(CHUNK), "nothing related") == 0.0


def test_the_baselines_are_the_tails_and_the_last_error_lines():
    text = "\n".join(f"line {n} error" if n % 10 == 0 else f"line {n}" for n in range(5000))
    outputs = baselines(text, same_lines=3)
    assert outputs["tail-4KB"].endswith("line 4999") and len(outputs["tail-4KB"]) <= 4096
    assert outputs["error-5"].splitlines() == [f"line {n} error" for n in range(4950, 5000, 10)]
    assert outputs["tail-same-lines"].splitlines() == ["line 4997", "line 4998", "line 4999"]


def test_private_mode_codes_copied_without_their_escape_byte_are_noise_too():
    chunk = "=[?1l>visual-mode/orientation                 FAIL"  # a terminal's keypad-mode code, ESC lost
    assert probes(chunk) == ["=>visual-mode/orientation FAIL"]
    assert coverage(probes(chunk), "=\x1b[?1l\x1b>visual-mode/orientation   FAIL".replace("\x1b>", ">")) == 1.0
