"""apt_package_add / pip_package_add: add a package to the workflow's install commands."""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import field_validator

from tools.fixes.base import Change, Files, NotApplicable, Params, select_workflows, splice
from tools.fixes.shell import command_scalars, find_commands, insertion_point, word_spans
from tools.fixes.yamlspan import compose

APT_INSTALL = re.compile(r"\bapt(?:-get)?\s+(?:-{1,2}\S+\s+)*install\b")
PIP_INSTALL = re.compile(r"\b(?:pip3?|python3?\s+-m\s+pip)\s+install\b")
APT_NAME = re.compile(r"^[a-z0-9][a-z0-9+.\-]*(?:[=:][A-Za-z0-9.:~+\-]+)?$")
PIP_SPEC = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._\-]*)(?:\[[A-Za-z0-9_,\-]+\])?(?P<op>(?:==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!\-,<>=]+)?$"
)
SHELL_SAFE = re.compile(r"^[A-Za-z0-9._=\-\[\],:+~]+$")


class AptPackageParams(Params):
    package: str
    """The Debian package, e.g. `autoconf-archive` (or `name=version`)."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""

    @field_validator("package")
    @classmethod
    def _name(cls, value: str) -> str:
        if not APT_NAME.match(value):
            raise ValueError(f"not an apt package name: {value!r}")
        return value


class PipPackageParams(Params):
    package: str
    """The requirement, e.g. `cmake==3.30.1`; an existing entry of the same name is updated."""
    files: list[str] | None = None
    """Workflow globs to limit the change to; default every workflow."""

    @field_validator("package")
    @classmethod
    def _spec(cls, value: str) -> str:
        if not PIP_SPEC.match(value):
            raise ValueError(f"not a pip requirement: {value!r}")
        return value


def apt_name(word: str) -> str:
    """The package name of an apt word (`gcc-11=11.4*` → `gcc-11`)."""
    return re.split(r"[=:]", word.strip("'\""), maxsplit=1)[0]


def pip_name(word: str) -> str:
    """The normalised project name of a pip word (`'CMake>=3'` → `cmake`)."""
    match = PIP_SPEC.match(word.strip("'\""))
    return re.sub(r"[-_.]+", "-", match.group("name")).lower() if match else ""


def shell_word(spec: str, yaml_style: str | None) -> str:
    """The package as a shell word: single-quoted when it has shell metacharacters."""
    word = spec if SHELL_SAFE.match(spec) else f"'{spec}'"
    return word.replace("'", "''") if yaml_style == "'" else word


def add_to_commands(files: Files, globs, pattern, name_of: Callable[[str], str], spec: str) -> Change:
    """Add `spec` to the first install command of each shell scalar; re-pin a same-name word instead."""
    change, added, present = Change(), [], []
    for path, text in select_workflows(files, globs).items():
        replacements = []
        for node in command_scalars(compose(text)):
            commands = list(find_commands(text, node, pattern))
            if not commands:
                continue
            same = [
                (s, e, w) for c in commands for s, e, w in word_spans(text, *c) if name_of(w) == name_of(spec)
            ]
            if same and any(w.strip("'\"") == spec for _, _, w in same):
                present.append(path)
                continue
            if same:
                s, e, word = same[0]
                replacements.append((s, e, shell_word(spec, node.style)))
                added.append({"file": path, "line": text.count("\n", 0, s) + 1, "replaced": word})
                continue
            at = insertion_point(text, *commands[0])
            replacements.append((at, at, " " + shell_word(spec, node.style)))
            added.append({"file": path, "line": text.count("\n", 0, at) + 1})
        if replacements:
            change.texts[path] = splice(text, replacements)
    if not added:
        why = (
            f"already installed in {', '.join(sorted(set(present)))}"
            if present
            else "no install command found"
        )
        raise NotApplicable(f"{spec}: {why}")
    change.resolved = {"files": sorted(change.texts), "added": added, "already": sorted(set(present))}
    return change


def apt_package_add(files: Files, params: AptPackageParams) -> Change:
    """Add a package to each `apt-get install` command (continuations and `run: |` blocks included)."""
    return add_to_commands(files, params.files, APT_INSTALL, apt_name, params.package)


def pip_package_add(files: Files, params: PipPackageParams) -> Change:
    """Add (or re-pin) a requirement in each `pip3 install` command."""
    return add_to_commands(files, params.files, PIP_INSTALL, pip_name, params.package)
