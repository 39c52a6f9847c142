"""Writing a suggested change into the playbook's text, keeping marketing's comments and layout.

Each change sets one key (`budget.min_annual`, `thresholds.qualified`, `weights.need`,
`thresholds.must_not_miss`) by editing its line in place; the result is read back and must
equal the old playbook with exactly that value changed. A layout the line edit does not
handle (a flow mapping such as `budget: {min_annual: ...}`) goes through ruamel.yaml's
round trip instead, which also keeps comments.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import yaml


class DraftError(ValueError):
    """The change could not be written into the text."""


def _scalar(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _find(lines: list[str], path: Sequence[str]) -> tuple[int, re.Match[str], int]:
    """(line index, match, end of its block) of the key at `path`, each key inside its parent's block."""
    start, end, depth = 0, len(lines), -1
    found: tuple[int, re.Match[str]] | None = None
    for key in path:
        pattern = re.compile(rf"^( *){re.escape(key)}:(.*)$")
        # the parent's own children only (the top level at column 0), never a deeper key of the same name
        level = next((_indent(lines[i]) for i in range(start, end) if not _blank(lines[i])), 0)
        found = None
        for i in range(start, end):
            match = pattern.match(lines[i].rstrip("\n"))
            if match and len(match.group(1)) == level:
                found = (i, match)
                break
        if found is None:
            raise DraftError(f"{'.'.join(path)}: no line for {key!r}")
        i, match = found
        depth = len(match.group(1))
        start = i + 1
        end = next((j for j in range(i + 1, end) if not _blank(lines[j]) and _indent(lines[j]) <= depth), end)
    assert found is not None
    return found[0], found[1], end


def _line_edit(text: str, path: Sequence[str], value: Any) -> str:
    lines = text.splitlines(keepends=True)
    key_line, match, end = _find(lines, path)
    rest = match.group(2)
    comment = re.search(r"\s#.*$", rest) if '"' not in rest and "'" not in rest else None
    old_value = rest[: comment.start()] if comment else rest
    pad = old_value[: len(old_value) - len(old_value.lstrip())] or " "
    new_value = _scalar(value)
    tail = ""
    if comment:  # keep the comment in its column where the new value leaves room
        gap = len(old_value) - len(old_value.rstrip()) + 1
        tail = " " * max(1, gap + len(old_value.strip()) - len(new_value)) + comment.group(0).lstrip()
    if not old_value.strip():  # a block value (a list below): replaced by an inline one
        if not isinstance(value, (list, tuple)):
            raise DraftError(f"{'.'.join(path)} is a block")
        del lines[key_line + 1 : end]
    elif old_value.strip().startswith("{"):
        raise DraftError(f"{'.'.join(path)} is in a flow mapping")
    newline = "\n" if lines[key_line].endswith("\n") else ""
    lines[key_line] = f"{match.group(1)}{path[-1]}:{pad}{new_value}{tail}{newline}"
    return "".join(lines)


def _round_trip(text: str, path: Sequence[str], value: Any) -> str:
    from ruamel.yaml import YAML  # pinned (requirements.lock); only for layouts the line edit does not handle

    parser: Any = YAML()
    parser.preserve_quotes = True
    parser.width = 4096
    data = parser.load(text)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = list(value) if isinstance(value, tuple) else value
    out = io.StringIO()
    parser.dump(data, out)
    return out.getvalue()


def _expected(text: str, path: Sequence[str], value: Any) -> Any:
    data = yaml.safe_load(text)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = list(value) if isinstance(value, tuple) else value
    return data


def set_value(text: str, path: Sequence[str], value: Any) -> str:
    """`text` with the key at `path` set to `value`, everything else as it was (DraftError if impossible)."""
    expected = _expected(text, path, value)
    for edit in (_line_edit, _round_trip):
        try:
            changed = edit(text, path, value)
        except (DraftError, KeyError, TypeError):
            continue
        if yaml.safe_load(changed) == expected:
            return changed
    raise DraftError(f"could not write {'.'.join(path)} = {_scalar(value)} into the playbook")
