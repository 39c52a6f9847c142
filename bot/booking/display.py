"""Times as visitors and reps read them: in their own zone, with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def when(start: datetime, zone: str, end: datetime | None = None) -> str:
    """'Tue 1 Dec, 10:00–10:30 CET (Europe/Berlin)'."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    text = f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
    if end is not None:
        text += f"–{end.astimezone(tz):%H:%M}"
    return f"{text} {local:%Z} ({zone})"


def button_label(start: datetime, zone: str) -> str:
    """'Tue 1 Dec 10:00' in the visitor's zone (the zone is named once in the question)."""
    local = start.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"
