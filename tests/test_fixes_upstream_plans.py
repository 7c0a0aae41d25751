"""The issue's failures, planned on the real tree with the shipped DB's fixes, as the maintainers' guides say."""

from __future__ import annotations

from fixes_kit import line_changes
from fixes_upstream_kit import WF, inject, upstream_repo

from agent.knowledge import load_known_issues
from agent.models import Action, Category, Diagnosis, FixSpec, KnownIssueRef
from agent.planner import build_plan
from agent.policy import classify
from agent.policy.schema import load_policy

BUILD, CUDA, CONTAINER, MAC = (WF + "build-test.yml", WF + "CI-CUDA-Tests.yml", WF + "build-test-lin-container.yml",
                               WF + "build-test-macosx.yml")
HASH = "${{ hashFiles('base/vcpkg.json', 'vcpkg/baseline.json', 'submodule_ver.txt') }}"
LINUX_RUN = {"id": 9, "run_attempt": 1, "name": "CI-Linux", "path": WF + "CI-Linux.yml", "head_branch": "main",
             "head_sha": "c" * 40, "html_url": "https://github.com/Apra-Labs/ApraPipes/actions/runs/9"}


def plan_with_shipped_fix(issue_id: str, category: Category, repo: dict[str, str]):
    issue = load_known_issues().get(issue_id)
    fix = FixSpec(template=issue.fix.template, params=issue.fix.params)
    diagnosis = Diagnosis(signature="0123456789abcdef", category=category, title=issue.title, fix=fix,
                          known_issue=KnownIssueRef(id=issue_id, confidence=0.95), proposed_action=Action.auto_fix,
                          root_cause_lines=["x"], excerpt="x")
    return build_plan(diagnosis, "Apra-Labs/ApraPipes", LINUX_RUN, repo)


def test_upload_artifact_v3_fix_moves_the_download_companion_on_the_same_chain_too():
    repo = inject(upstream_repo(), BUILD, "actions/upload-artifact@v4", "actions/upload-artifact@v3")
    repo = inject(repo, CUDA, "actions/download-artifact@v4", "actions/download-artifact@v3")
    repo = inject(repo, MAC, "actions/upload-artifact@v4", "actions/upload-artifact@v3")  # not on CI-Linux's chain
    plan = plan_with_shipped_fix("upload-artifact-v3-rejected", Category.action_deprecated, repo)
    changes = {e.path: line_changes(e.old, e.new) for e in plan.edits}
    assert changes == {
        BUILD: (["      uses: actions/upload-artifact@v3"], ["      uses: actions/upload-artifact@v4"]),
        CUDA: (["      uses: actions/download-artifact@v3"], ["      uses: actions/download-artifact@v4"]),
    }


def test_glibc_image_fix_also_versions_the_container_cache_key():
    repo = inject(upstream_repo(), CONTAINER, "11.8.0-devel-ubuntu22.04", "11.8.0-devel-ubuntu18.04")
    plan = plan_with_shipped_fix("glibc-node20-old-container", Category.container_incompatible, repo)
    assert [e.path for e in plan.edits] == [CONTAINER]
    removed, added = line_changes(plan.edits[0].old, plan.edits[0].new)
    assert added[0] == "      image: nvidia/cuda:11.8.0-devel-ubuntu22.04"
    assert added.count(f"        key: LinuxD-vcpkg-1-{HASH}") == 1 and len(added) == 6
    assert all("LinuxD-vcpkg-1-" in line for line in added[1:]) and len(removed) == len(added)


def test_the_shipped_policy_protects_the_real_deploy_publish_and_pr_opening_workflows():
    radius = load_policy().blast_radius
    real = upstream_repo()
    for path in (WF + "doxy.yml", WF + "publish-test.yml", WF + "cron-update-vcpkg.yml"):
        assert path in real, f"{path} is not in the real tree any more"
        verdict = classify(path, radius)
        assert verdict.zone == "refused" and "protected" in verdict.reason


def test_the_shipped_policy_leaves_the_real_build_workflows_writable():
    radius = load_policy().blast_radius
    builds = [p for p in upstream_repo() if p.startswith(WF) and ("build-test" in p or p.startswith(WF + "CI-"))]
    assert len(builds) == 9 and all(classify(p, radius).zone == "allowed" for p in builds)
