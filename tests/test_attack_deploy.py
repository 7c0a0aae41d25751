"""Issue 14, attacks 3 and 4: publishing workflows are protected by what they do, and globs cover directories."""

from __future__ import annotations

import pytest
from test_policy_helpers import make_context, make_plan

from agent.github import GitHub
from agent.models import Edit
from agent.policy import Allow, Deny, decide
from agent.policy.deploy import deploy_paths_at, protected_by_behaviour
from agent.sandbox import Sandbox

WHEELS = """name: wheels
on:
  push:
    tags: ['v*']
permissions:
  id-token: write
  contents: read
jobs:
  build:
    runs-on: ubuntu-22.04
    container: quay.io/pypa/manylinux2014_x86_64
    steps:
      - uses: actions/checkout@v4
      - run: python -m build
      - uses: pypa/gh-action-pypi-publish@release/v1
"""
PLAIN = """name: build
on: [push]
jobs:
  build:
    runs-on: ubuntu-22.04
    container: ubuntu:18.04
    steps:
      - uses: actions/checkout@v4
      - run: make
"""
CALLER = """name: release-train
on: [push]
jobs:
  build:
    uses: ./.github/workflows/build-wheels.yml
  ship:
    needs: build
    runs-on: ubuntu-22.04
    environment: pypi
    steps:
      - run: echo shipping
"""
STEPS_HEAD = "on: [push]\njobs:\n  d:\n    runs-on: ubuntu-22.04\n    steps:\n"


def container_fix(path: str, text: str) -> Edit:
    """The HIGH container fix of the attack: a new image, nothing else."""
    return Edit(path=path, old=text, new=text.replace("manylinux2014", "manylinux_2_28").replace("18.04", "20.04"))


def refused(edit: Edit, **context: object) -> Deny | None:
    decision = decide(make_plan(edits=[edit]), make_context(**context))
    return decision if isinstance(decision, Deny) and decision.rule == "path.refused" else None


def test_a_publishing_wheels_workflow_is_never_rewritten_by_a_template():
    decision = refused(container_fix(".github/workflows/wheels.yml", WHEELS))
    assert decision is not None and "protected" in decision.reason


@pytest.mark.parametrize(("what", "text"), [
    ("tag trigger", "on:\n  push:\n    tags: ['v*']\n"),
    ("release trigger", "on:\n  release:\n    types: [published]\n"),
    ("id-token write", "on: [push]\npermissions:\n  id-token: write\n"),
    ("environment", "on: [push]\njobs:\n  ship:\n    runs-on: ubuntu-22.04\n    environment: prod\n    steps: []\n"),
    ("gh-pages", STEPS_HEAD + "      - uses: peaceiris/actions-gh-pages@v4\n"),
    ("docker push", STEPS_HEAD + "      - uses: docker/build-push-action@v6\n        with:\n          push: true\n"),
    ("twine", "on: [push]\njobs:\n  d:\n    runs-on: ubuntu-22.04\n    steps:\n      - run: twine upload dist/*\n"),
])
def test_each_deploy_behaviour_protects_an_innocently_named_file(what, text):
    text += "# ubuntu:18.04\n"
    assert refused(container_fix(".github/workflows/nightly.yml", text)) is not None, what


def test_a_workflow_called_by_a_deploying_workflow_is_protected():
    files = {".github/workflows/release-train.yml": CALLER, ".github/workflows/build-wheels.yml": PLAIN}
    deploys = protected_by_behaviour(files)
    assert "called by .github/workflows/release-train.yml" in deploys[".github/workflows/build-wheels.yml"]
    assert refused(container_fix(".github/workflows/build-wheels.yml", PLAIN), deploy_paths=deploys) is not None


def test_a_docker_build_that_does_not_push_is_not_a_deploy():
    text = PLAIN.replace("      - run: make\n", "      - uses: docker/build-push-action@v6\n        with:\n"
                                                   "          push: false\n")
    assert isinstance(decide(make_plan(edits=[container_fix(".github/workflows/ci.yml", text)]), make_context()),
                      Allow)


@pytest.mark.parametrize("path", [".github/actions/deploy/action.yml", ".github/workflows/deploy/x.yml",
                                  ".github/workflows/Release/nightly.yml"])
def test_protected_globs_cover_every_file_under_a_matching_directory(path):
    assert refused(Edit(path=path, old="runs:\n  using: composite\n", new="runs:\n  using: node20\n"))


def test_the_repository_deploy_paths_are_read_from_the_sandbox():
    files = {".github/workflows/release-train.yml": CALLER, ".github/workflows/build-wheels.yml": PLAIN,
             ".github/workflows/ci.yml": PLAIN, "README.md": "x\n"}
    with Sandbox() as sb:
        sb.add_repo("Apra-Labs/ApraPipes", files)
        gh = GitHub(base_url=sb.url, token=sb.token)
        deploys = deploy_paths_at(gh, "Apra-Labs/ApraPipes", "main")
    assert set(deploys) == {".github/workflows/release-train.yml", ".github/workflows/build-wheels.yml"}
