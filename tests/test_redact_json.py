"""Redaction keeps a JSON tool result readable: keys and plain words stay, only secrets go."""

from __future__ import annotations

import json

from agent.logs.redact import redact


def test_json_keys_on_a_line_with_a_token_are_not_taken_for_secrets():
    text = json.dumps({"last_green": 123, "new_lines": ["token=ghp_" + "a1" * 18, "error: widgets"], "same": 3})
    cleaned, count = redact(text)
    data = json.loads(cleaned)
    assert set(data) == {"last_green", "new_lines", "same"} and count == 1
    assert "ghp_" not in cleaned and data["new_lines"][1] == "error: widgets"


def test_a_random_looking_password_in_a_json_line_is_still_redacted():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    cleaned, _ = redact(json.dumps({"step": "login", "log": f"password={secret}"}))
    assert secret not in cleaned and '"step": "login"' in cleaned
