"""The README's two commands are the contract with a new user and with CI."""

import re

from agent import PROJECT_ROOT


def _commands() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```sh\n(.+?)\n```", text, flags=re.MULTILINE)


def test_readme_starts_with_a_run_command_and_a_test_command():
    run, test = _commands()[:2]
    assert run.endswith("agent demo")
    assert test.endswith("python -m pytest")
    assert "torch" not in run or "torch==2.13.0" in run


def test_ci_runs_exactly_the_readme_test_command():
    script = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test = _commands()[1]
    assert "grep -m1" in script and "pytest" in script
    pattern = re.search(r'grep -m1 -E "(.+?)" README.md', script).group(1).replace("\\&", "&")
    assert re.match(pattern, test)


def test_lock_pins_the_local_cpu_torch():
    lock = (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "torch==2.13.0" in lock.splitlines()
