"""policies.yaml: described defaults, unknown keys rejected, `agent policy check` in one line."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from agent.cli.app import main
from agent.errors import ConfigError
from agent.policy import Policy, load_policy, parse_policy


def _models(model: type[BaseModel]):
    yield model
    for field in model.model_fields.values():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from _models(field.annotation)


def test_shipped_policies_file_is_the_defaults(repo_root):
    assert load_policy(repo_root / "policies.yaml") == Policy()


def test_shipped_policies_file_spells_out_every_field(repo_root):
    import yaml

    data = yaml.safe_load((repo_root / "policies.yaml").read_text(encoding="utf-8"))
    for model, section in [(Policy, data)] + [(type(v), data[k]) for k, v in Policy() if isinstance(v, BaseModel)]:
        assert set(section) == set(model.model_fields), model.__name__


def test_every_field_has_a_description_and_unknown_keys_are_rejected():
    for model in _models(Policy):
        assert model.model_config.get("extra") == "forbid", model.__name__
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"


def test_every_top_level_field_has_a_default():
    assert Policy.model_validate({}) == Policy()


@pytest.mark.parametrize(("text", "named"), [
    ("rate_limits:\n  prs_per_hr: 3\n", "rate_limits.prs_per_hr: unknown field"),
    ("rate_limits:\n  prs_per_hour: -1\n", "rate_limits.prs_per_hour"),
    ("rate_limits:\n  prs_per_hour: lots\n", "rate_limits.prs_per_hour"),
    ("tiers:\n  high_min_confidence: 0.5\n", "tiers"),
    ("tiers:\n  high_min_confidence: 1.5\n", "tiers.high_min_confidence"),
    ("blast_radius:\n  max_files: {auto_fix: 1}\n", "blast_radius.max_files.pull_request"),
    ("actors:\n  branch_prefix: ''\n", "actors.branch_prefix"),
    ("colour: blue\n", "colour: unknown field"),
    ("- a\n- b\n", "expected a mapping"),
    ("rate_limits: [\n", "invalid YAML at line"),
])
def test_a_bad_policy_is_one_error_naming_the_field(text, named):
    with pytest.raises(ConfigError) as caught:
        parse_policy(text)
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_limit_of_zero_is_valid_and_reported_as_blocking(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text("rate_limits:\n  auto_fixes_per_day: 0\n", encoding="utf-8")
    with pytest.raises(SystemExit) as code:
        main(["policy", "check", str(path)])
    assert code.value.code == 0
    assert "blocked by a limit of 0: auto_fixes_per_day" in capsys.readouterr().out


def test_policy_check_on_a_bad_file_exits_2_with_one_line_naming_the_field(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("version: '2'\nrate_limits:\n  prs_per_hour: -3\n", encoding="utf-8")
    with pytest.raises(SystemExit) as code:
        main(["policy", "check", str(path)])
    err = capsys.readouterr().err
    assert code.value.code == 2
    assert err.count("\n") == 1 and "rate_limits.prs_per_hour" in err and "Traceback" not in err


def test_policy_check_on_a_missing_file_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as code:
        main(["policy", "check", str(tmp_path / "absent.yaml")])
    assert code.value.code == 2 and "cannot read" in capsys.readouterr().err


def test_policy_check_defaults_to_the_shipped_file_and_prints_the_limits(capsys):
    with pytest.raises(SystemExit) as code:
        main(["policy", "check"])
    out = capsys.readouterr().out
    assert code.value.code == 0
    assert "policies.yaml: OK" in out and "prs_per_hour=2" in out and ".github/workflows/doxy.yml" in out


def test_policy_check_json_prints_the_effective_policy(capsys):
    with pytest.raises(SystemExit):
        main(["policy", "check", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["policy"]["rate_limits"]["auto_fixes_per_day"] == 10
