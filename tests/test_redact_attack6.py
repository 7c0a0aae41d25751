"""Issue 14, attack 6: every leaked form is hidden from `agent triage --json` (root cause, excerpt, all of it)."""

from __future__ import annotations

import pytest
from test_redact_corpus import AWS_SECRET, AZURE_KEY, DOCKER_AUTH, MYSQL_PW, SLACK_APP, URL_PW

from agent.cli.app import main

STAMP = "2025-12-01T10:21:44.{:07d}Z "
LEAKS = [
    f"+ aws configure set aws_secret_access_key {AWS_SECRET}",
    f'{{"auths":{{"ghcr.io":{{"auth":"{DOCKER_AUTH}"}}}}}}',
    f"+ mysql -uroot -p{MYSQL_PW} -h 127.0.0.1 -e 'SELECT 1'",
    f"fatal: unable to access 'https://:{URL_PW}@git.example.com/o/r.git/': The requested URL returned error: 403",
    f"az storage blob upload --connection-string 'DefaultEndpointsProtocol=https;AccountKey={AZURE_KEY}'",
    f"SLACK_APP_TOKEN={SLACK_APP} node notify.js",
    "error: the deploy step failed with exit code 1",
    "##[error]Process completed with exit code 1.",
]


def test_triage_json_carries_none_of_the_attack_6_secrets(tmp_path, capsys):
    log = tmp_path / "job.txt"
    log.write_text("".join(STAMP.format(i) + line + "\n" for i, line in enumerate(LEAKS)), encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["triage", str(log), "--json"])
    out = capsys.readouterr().out
    assert '"redactions"' in out and "[REDACTED:" in out
    for secret in (AWS_SECRET, DOCKER_AUTH, MYSQL_PW, URL_PW, AZURE_KEY, SLACK_APP):
        assert secret not in out
