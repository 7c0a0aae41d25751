"""The troubleshooting guides: one section per problem, each with symptom, cause, fix and wrong fixes."""

from pathlib import Path

import pytest

from agent.rag.chunks import chunk_markdown

GUIDES = Path(__file__).resolve().parent.parent / "guides"
AREAS = ["windows", "linux", "cuda", "containers", "jetson", "macos", "vcpkg", "github-actions"]


def _sections():
    for area in AREAS:
        path = GUIDES / f"troubleshooting.{area}.md"
        for chunk in chunk_markdown(path.read_text(encoding="utf-8"), path.name, min_level=2):
            yield pytest.param(chunk, id=f"{area}#{chunk.anchor}")


@pytest.mark.parametrize("area", AREAS)
def test_every_area_has_a_guide_with_problems(area):
    path = GUIDES / f"troubleshooting.{area}.md"
    assert len(chunk_markdown(path.read_text(encoding="utf-8"), path.name, min_level=2)) >= 3


@pytest.mark.parametrize("section", list(_sections()))
def test_every_section_has_symptom_lines_cause_fix_and_wrong_fixes(section):
    text = section.text
    assert text.index("**Symptom**") < text.index("```") < text.index("**Cause.**") < text.index("**Fix")
    assert "**Fixes that look right and are wrong**" in text
    assert section.symptom_lines(), "the symptom code block has no log lines"


# One exact error string per row of the ApraPipes CI history, plus the generic GitHub Actions signatures.
ERRORS = [
    "version `GLIBC_2.28' not found",
    "uses a deprecated version of `actions/upload-artifact: v3`",
    "pip3: command not found",
    "A suitable version of cmake was not found (required v3.30.1)",
    "gperf currently requires the following programs from the system package manager:",
    "configure.ac:22: error: Autoconf version 2.70 or higher is required",
    "cudnn.h: No such file or directory",
    "ModuleNotFoundError: No module named 'distutils'",
    "Expected hash: 289d8e30",
    "fatal: remote error: upload-pack: not our ref bf0c600c6a",
    "error: no version database entry for",
    "Could NOT find PkgConfig (missing: PKG_CONFIG_EXECUTABLE)",
    "Could NOT find Boost (missing: Boost_INCLUDE_DIR system thread filesystem",
    "Unsupported SFML component: system",
    "'Int16': is not a member of 'sf'",
    "error C2039: 'extension': is not a member of 'boost::filesystem'",
    "undefined reference to `fmt::v12::vformat",
    "error: building libarchive:x64-windows-cuda failed with: BUILD_FAILED",
    "Restored 412 package(s)",
    "thirdparty/arm64-overlay/opencv4/portfile.cmake",
    "src/libavcodec/x86/mathops.h:125: Error: operand type mismatch for `shr'",
    "#error -- unsupported GNU version! gcc versions later than 11 are not supported!",
    "vcpkg was unable to detect the active compiler's information",
    "Environment variable VCPKG_DEFAULT_BINARY_CACHE must be a directory (was: ~/.cache/vcpkg)",
    "Restored 0 package(s)",
    "fatal: write error: No space left on device",
    "fatal error C1189: #error:  -- unsupported Microsoft Visual Studio version!",
    "has exceeded the maximum execution time of 360 minutes.",
    "cannot open display",
    "error: externally-managed-environment",
    "Invalid input, run_id is not defined in the referenced workflow",
    "Resource not accessible by integration",
    "test execution returned error",
    "unexpected EOF while looking for matching `\"'",
    "NvMMLiteBlockCreate",
    "STATUS_DLL_NOT_FOUND (-1073741515)",
    "CUDA_ERROR_OUT_OF_MEMORY",
    "Undefined symbols for architecture x86_64:",
    "_jpeg_default_qtables",
    "Access to the path 'C:\\ProgramData\\chocolatey\\lib\\python310\\legal' is denied",
    "The runner has received a shutdown signal.",
    "The hosted runner encountered an error while running your job.",
    "lost communication with the server",
    "System.IO.IOException: No space left on device",
    "Killed signal terminated program cc1plus",
    "toomanyrequests: You have reached your pull rate limit",
    "curl: (18) transfer closed",
    "Could not resolve host",
    "ECONNRESET",
    "502 Bad Gateway",
    "refusing to allow a GitHub App to create or update workflow",
    "uses a deprecated version of `actions/cache",
    "Node.js 16 actions are deprecated",
    "[  FAILED  ]",
    "failures are detected in the test module",
    "The following tests FAILED:",
    "undefined reference to",
    "LNK2019",
    "LNK1104",
    "ld: symbol(s) not found",
]


@pytest.fixture(scope="module")
def symptom_text():
    blocks = []
    for area in AREAS:
        path = GUIDES / f"troubleshooting.{area}.md"
        for chunk in chunk_markdown(path.read_text(encoding="utf-8"), path.name, min_level=2):
            blocks.append(chunk.text.split("**Cause.**")[0])
    return "\n".join(blocks)


@pytest.mark.parametrize("error", ERRORS)
def test_every_known_error_string_appears_in_a_symptom_block(symptom_text, error):
    assert error in symptom_text
