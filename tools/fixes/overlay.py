"""overlay_port_hash: correct the SHA512 an overlay port's portfile.cmake expects for its source archive."""

from __future__ import annotations

import re

from pydantic import field_validator

from tools.fixes.base import Change, Files, NotApplicable, Params, matches_any, splice

OVERLAY_GLOBS = ("thirdparty/**/portfile.cmake",)
PORT = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SHA512 = re.compile(r"^[0-9a-fA-F]{128}$")


class OverlayPortHashParams(Params):
    port: str
    """The overlay port whose archive changed, e.g. `opencv4` (its folder under thirdparty/<overlay>/)."""
    expected: str
    """The SHA512 the portfile declares (vcpkg's `Expected hash`); it must be present in the portfile."""
    actual: str
    """The SHA512 of the archive vcpkg downloaded (vcpkg's `Actual hash`)."""

    @field_validator("port")
    @classmethod
    def _port(cls, value: str) -> str:
        if not PORT.match(value):
            raise ValueError(f"not a vcpkg port name: {value!r}")
        return value

    @field_validator("expected", "actual")
    @classmethod
    def _sha512(cls, value: str) -> str:
        if not SHA512.match(value):
            raise ValueError(f"not a SHA512 (128 hex digits): {value[:20]!r}…")
        return value.lower()


def hash_spans(text: str, digest: str) -> list[tuple[int, int]]:
    """Where the digest stands alone (not inside a longer hex run), case-insensitively."""
    pattern = re.compile(r"(?<![0-9A-Fa-f])" + digest + r"(?![0-9A-Fa-f])", re.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)]


def overlay_port_hash(files: Files, params: OverlayPortHashParams) -> Change:
    """Replace the expected SHA512 by the actual one in `thirdparty/**/<port>/portfile.cmake`."""
    change, fixed = Change(), []
    for path, text in sorted(files.items()):
        if not matches_any(path, OVERLAY_GLOBS) or path.split("/")[-2] != params.port:
            continue
        spans = hash_spans(text, params.expected)
        if spans:
            change.texts[path] = splice(text, [(start, end, params.actual) for start, end in spans])
            fixed.append({"file": path, "count": len(spans)})
    if not fixed:
        raise NotApplicable(
            f"no overlay portfile.cmake of {params.port} declares SHA512 {params.expected[:16]}…"
        )
    change.resolved = {"files": sorted(change.texts), "fixed": fixed}
    return change
