"""Edit one section of the playbook's YAML text, leaving every other line as marketing wrote it.

The console's question editor and its "make this the wording" action change a section (the
`questions`, the `greeting`, `website.proactive`) and save the whole text through the same
path as the playbook editor (validation, what-if, history). Only the changed section is
written anew (comments inside it are not kept); the rest of the file, comments included, is
kept byte for byte. The caller validates the result with bot.playbook.parse_playbook.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from bot.openers import GREETING_KEY, PROACTIVE_PREFIX
from bot.playbook import Playbook
from bot.questions import QuestionSpec
from bot.vocab import FIELDS

#: Plain (unquoted) only for names like keys and ids ("company_size", "a"); texts are double-quoted.
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"})
#: Lists written on one line however long (as the playbook writes buttons).
_ALWAYS_FLOW = frozenset({"buttons"})
_FLOW_WIDTH = 110


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted string


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _flat(value: Any) -> bool:
    """Only plain values, or mappings of plain values: can be written on one line."""
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list)) for v in value.values())
    if isinstance(value, list):
        return all(_flat(v) if isinstance(v, dict) else not isinstance(v, list) for v in value)
    return True


def _emit(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if not isinstance(value, (dict, list)) or not value:
        return [f"{pad}{_scalar(key)}: {_flow(value)}"]
    one_line = f"{pad}{_scalar(key)}: {_flow(value)}"
    if isinstance(value, list) and _flat(value):
        if key in _ALWAYS_FLOW or all(not isinstance(v, dict) for v in value) or len(one_line) <= _FLOW_WIDTH:
            return [one_line]
    lines = [f"{pad}{_scalar(key)}:"]
    if isinstance(value, dict):
        for k, v in value.items():
            lines += _emit(str(k), v, indent + 2)
        return lines
    for item in value:
        if isinstance(item, dict) and item:
            body = [line for k, v in item.items() for line in _emit(str(k), v, indent + 4)]
            lines += [f"{pad}  - {body[0][indent + 4 :]}", *body[1:]]
        else:
            lines.append(f"{pad}  - {_flow(item)}")
    return lines


def dump(value: dict[str, Any]) -> str:
    """YAML for a section, written as the playbook is (yaml.safe_load reads back exactly `value`).

    Block mappings, lists of plain words on one line, texts double-quoted.
    """
    return "".join(line + "\n" for key, item in value.items() for line in _emit(str(key), item, 0))


def fingerprint(text: str) -> str:
    """A short hash of the playbook text: a form carries it, so a save never overwrites a newer file."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _skip(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _block(lines: list[str], lo: int, hi: int, indent: int, key: str) -> tuple[int, int] | None:
    """Lines [start, end) of `key:` at `indent` within lines[lo:hi] (trailing blanks and comments excluded)."""
    pattern = re.compile(rf"{re.escape(key)}\s*:(\s|$)")
    for start in range(lo, hi):
        line = lines[start]
        if _skip(line) or _indent(line) != indent or not pattern.match(line[indent:]):
            continue
        end = next(
            (j for j in range(start + 1, hi) if not _skip(lines[j]) and _indent(lines[j]) <= indent), hi
        )
        while end > start + 1 and _skip(lines[end - 1]):
            end -= 1
        return start, end
    return None


def replace_section(text: str, path: Sequence[str], value: Any) -> str:
    """`text` with the section at `path` (e.g. ("website", "proactive")) written as `value`.

    A missing top-level section is added at the end; a missing nested one is an error.
    """
    lines = text.splitlines(keepends=True)
    lo, hi, indent = 0, len(lines), 0
    for depth, key in enumerate(path):
        found = _block(lines, lo, hi, indent, key)
        if found is None:
            if depth == 0:
                tail = "" if not text or text.endswith("\n") else "\n"
                return text + tail + "\n" + dump({key: value})
            raise ValueError(f"{'.'.join(path)}: not in the playbook")
        start, end = found
        if depth < len(path) - 1:
            child = next((_indent(lines[j]) for j in range(start + 1, end) if not _skip(lines[j])), None)
            if child is None or child <= indent:
                raise ValueError(f"{'.'.join(path[: depth + 1])}: not a block of keys")
            lo, hi, indent = start + 1, end, child
    written = "".join(" " * indent + line for line in dump({path[-1]: value}).splitlines(keepends=True))
    return "".join(lines[:start]) + written + "".join(lines[end:])


def question_data(spec: QuestionSpec) -> dict[str, Any]:
    """A question as written in the playbook (defaults left out; key, label and condition first)."""
    data = spec.dict(exclude_defaults=True)
    first: dict[str, Any] = {name: data.pop(name) for name in ("key", "label", "when") if name in data}
    return {**first, **data}


def with_questions(text: str, questions: Sequence[dict[str, Any]]) -> str:
    """`text` with its `questions` section replaced."""
    return replace_section(text, ("questions",), list(questions))


class WordingError(ValueError):
    """The variant to make the wording does not exist (any more)."""


def with_wording(text: str, playbook: Playbook, key: str, variant: str) -> str:
    """`text` where `variant`'s text becomes the wording of `key` and its variants are removed.

    `key` is a question, "greeting" or "proactive:<path>" (as the A/B figures name them).
    """
    if key in FIELDS:
        registry = playbook.question_registry()
        specs = [question_data(spec) for spec in registry]
        for data in specs:
            if data["key"] == key:
                chosen = next((v["ask"] for v in data.get("variants") or [] if v["id"] == variant), None)
                if chosen is None:
                    raise WordingError(f"{key} has no variant {variant!r}")
                data["ask"] = chosen
                data.pop("variants", None)
        return with_questions(text, specs)
    if key == GREETING_KEY:
        chosen = next((v.text for v in playbook.greeting.variants if v.id == variant), None)
        if chosen is None:
            raise WordingError(f"the greeting has no variant {variant!r}")
        return replace_section(text, ("greeting",), {"text": chosen})
    if key.startswith(PROACTIVE_PREFIX):
        path = key[len(PROACTIVE_PREFIX) :]
        rules = [rule.dict(exclude_defaults=True) for rule in playbook.website.proactive]
        if not any(rule["path"] == path for rule in rules):
            raise WordingError(f"no proactive rule for {path}")
        for rule in rules:
            message = rule.get("message") or {}
            if rule["path"] == path:
                chosen = next((v["text"] for v in message.get("variants") or [] if v["id"] == variant), None)
                if chosen is None:
                    raise WordingError(f"the proactive message on {path} has no variant {variant!r}")
                rule["message"] = {"text": chosen}
        return replace_section(text, ("website", "proactive"), rules)
    raise WordingError(f"unknown wording {key!r}")


__all__ = [
    "WordingError",
    "dump",
    "fingerprint",
    "question_data",
    "replace_section",
    "with_questions",
    "with_wording",
]
