"""A small JSON parser that keeps every value's offsets, so JSON edits stay surgical."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tools.fixes.base import NotApplicable, indent_at, line_start

_WS = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_DECODER = json.JSONDecoder()


@dataclass
class JNode:
    """A JSON value with its [start, end) offsets; objects keep (key, key start, value) members."""

    kind: str
    start: int
    end: int
    value: Any = None
    members: list[tuple[str, int, JNode]] = field(default_factory=list)
    items: list[JNode] = field(default_factory=list)

    def get(self, key: str) -> JNode | None:
        """The member value named `key`, or None."""
        return next((v for k, _, v in self.members if k == key), None)

    def key_start(self, key: str) -> int:
        """Offset of the opening quote of member `key`."""
        return next(s for k, s, _ in self.members if k == key)


def parse(text: str) -> JNode:
    """Parse JSON text into positioned nodes; raises NotApplicable when it is not JSON."""
    try:
        node, end = _value(text, _skip(text, 0))
    except (ValueError, IndexError) as exc:
        raise NotApplicable(f"not valid JSON: {exc}") from exc
    if _skip(text, end) != len(text):
        raise NotApplicable("not valid JSON: trailing data")
    return node


def _skip(text: str, i: int) -> int:
    return _WS.match(text, i).end()


def _value(text: str, i: int) -> tuple[JNode, int]:
    ch = text[i]
    if ch == "{":
        return _object(text, i)
    if ch == "[":
        return _array(text, i)
    if ch == '"':
        value, end = _DECODER.raw_decode(text, i)
        return JNode("string", i, end, value), end
    for word, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(word, i):
            return JNode("literal", i, i + len(word), value), i + len(word)
    m = _NUMBER.match(text, i)
    if not m:
        raise ValueError(f"unexpected character at offset {i}")
    return JNode("number", i, m.end(), json.loads(m.group(0))), m.end()


def _object(text: str, i: int) -> tuple[JNode, int]:
    node, i = JNode("object", i, i), _skip(text, i + 1)
    while text[i] != "}":
        key_start = i
        key, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if text[i] != ":":
            raise ValueError(f"expected ':' at offset {i}")
        value, i = _value(text, _skip(text, i + 1))
        node.members.append((key, key_start, value))
        i = _skip(text, i)
        if text[i] == ",":
            i = _skip(text, i + 1)
    node.end = i + 1
    return node, i + 1


def _array(text: str, i: int) -> tuple[JNode, int]:
    node, i = JNode("array", i, i), _skip(text, i + 1)
    while text[i] != "]":
        item, i = _value(text, i)
        node.items.append(item)
        i = _skip(text, i)
        if text[i] == ",":
            i = _skip(text, i + 1)
    node.end = i + 1
    return node, i + 1


def indent_step(text: str) -> str:
    """The file's indentation step (from the first indented line), two spaces if none."""
    m = re.search(r"\n([ \t]+)\S", text)
    return m.group(1) if m else "  "


def dump(value: Any, base_indent: str, step: str) -> str:
    """A JSON value rendered multi-line like vcpkg writes it, continuation lines at `base_indent`."""
    rendered = json.dumps(value, indent=step, ensure_ascii=False)
    return rendered.replace("\n", "\n" + base_indent)


def member_indent(text: str, container: JNode, step: str) -> str:
    """The indentation of a container's members (from its first member, else its own + step)."""
    first = (
        container.members[0][1]
        if container.members
        else (container.items[0].start if container.items else None)
    )
    if first is not None and text[line_start(text, first) : first].strip() == "":
        return indent_at(text, first)
    return indent_at(text, container.start) + step


def append_item(text: str, array: JNode, rendered: str, indent: str, nl: str) -> tuple[int, int, str]:
    """A replacement that appends an already rendered item after an array's last item."""
    if array.items:
        last = array.items[-1]
        return last.end, last.end, f",{nl}{indent}{rendered}"
    closing_indent = (
        indent_at(text, array.end - 1)
        if text[line_start(text, array.end - 1) : array.end - 1].strip() == ""
        else ""
    )
    return array.start + 1, array.end - 1, f"{nl}{indent}{rendered}{nl}{closing_indent}"


def insert_item(
    text: str, array: JNode, index: int, rendered: str, indent: str, nl: str
) -> tuple[int, int, str]:
    """A replacement that inserts a rendered item before item `index` (or appends at the end)."""
    if index >= len(array.items):
        return append_item(text, array, rendered, indent, nl)
    before = array.items[index]
    return before.start, before.start, f"{rendered},{nl}{indent}"


def insert_member_first(
    text: str, obj: JNode, key: str, rendered: str, step: str, nl: str
) -> tuple[int, int, str]:
    """A replacement that adds `"key": value` as the object's first member."""
    indent = member_indent(text, obj, step)
    if obj.members:
        start = obj.members[0][1]
        return start, start, f"{json.dumps(key)}: {rendered},{nl}{indent}"
    return obj.start + 1, obj.start + 1, f"{nl}{indent}{json.dumps(key)}: {rendered}{nl}"


def insert_member_last(
    text: str, obj: JNode, key: str, rendered: str, step: str, nl: str
) -> tuple[int, int, str]:
    """A replacement that adds `"key": value` after the object's last member."""
    indent = member_indent(text, obj, step)
    if obj.members:
        last = obj.members[-1][2]
        return last.end, last.end, f",{nl}{indent}{json.dumps(key)}: {rendered}"
    return obj.start + 1, obj.start + 1, f"{nl}{indent}{json.dumps(key)}: {rendered}{nl}"


def remove_member(text: str, obj: JNode, key: str) -> tuple[int, int, str]:
    """A replacement that deletes member `key` together with the comma that separated it."""
    index = next(i for i, (k, _, _) in enumerate(obj.members) if k == key)
    _, key_start, value = obj.members[index]
    if index > 0:
        return obj.members[index - 1][2].end, value.end, ""
    if len(obj.members) > 1:
        return key_start, obj.members[1][1], ""
    return obj.start + 1, obj.end - 1, ""
