"""No third-party C++ log output reaches the terminal: a bad RE2 pattern in `log --grep` is one error line."""

from __future__ import annotations

import subprocess
import sys

import pytest

BAD_GREP = """
from tools.read_log import Input, run
try:
    run(Input(grep={pattern!r}), None)
except ValueError as error:
    print(error)
"""


@pytest.mark.parametrize("pattern", ["[", "(", "a{2,1}", "(?P<x"])
def test_a_bad_grep_pattern_is_one_line_and_re2_prints_nothing(pattern):
    done = subprocess.run([sys.executable, "-c", BAD_GREP.format(pattern=pattern)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("grep is not a valid RE2 expression")
