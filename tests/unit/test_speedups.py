"""The Rasa server's cached jsonschema validation accepts and rejects exactly what jsonschema does."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from channels.speedups import _original, validate

SCHEMA = {
    "type": "object",
    "properties": {"events": {"type": "array", "items": {"type": "object", "required": ["event"]}}},
    "required": ["events"],
}


@pytest.mark.parametrize(
    "instance",
    [{"events": []}, {"events": [{"event": "slot"}]}, {"events": "nope"}, {"events": [{}]}, {}, []],
)
def test_same_verdict_and_message_as_jsonschema(instance: Any) -> None:
    def outcome(fn: Any) -> str:
        try:
            fn(instance, SCHEMA)
        except jsonschema.ValidationError as err:
            return err.message
        return "valid"

    assert outcome(validate) == outcome(_original)


def test_a_bad_schema_is_still_reported() -> None:
    with pytest.raises(jsonschema.SchemaError):
        validate({}, {"type": 12})
