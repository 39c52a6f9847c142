"""Profiles from JSON for `banter score`: raw answers are parsed like chat answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.extract import extract_fields
from bot.vocab import DECLINED, FIELDS, KNOCKOUT_FIELD

KNOWN = (*FIELDS, KNOCKOUT_FIELD)


class ProfileError(ValueError):
    """A JSON profile that cannot be scored; the message says which field and why."""


def profile_from_json(
    data: Any, *, today: date, use_cases: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """Field -> normalised value | "declined"; strings are parsed as the answer to that field."""
    if not isinstance(data, Mapping):
        raise ProfileError(f"profile must be a JSON object of field -> answer, got {type(data).__name__}")
    profile: dict[str, Any] = {}
    for field, answer in data.items():
        if field not in KNOWN:
            raise ProfileError(f"unknown field {field!r} (known: {', '.join(KNOWN)})")
        if answer is None:
            continue
        if answer == DECLINED:
            profile[field] = DECLINED
        elif isinstance(answer, Mapping):
            profile[field] = dict(answer)
        elif isinstance(answer, (str, int, float)) and not isinstance(answer, bool):
            known = profile.get("company_size")
            size = known.get("employees") if isinstance(known, Mapping) else None
            found = extract_fields(
                str(answer),
                today=today,
                use_cases=use_cases or {},
                requested=field,
                current_size=int(size) if isinstance(size, (int, float)) else None,
            )
            extracted = found.get(field)
            if extracted is None or (extracted.value is None and not extracted.declined):
                raise ProfileError(f"{field}: could not understand {answer!r}")
            profile[field] = DECLINED if extracted.declined else extracted.value
        else:
            raise ProfileError(
                f'{field}: expected text, an object or "declined", got {type(answer).__name__}'
            )
    return profile
