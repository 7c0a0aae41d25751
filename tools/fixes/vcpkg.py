"""vcpkg_override, vcpkg_dependency_add, vcpkg_baseline: JSON edits that keep indentation and order."""

from __future__ import annotations

import json
import re

from pydantic import Field, field_validator

from tools.fixes import jsonspan
from tools.fixes.base import Change, Files, NotApplicable, Params, newline_of, splice

PORT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VERSION_KEYS = ("version", "version-semver", "version-date", "version-string")
SHA40 = re.compile(r"^[0-9a-f]{40}$")


def port_name(value: str) -> str:
    """A vcpkg port name (lowercase words joined by dashes), else ValueError."""
    if not PORT.match(value):
        raise ValueError(f"not a vcpkg port name: {value!r}")
    return value


class OverrideParams(Params):
    name: str
    """The port, e.g. `sfml`."""
    version: str
    """The version to pin, e.g. `2.6.2` (`4.10.0#6` also sets port-version 6)."""
    port_version: int | None = Field(default=None, ge=0)
    """The port-version; default none (an old one is dropped when the version changes)."""
    manifest: str = "base/vcpkg.json"

    _port = field_validator("name")(classmethod(lambda cls, value: port_name(value)))


class DependencyParams(Params):
    name: str
    """The port to depend on, e.g. `pkgconf`."""
    manifest: str = "base/vcpkg.json"

    _port = field_validator("name")(classmethod(lambda cls, value: port_name(value)))


class BaselineParams(Params):
    baseline: str
    """The registry commit (40 hex)."""
    config: str = "base/vcpkg-configuration.json"

    @field_validator("baseline")
    @classmethod
    def _sha(cls, value: str) -> str:
        if not SHA40.match(value):
            raise ValueError(f"baseline must be a 40-hex commit, not {value!r}")
        return value


def load_object(files: Files, path: str) -> tuple[str, jsonspan.JNode]:
    """(text, root object) of a JSON file in the repository files."""
    if path not in files:
        raise NotApplicable(f"{path} is not in the repository files")
    root = jsonspan.parse(files[path])
    if root.kind != "object":
        raise NotApplicable(f"{path} is not a JSON object")
    return files[path], root


def split_version(params: OverrideParams) -> tuple[str, int | None]:
    """(version, port-version) from the params; `1.2#3` carries its port-version."""
    if "#" in params.version:
        version, port = params.version.split("#", 1)
        return version, int(port)
    return params.version, params.port_version


def update_entry(text: str, entry: jsonspan.JNode, version: str, port: int | None) -> list:
    """Replacements that set an override's version (keeping its version key) and port-version."""
    key = next((k for k in VERSION_KEYS if entry.get(k) is not None), None)
    if key is None:
        raise NotApplicable("the existing override has no version field")
    old_port = entry.get("port-version")
    repls = []
    if entry.get(key).value != version:
        node = entry.get(key)
        repls.append((node.start, node.end, json.dumps(version)))
    if port is not None and old_port is not None and old_port.value != port:
        repls.append((old_port.start, old_port.end, str(port)))
    elif port is not None and old_port is None:
        last = entry.members[-1][2]
        indent = jsonspan.member_indent(text, entry, jsonspan.indent_step(text))
        repls.append((last.end, last.end, f',{newline_of(text)}{indent}"port-version": {port}'))
    elif port is None and old_port is not None and repls:
        repls.append(jsonspan.remove_member(text, entry, "port-version"))
    return repls


def vcpkg_override(files: Files, params: OverrideParams) -> Change:
    """Add or update `overrides[name]` in the manifest."""
    text, root = load_object(files, params.manifest)
    version, port = split_version(params)
    step, nl = jsonspan.indent_step(text), newline_of(text)
    overrides = root.get("overrides")
    entry = {"name": params.name, "version": version} | ({"port-version": port} if port is not None else {})
    if overrides is None:
        rendered = jsonspan.dump([entry], jsonspan.member_indent(text, root, step), step)
        repls = [jsonspan.insert_member_last(text, root, "overrides", rendered, step, nl)]
        old = None
    else:
        found = next(
            (
                o
                for o in overrides.items
                if o.kind == "object" and o.get("name") and o.get("name").value == params.name
            ),
            None,
        )
        old = None if found is None else {k: v.value for k, _, v in found.members}
        if found is None:
            indent = jsonspan.member_indent(text, overrides, step)
            repls = [jsonspan.append_item(text, overrides, jsonspan.dump(entry, indent, step), indent, nl)]
        else:
            repls = update_entry(text, found, version, port)
    if not repls:
        raise NotApplicable(f"{params.name} is already overridden to {params.version}")
    change = Change({params.manifest: splice(text, repls)})
    change.resolved = {"file": params.manifest, "from": old, "to": entry}
    return change


def dependency_name(node: jsonspan.JNode) -> str | None:
    """The port name of a dependency entry (a string or an object with `name`)."""
    if node.kind == "string":
        return node.value
    name = node.get("name") if node.kind == "object" else None
    return name.value if name is not None else None


def vcpkg_dependency_add(files: Files, params: DependencyParams) -> Change:
    """Add a port to `dependencies` (in sorted position when the list is sorted, else at the end)."""
    text, root = load_object(files, params.manifest)
    step, nl = jsonspan.indent_step(text), newline_of(text)
    deps = root.get("dependencies")
    if deps is None:
        rendered = jsonspan.dump([params.name], jsonspan.member_indent(text, root, step), step)
        repl = jsonspan.insert_member_last(text, root, "dependencies", rendered, step, nl)
    else:
        names = [dependency_name(d) for d in deps.items]
        if params.name in names:
            raise NotApplicable(f"{params.name} is already a dependency in {params.manifest}")
        index = len(names)
        if names and all(names) and names == sorted(names):
            index = next((i for i, n in enumerate(names) if n > params.name), len(names))
        indent = jsonspan.member_indent(text, deps, step)
        repl = jsonspan.insert_item(text, deps, index, json.dumps(params.name), indent, nl)
    change = Change({params.manifest: splice(text, [repl])})
    change.resolved = {"file": params.manifest, "name": params.name}
    return change


def vcpkg_baseline(files: Files, params: BaselineParams) -> Change:
    """Move the default registry's baseline (or the only registry's) to a commit."""
    text, root = load_object(files, params.config)
    registry = root.get("default-registry")
    if registry is None and root.get("registries") is not None and len(root.get("registries").items) == 1:
        registry = root.get("registries").items[0]
    node = registry.get("baseline") if registry is not None and registry.kind == "object" else None
    if node is None:
        raise NotApplicable(f"no registry baseline in {params.config}")
    if node.value == params.baseline:
        raise NotApplicable(f"baseline is already {params.baseline}")
    change = Change({params.config: splice(text, [(node.start, node.end, json.dumps(params.baseline))])})
    change.resolved = {"file": params.config, "from": node.value, "to": params.baseline}
    return change
