"""Manifest and test-source fix templates on the ApraPipes fixtures: only the intended lines change."""

from __future__ import annotations

import json

import pytest
from fixes_kit import NOTE, OWNERSHIP, WF, changes_by_file, line_changes, load_repo

from tools.fixes import apply_template

CASES = [
    (
        "cache_key_bump",
        {"mode": "vcpkg_comment"},
        {"base/vcpkg.json": ([], ['  "$comment": "cache bust 1",'])},
    ),
    (
        "vcpkg_override",
        {"name": "sfml", "version": "2.6.2"},
        {"base/vcpkg.json": (['      "version": "2.6.1"'], ['      "version": "2.6.2"'])},
    ),
    (
        "vcpkg_override",
        {"name": "opencv4", "version": "4.10.0#7"},
        {"base/vcpkg.json": (['      "port-version": 6'], ['      "port-version": 7'])},
    ),
    (
        "vcpkg_override",
        {"name": "opencv4", "version": "4.11.0"},
        {
            "base/vcpkg.json": (
                ['      "version": "4.10.0",', '      "port-version": 6'],
                ['      "version": "4.11.0"'],
            )
        },
    ),
    (
        "vcpkg_override",
        {"name": "libjpeg-turbo", "version": "3.0.4"},
        {
            "base/vcpkg.json": (
                [],
                ["    },", "    {", '      "name": "libjpeg-turbo",', '      "version": "3.0.4"'],
            )
        },
    ),
    (
        "vcpkg_dependency_add",
        {"name": "pkgconf"},
        {"base/vcpkg.json": (["    }"], ["    },", '    "pkgconf"'])},
    ),
    (
        "vcpkg_baseline",
        {"baseline": "b" * 40},
        {
            "base/vcpkg-configuration.json": (
                ['    "baseline": "a1c6d4f053281b8e961c24a0035903f5f9d66329"'],
                [f'    "baseline": "{"b" * 40}"'],
            )
        },
    ),
    (
        "test_disable",
        {"test": "FrameMetadataTest.CudaDeviceMemory", **OWNERSHIP},
        {
            "base/test/frame_metadata_tests.cpp": (
                ["TEST_F(FrameMetadataTest, CudaDeviceMemory)  // needs a GPU: flaky on shared runners"],
                [
                    "// " + NOTE.format(test="FrameMetadataTest.CudaDeviceMemory"),
                    "TEST_F(FrameMetadataTest, DISABLED_CudaDeviceMemory)  // needs a GPU: flaky on shared runners",
                ],
            )
        },
    ),
    (
        "test_disable",
        {"test": "nvv4l2_tests/encode_h264", "framework": "boost", **OWNERSHIP},
        {
            "base/test/nvv4l2_tests.cpp": (
                ["BOOST_AUTO_TEST_CASE(encode_h264, *utf::timeout(120))"],
                [
                    "// " + NOTE.format(test="nvv4l2_tests/encode_h264"),
                    "BOOST_AUTO_TEST_CASE(encode_h264, *utf::timeout(120) * boost::unit_test::disabled())",
                ],
            )
        },
    ),
    (
        "test_disable",
        {"test": "basic", **OWNERSHIP},
        {
            "base/test/nvv4l2_tests.cpp": (
                ["BOOST_AUTO_TEST_CASE(basic)"],
                [
                    "// " + NOTE.format(test="basic"),
                    "BOOST_AUTO_TEST_CASE(basic, *boost::unit_test::disabled())",
                ],
            )
        },
    ),
    (
        "test_disable",
        {"test": "save_frames", **OWNERSHIP},
        {
            "base/test/nvv4l2_tests.cpp": (
                ["BOOST_FIXTURE_TEST_CASE(save_frames, CameraFixture)"],
                [
                    "// " + NOTE.format(test="save_frames"),
                    "BOOST_FIXTURE_TEST_CASE(save_frames, CameraFixture, *boost::unit_test::disabled())",
                ],
            )
        },
    ),
    (
        "test_disable",
        {"test": "ModuleFactoryTest", "framework": "ctest", **OWNERSHIP},
        {
            WF + "build-test-lin-container.yml": (
                ["        ctest --output-on-failure --timeout 600 -E 'gtk_glue_tests|nvjpeg_perf'"],
                [
                    "        # " + NOTE.format(test="ModuleFactoryTest"),
                    "        ctest --output-on-failure --timeout 600 -E 'gtk_glue_tests|nvjpeg_perf|^ModuleFactoryTest$'",
                ],
            )
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "params", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_template_changes_only_the_intended_lines(name, params, expected):
    assert changes_by_file(name, params) == expected


def test_vcpkg_comment_bumps_an_existing_cache_bust_comment():
    repo = load_repo()
    first = apply_template("cache_key_bump", repo, {"mode": "vcpkg_comment"}).edits[0].new
    second = apply_template("cache_key_bump", {**repo, "base/vcpkg.json": first}, {"mode": "vcpkg_comment"})
    assert line_changes(first, second.edits[0].new) == (
        ['  "$comment": "cache bust 1",'],
        ['  "$comment": "cache bust 2",'],
    )
    assert (second.params["from"], second.params["to"]) == (1, 2)


def test_json_edits_keep_key_order_and_indentation():
    result = apply_template("vcpkg_override", load_repo(), {"name": "libjpeg-turbo", "version": "3.0.4"})
    new = result.edits[0].new
    assert list(json.loads(new)) == list(json.loads(result.edits[0].old))
    assert json.loads(new)["overrides"][-1] == {"name": "libjpeg-turbo", "version": "3.0.4"}
    assert json.dumps(json.loads(new), indent=2) + "\n" == new


def test_every_source_template_is_exercised_on_the_fixtures():
    assert {name for name, _, _ in CASES} == {
        "cache_key_bump",
        "vcpkg_override",
        "vcpkg_dependency_add",
        "vcpkg_baseline",
        "test_disable",
    }


def test_ctest_exclusion_in_one_line_run_steps_keeps_yaml_quoting():
    text = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-22.04\n    steps:\n      - name: CTest\n"
        "        run: ctest --test-dir build -E slow_test --output-on-failure\n"
        "      - run: 'ctest --test-dir build'\n"
    )
    params = {"test": "flaky_one", "framework": "ctest", **OWNERSHIP}
    new = apply_template("test_disable", {WF + "t.yml": text}, params).edits[0].new
    note = "# " + NOTE.format(test="flaky_one")
    assert line_changes(text, new) == (
        ["        run: ctest --test-dir build -E slow_test --output-on-failure", "      - run: 'ctest --test-dir build'"],
        [
            "        " + note,
            "        run: ctest --test-dir build -E 'slow_test|^flaky_one$' --output-on-failure",
            "      " + note,
            "      - run: 'ctest -E ''^flaky_one$'' --test-dir build'",
        ],
    )
