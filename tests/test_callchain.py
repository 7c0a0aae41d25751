"""call_chain on the real ApraPipes tree: a run's workflow, the reusable workflows and local actions it calls."""

from __future__ import annotations

from fixes_upstream_kit import WF, upstream_repo

from agent.planner import template_files
from agent.policy.schema import BlastRadius
from tools.fixes.callchain import call_chain


def test_the_arm64_run_reaches_its_reusable_build_and_the_publisher():
    repo = upstream_repo()
    assert call_chain(WF + "CI-Linux-ARM64.yml", repo.get) == {
        WF + "CI-Linux-ARM64.yml", WF + "build-test-lin.yml", WF + "publish-test.yml"}


def test_the_linux_run_reaches_the_container_build_two_levels_down():
    chain = call_chain(WF + "CI-Linux.yml", upstream_repo().get)
    assert chain == {WF + "CI-Linux.yml", WF + "build-test.yml", WF + "CI-CUDA-Tests.yml",
                     WF + "build-test-lin-container.yml", WF + "publish-test.yml"}


def test_a_ref_suffix_on_the_run_path_is_ignored_and_an_unknown_workflow_reaches_nothing():
    repo = upstream_repo()
    assert WF + "build-test-lin.yml" in call_chain(WF + "CI-Linux-ARM64.yml@refs/heads/main", repo.get)
    assert call_chain(WF + "absent.yml", repo.get) == set()


def test_local_composite_actions_and_their_own_calls_are_on_the_chain():
    repo = {
        WF + "ci.yml": "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/setup\n"
                       "      - uses: actions/checkout@v4\n",
        ".github/actions/setup/action.yaml": "runs:\n  using: composite\n  steps:\n"
                                             "    - uses: ./.github/actions/inner\n",
        ".github/actions/inner/action.yml": "runs:\n  using: composite\n  steps:\n    - run: true\n      shell: bash\n",
        WF + "other.yml": "on: push\njobs:\n  b:\n    uses: ./.github/workflows/ci.yml\n",
    }
    assert call_chain(WF + "ci.yml", repo.get) == {
        WF + "ci.yml", ".github/actions/setup/action.yaml", ".github/actions/inner/action.yml"}


def test_workflows_calling_each_other_in_a_cycle_end():
    loop = "on: workflow_call\njobs:\n  j:\n    uses: ./.github/workflows/{}.yml\n"
    repo = {WF + "a.yml": loop.format("b"), WF + "b.yml": loop.format("a")}
    assert call_chain(WF + "a.yml", repo.get) == {WF + "a.yml", WF + "b.yml"}


def test_the_planner_shows_a_template_only_the_runs_chain_minus_protected_files():
    repo = upstream_repo()
    seen = template_files("action_version", {"action": "actions/cache"}, repo, BlastRadius(),
                          WF + "CI-Linux-ARM64.yml")
    assert set(seen) == {WF + "CI-Linux-ARM64.yml", WF + "build-test-lin.yml"}


def test_manifests_stay_visible_and_an_unknown_workflow_keeps_every_workflow():
    repo = upstream_repo()
    assert set(template_files("cache_key_bump", {}, repo, BlastRadius(), WF + "CI-Linux-ARM64.yml")) == {
        WF + "CI-Linux-ARM64.yml", WF + "build-test-lin.yml", "base/vcpkg.json"}
    everything = template_files("action_version", {"action": "actions/cache"}, repo, BlastRadius(), None)
    assert WF + "build-test-macosx.yml" in everything and WF + "doxy.yml" not in everything
