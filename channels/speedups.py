"""Cached JSON-schema validation for the Rasa server process.

Rasa 3.6 validates every action-server response with `jsonschema.validate`, which with
the pinned jsonschema 4.17 checks the (constant) schema against the metaschema on every
call: about two thirds of the Rasa server's CPU per message went there (measured with
py-spy during `make bench`). This replaces `jsonschema.validate` with the same check and
the same errors, but checks each distinct schema once and reuses its validator.
Loaded by the Rasa server only (through channels/, named in credentials.yml).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import jsonschema
from jsonschema import exceptions, validators

_original = jsonschema.validate
_cache: dict[str, Any] = {}
_lock = threading.Lock()


def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    """`jsonschema.validate` with the schema checked and compiled once."""
    if cls is not None or args or kwargs:
        return _original(instance, schema, cls, *args, **kwargs)
    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _cache.get(key)
    if validator is None:
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = validator_class(schema)
        with _lock:
            _cache[key] = validator
    error = exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error
    return None


def install() -> None:
    """Patch jsonschema.validate (idempotent)."""
    jsonschema.validate = validate  # type: ignore[assignment]
