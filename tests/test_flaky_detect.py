"""Flaky only on evidence: same-commit pass and fail, or flips with no related change; always failing is broken."""

from __future__ import annotations

from agent.flaky.detect import Observation, judge, judge_all, related

TEST = "jpeg_tests/encode"
FILE = "base/test/jpeg_tests.cpp"


def obs(run: int, passed: bool, sha: str = "c1", attempt: int = 1, job: str = "build", changed=(), test: str = TEST,
        file: str | None = FILE) -> Observation:
    return Observation(test, "boost", run, attempt, job, sha, passed, f"2026-12-0{min(run, 9)}T00:00:0{attempt}",
                       None if changed is None else tuple(changed), file)


def test_a_test_that_failed_and_passed_on_the_same_commit_in_a_rerun_is_flaky():
    verdict = judge([obs(1, False), obs(1, True, attempt=2)])
    assert verdict.kind == "flaky" and verdict.evidence == [1]
    assert "same commit" in verdict.reason


def test_another_job_of_the_matrix_passing_on_the_same_commit_is_evidence_when_that_leg_passes_elsewhere():
    history = [obs(1, True, "c0", job="linux"), obs(1, True, "c0", job="jetson"),
               obs(2, False, "c1", job="jetson", changed=["README.md"]), obs(2, True, "c1", job="linux")]
    assert judge(history).kind == "flaky"


def test_a_leg_that_never_passes_is_not_made_flaky_by_another_leg_passing():
    history = [obs(1, False, "c1", job="jetson"), obs(1, True, "c1", job="linux"),
               obs(2, False, "c2", job="jetson", changed=["README.md"]), obs(2, True, "c2", job="linux")]
    verdict = judge(history)
    assert verdict.kind != "flaky"


def test_a_test_that_fails_every_time_is_broken_never_flaky():
    history = [obs(run, False, f"c{run}", changed=["README.md"]) for run in range(1, 6)]
    verdict = judge(history)
    assert verdict.kind == "broken" and verdict.reason == "fails every time"
    assert verdict.evidence == [1, 2, 3, 4, 5]


def test_a_flip_that_comes_with_a_change_to_the_test_file_is_not_flaky():
    history = [obs(1, True, "c1"), obs(2, False, "c2", changed=[FILE]), obs(3, False, "c3", changed=["docs/a.md"])]
    verdict = judge(history)
    assert verdict.kind == "broken"


def test_a_fail_and_recovery_caused_by_changes_to_the_code_under_test_is_not_flaky():
    history = [obs(1, True, "c1"), obs(2, False, "c2", changed=["base/src/JPEGEncoder.cpp"]),
               obs(3, True, "c3", changed=["base/src/JPEGEncoder.cpp"])]
    assert judge(history).kind == "passing"


def test_flips_with_no_related_change_make_a_test_flaky():
    history = [obs(1, True, "c1"), obs(2, False, "c2", changed=["README.md"]),
               obs(3, True, "c3", changed=["docs/guide.md"])]
    verdict = judge(history)
    assert verdict.kind == "flaky" and verdict.evidence == [1, 2, 3]
    assert verdict.flip_rate == 1.0


def test_flips_whose_changes_are_unknown_are_no_evidence():
    history = [obs(1, True, "c1"), obs(2, False, "c2", changed=None), obs(3, True, "c3", changed=None)]
    assert judge(history).kind == "passing"


def test_related_change_heuristic_matches_the_tests_folder_and_the_code_named_like_it():
    o = obs(1, True)
    assert related(o, ("base/test/other_tests.cpp",))
    assert related(o, ("base/src/jpeg/JpegCodec.cpp",))
    assert not related(o, ("base/src/H264Encoder.cpp",))  # the case name ("encode") is too generic to tie
    assert not related(obs(1, True, test="io/x", file=None), ("base/src/io.cpp",))  # 3 letters: too short
    assert related(obs(1, True, test="nvjpeg_tests/encode", file="base/test/nvjpeg_tests.cpp"),
                   ("base/src/NvJPEG.cpp",))
    assert not related(o, ("README.md", ".github/workflows/ci.yml"))


def test_judge_all_gives_owners_from_codeowners_and_sorts_flaky_first():
    observations = [obs(1, False), obs(1, True, attempt=2),
                    obs(1, False, test="cuda_tests/oom", file="base/test/cuda_tests.cpp"),
                    obs(2, False, "c2", test="cuda_tests/oom", file="base/test/cuda_tests.cpp", changed=["x"])]
    verdicts = judge_all(observations, codeowners="* @lead\nbase/test/jpeg_tests.cpp @jpegdev\n")
    assert [(v.test_id, v.kind, v.owners) for v in verdicts] == [
        (TEST, "flaky", ["jpegdev"]), ("cuda_tests/oom", "broken", ["lead"])]


def test_only_the_last_window_of_runs_counts():
    old_flips = [obs(1, True, "c1"), obs(2, False, "c2", changed=["README.md"]), obs(3, True, "c3", changed=["a"])]
    steady = [obs(run, True, f"c{run}", changed=["a"]) for run in range(4, 9)]
    assert judge_all(old_flips + steady, window=5)[0].kind == "passing"
    assert judge_all(old_flips + steady, window=8)[0].kind == "flaky"


def test_a_bare_file_name_from_boosts_junit_is_resolved_to_its_repository_path_for_the_owner():
    observations = [obs(1, False, file="jpeg_tests.cpp"), obs(1, True, attempt=2, file="jpeg_tests.cpp")]
    [verdict] = judge_all(observations, codeowners="base/test/ @testers\n",
                          paths=["base/test/jpeg_tests.cpp", "base/src/Jpeg.cpp"])
    assert verdict.file == "base/test/jpeg_tests.cpp" and verdict.owners == ["testers"]
