"""The ApraPipes-shaped repository files the eval cases start from, and edits to them."""

from __future__ import annotations

import hashlib
import json

from evals.case_workflows import BUILD_TEST, CALLER, CONTAINER, CUDA_TESTS
from evals.case_workflows_aux import CRON, DOXY, MACOS, PUBLISH, SELF_HOSTED

BASELINE = hashlib.sha1(b"apra-labs-vcpkg-baseline-2025-11").hexdigest()

DEPENDENCIES = [
    {"name": "opencv4", "default-features": False, "features": ["contrib", "cuda", "dnn", "jpeg", "png", "tiff"]},
    "ffmpeg", "libarchive", "sfml", "openal-soft", "nu-book-zxing-cpp", "pkgconf", "libjpeg-turbo",
    "boost-math", "boost-system", "boost-thread", "boost-filesystem", "boost-serialization",
    "boost-log", "boost-chrono", "boost-test", "boost-iostreams", "boost-dll", "bigint", "liblzma",
    "glib", "libmp4", "redis-plus-plus", "gtest",
]
OVERRIDES = [
    {"name": "ffmpeg", "version": "4.4.3"},
    {"name": "libarchive", "version": "3.5.2"},
    {"name": "sfml", "version": "2.6.1"},
    {"name": "boost", "version": "1.84.0"},
    {"name": "opencv4", "version": "4.10.0", "port-version": 6},
    {"name": "openal-soft", "version": "1.23.1"},
    {"name": "nu-book-zxing-cpp", "version": "2.2.1"},
]

NVV4L2_TESTS = """#include <boost/test/unit_test.hpp>

#include "FileReaderModule.h"
#include "NvV4L2Decoder.h"
#include "test_utils.h"

BOOST_AUTO_TEST_SUITE(nvv4l2_decoder_tests)

BOOST_AUTO_TEST_CASE(nvv4l2_decode_h264_1080p)
{
    auto reader = boost::shared_ptr<FileReaderModule>(new FileReaderModule(FileReaderModuleProps("./data/h264_1080p.h264")));
    auto decoder = boost::shared_ptr<NvV4L2Decoder>(new NvV4L2Decoder(NvV4L2DecoderProps()));
    reader->setNext(decoder);
    BOOST_TEST(reader->init());
    BOOST_TEST(decoder->init());
    for (int i = 0; i < 30; i++)
    {
        reader->step();
        decoder->step();
    }
}

BOOST_AUTO_TEST_CASE(nvv4l2_decode_h264_720p_props)
{
    NvV4L2DecoderProps props;
    props.maxConcurrentFrames = 4;
    BOOST_TEST(props.maxConcurrentFrames == 4);
}

BOOST_AUTO_TEST_SUITE_END()
"""


def manifest(dependencies=None, overrides=None) -> str:
    """Return base/vcpkg.json text."""
    doc = {"$schema": "https://raw.githubusercontent.com/microsoft/vcpkg-tool/main/docs/vcpkg.schema.json",
           "name": "apra-pipes", "version": "0.0.1", "builtin-baseline": BASELINE,
           "dependencies": DEPENDENCIES if dependencies is None else dependencies,
           "overrides": OVERRIDES if overrides is None else overrides}
    return json.dumps(doc, indent=2) + "\n"


def configuration(baseline: str = BASELINE) -> str:
    """Return base/vcpkg-configuration.json text."""
    doc = {"default-registry": {"kind": "git", "repository": "https://github.com/Apra-Labs/vcpkg.git",
                                "baseline": baseline},
           "registries": [], "overlay-ports": ["../thirdparty/custom-overlay"]}
    return json.dumps(doc, indent=2) + "\n"


def _caller(name, job, called, runner, flav, selfhosted="false", cuda="ON") -> str:
    return CALLER.format(name=name, job=job, called=called, runner=runner, flav=flav,
                         selfhosted=selfhosted, cuda=cuda)


def base_files() -> dict[str, str]:
    """Return the repository files every case starts from."""
    wf = ".github/workflows/"
    return {
        wf + "CI-Linux.yml": _caller("CI-Linux", "linux-cuda", "build-test.yml", "ubuntu-22.04", "Linux-CUDA"),
        wf + "CI-Windows.yml": _caller("CI-Windows", "windows-cuda", "build-test.yml", "windows-latest", "Windows-CUDA"),
        wf + "CI-Linux-ARM64.yml": _caller("CI-Linux-ARM64", "jetson", "build-test-lin.yml",
                                           "'[\"self-hosted\",\"Linux\",\"ARM64\"]'", "Linux_ARM64", "true"),
        wf + "CI-MacOSX-NoCUDA.yml": _caller("CI-MacOSX-NoCUDA", "macos", "build-test-macosx.yml",
                                             "macos-15-intel", "MacOSX", cuda="OFF"),
        wf + "build-test.yml": BUILD_TEST,
        wf + "CI-CUDA-Tests.yml": CUDA_TESTS,
        wf + "build-test-lin-container.yml": CONTAINER,
        wf + "build-test-lin.yml": SELF_HOSTED,
        wf + "build-test-macosx.yml": MACOS,
        wf + "publish-test.yml": PUBLISH,
        wf + "cron-update-vcpkg.yml": CRON,
        wf + "doxy.yml": DOXY,
        "base/vcpkg.json": manifest(),
        "base/vcpkg-configuration.json": configuration(),
    }


def replace(files: dict[str, str], path: str, old: str, new: str, count: int = -1) -> None:
    """Edit one file in place; the old text must be present, so a stale edit cannot pass silently."""
    text = files[path]
    if old not in text:
        raise ValueError(f"{path}: {old!r} not found")
    files[path] = text.replace(old, new, count)
