"""Keep visitor text out of the logs of every Banter process.

What a visitor types reaches log lines in three ways: Rasa's structured events carry it
in named fields (`text`, `parse_data_text`, `user_message`, ...; Rasa's own list of
such fields is copied in VISITOR_FIELDS), and structured tracebacks list the locals of
every frame; some Rasa lines and warnings quote a message ("Misaligned entity
annotation in message '...'"); and any line or traceback can hold an email address.
`redact()` masks all three: named fields and frame locals become "[redacted]", known
quoted messages "[visitor text]", email addresses "[email]".

Where: `install()` wraps the log-record factory, so every record of every logger is
cleaned when it is made, before any handler, and a handler that Rasa, coloredlogs or
sanic add later (they do, after start-up) cannot miss it, as a filter on today's root
handler would; it also routes `warnings.warn` through logging (Rasa's warnings are
warnings, not log records). `RedactingFilter` is the same cleaning as a logging.Filter,
for a handler configured by hand (e.g. a dictConfig file).

The Rasa server and the action server start as `python -m bot.logfilter rasa run ...`
and `python -m bot.logfilter rasa_sdk ...` (bot/runner.py): install, then run that
module as `__main__`, exactly as its own command would. The web app, worker and mail
server install it in `banter` (bot/cli.py). This module does not import Rasa.
"""

from __future__ import annotations

import json
import logging
import re
import runpy
import sys
from collections.abc import Sequence
from typing import Any

# rasa.utils.log_utils._anonymizer's keys (Rasa 3.6): the fields of its structured
# events that hold what the visitor said or values taken from it.
VISITOR_FIELDS = frozenset(
    {
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
        "locals",  # structlog's dict tracebacks: every frame's variables
    }
)
REDACTED = "[redacted]"
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Lines of Rasa (and its SDK) known to quote a visitor's message: the quoted part goes.
QUOTED_MESSAGES = (
    re.compile(r"(Misaligned entity annotation in message ').*?(' with intent)", re.S),
    re.compile(r"(Received user message ').*?(' with intent)", re.S),
    re.compile(r"(Failed to use example ').*?(' to train)", re.S),
    re.compile(r"(The example ').*?(' was found labeled with multiple)", re.S),
)
# structlog's console renderer (a terminal): key=value pairs up to the next key.
KEY_VALUES = re.compile(r"\b(" + "|".join(sorted(VISITOR_FIELDS)) + r")=(.*?)(?=\s+[a-z_]+=|$)", re.S)


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if k in VISITOR_FIELDS and v not in (None, "") else _scrub(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        return EMAIL.sub("[email]", value)
    return value


def _structured(text: str) -> str | None:
    """A JSON log line (Rasa's structlog renderer when not on a terminal), cleaned; else None."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        data = json.loads(stripped)
    except ValueError:
        return None
    return json.dumps(_scrub(data)) if isinstance(data, dict) else None


def redact(text: str) -> str:
    """`text` without visitor text: named fields, known quoted messages and email addresses masked."""
    structured = _structured(text)
    if structured is not None:
        return structured
    for pattern in QUOTED_MESSAGES:
        text = pattern.sub(r"\1[visitor text]\2", text)
    text = KEY_VALUES.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    return EMAIL.sub("[email]", text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Clean the record in place (message with its arguments, traceback, stack); once."""
    if getattr(record, "banter_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not lose the record
        message = str(record.msg)
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record.banter_redacted = True
    return record


class RedactingFilter(logging.Filter):
    """The same cleaning as a filter for a handler; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Clean, never drop."""
        redact_record(record)
        return True


def install() -> None:
    """Clean every log record of this process when it is made, and log warnings through logging."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "banter_redacts", False):

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return redact_record(current(*args, **kwargs))

        factory.banter_redacts = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)
    logging.captureWarnings(True)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m bot.logfilter MODULE ARGS...`: install, then run MODULE as its command would."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise SystemExit("usage: python -m bot.logfilter MODULE [ARGS...]  (e.g. rasa run, rasa_sdk)")
    install()
    sys.argv = args
    runpy.run_module(args[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
