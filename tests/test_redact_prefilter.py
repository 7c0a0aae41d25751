"""The maintained rule set (detect-secrets) wakes only for lines that may hold a value: a compiler's
"before '}' token" or a timezone name never costs its import."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = ("import sys; from agent.logs.redact import redact; redact({line!r}); "
         "print('detect_secrets' in sys.modules)")


@pytest.mark.parametrize(("line", "loaded"), [
    ("src/a.cpp:3:9: error: expected ';' before '}' token", "False"),
    ("TZ=Asia/Kolkata date", "False"),
    ("export DEPLOY_TOKEN=Xk9mQ2rT5vW8zA1bQ", "True"),
])
def test_the_plugins_load_only_for_lines_that_may_hold_a_secret(line, loaded):
    done = subprocess.run([sys.executable, "-c", PROBE.format(line=line)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == loaded
