"""No visitor text in the logs: the redaction on real log records, and Rasa's own logging set-up
(structlog events, warnings, coloredlogs) in a process started the way bot/runner.py starts Rasa."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logfilter import RedactingFilter, install, redact
from bot.settings import PROJECT_ROOT

EMAIL = "ada.lovelace+crm@acme-corp.co.uk"
SAID = "we are 40 people and my budget is 20k"


def test_emails_and_known_quoted_messages_are_masked() -> None:
    assert redact(f"reply to {EMAIL} please") == "reply to [email] please"
    assert redact("no address here: banter@localhost, v1.2@3") == "no address here: banter@localhost, v1.2@3"
    line = f"Misaligned entity annotation in message '{SAID}, it's urgent' with intent 'inform'. Make sure"
    assert (
        redact(line)
        == "Misaligned entity annotation in message '[visitor text]' with intent 'inform'. Make sure"
    )
    assert SAID not in redact(f"Received user message '{SAID}' with intent '{{\"name\": \"inform\"}}'")


def test_rasa_structured_events_lose_their_visitor_fields() -> None:
    event = {
        "event": "rest.message.received.failure",
        "level": "error",
        "text": SAID,
        "parse_data_entities": [{"value": EMAIL}],
        "sender": "abc",
        "exception": [
            {
                "exc_type": "ValueError",
                "exc_value": f"bad {EMAIL}",
                "frames": [{"name": "receive", "locals": {"text": repr(SAID)}}],
            }
        ],
    }
    cleaned = json.loads(redact(json.dumps(event)))
    assert cleaned["event"] == "rest.message.received.failure" and cleaned["sender"] == "abc"
    assert cleaned["text"] == cleaned["parse_data_entities"] == "[redacted]"
    assert cleaned["exception"][0]["frames"][0]["locals"] == "[redacted]"
    assert cleaned["exception"][0]["exc_value"] == "bad [email]"
    console = redact(f"rest.message.received.failure text={SAID} sender=abc")  # structlog on a terminal
    assert console == "rest.message.received.failure text=[redacted] sender=abc"


@pytest.fixture
def logger_to_text() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("test.logging_privacy")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_the_filter_cleans_a_real_record_with_arguments_and_a_traceback(logger_to_text) -> None:  # type: ignore[no-untyped-def]
    logger, stream = logger_to_text
    logger.handlers[0].addFilter(RedactingFilter())
    logger.warning("Misaligned entity annotation in message '%s' with intent '%s'", SAID, "inform")
    logger.info("lead %s saved", EMAIL)  # below the level: never made
    logger.setLevel(logging.INFO)
    logger.info("lead %s saved", EMAIL)
    try:
        raise ValueError(f"cannot parse {EMAIL}")
    except ValueError:
        logger.exception("action failed")
    text = stream.getvalue()
    assert "WARNING test.logging_privacy Misaligned entity annotation in message '[visitor text]'" in text
    assert "lead [email] saved" in text and "ValueError: cannot parse [email]" in text
    assert EMAIL not in text and SAID not in text


def test_install_cleans_records_for_handlers_added_later_and_warnings(logger_to_text) -> None:  # type: ignore[no-untyped-def]
    logger, stream = logger_to_text  # its handler has no filter: the record itself is clean
    factory, showwarning = logging.getLogRecordFactory(), warnings.showwarning
    captured = logging.getLogger("py.warnings")
    warning_stream = io.StringIO()
    warning_handler = logging.StreamHandler(warning_stream)
    try:
        install()
        install()  # idempotent
        captured.addHandler(warning_handler)
        logger.error("visitor said %s", {"text": SAID, "email": EMAIL})
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            logging.captureWarnings(True)  # catch_warnings restored showwarning: capture again inside
            warnings.warn(
                f"Misaligned entity annotation in message '{SAID}' with intent 'x'", UserWarning, stacklevel=1
            )
    finally:
        logging.setLogRecordFactory(factory)
        logging.captureWarnings(False)
        warnings.showwarning = showwarning
        captured.removeHandler(warning_handler)
    assert "[email]" in stream.getvalue() and EMAIL not in stream.getvalue()
    assert "message '[visitor text]' with intent" in warning_stream.getvalue()
    assert SAID not in warning_stream.getvalue()


RASA_LIKE = textwrap.dedent(
    f"""
    # Rasa's own logging set-up, in the order rasa/__main__.py runs it, then lines as Rasa writes them.
    import logging
    import sys

    import structlog
    import rasa.shared.utils.io
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.io import configure_colored_logging
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.INFO)
    configure_colored_logging(logging.INFO)
    configure_structlog(logging.INFO)
    structlog.get_logger().error("rest.message.received.failure", text={SAID!r}, sender_id="abc")
    rasa.shared.utils.io.raise_warning("Misaligned entity annotation in message '{SAID}' with intent 'inform'.")
    logging.getLogger("rasa.core.processor").warning("could not deliver to {EMAIL}")
    print("argv", sys.argv[1:])
    """
)


def run(tmp_path: Path, wrapped: bool) -> str:
    (tmp_path / "rasa_like.py").write_text(RASA_LIKE)
    module = ["-m", "bot.logfilter", "rasa_like"] if wrapped else ["-m", "rasa_like"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PROJECT_ROOT)]),
        "FORCE_JSON_LOGGING": "1",
    }
    done = subprocess.run(
        [sys.executable, *module, "--port", "5005"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_a_process_started_through_the_filter_logs_no_visitor_text(tmp_path: Path) -> None:
    plain = run(tmp_path, wrapped=False)
    assert SAID in plain and EMAIL in plain  # the test can see what it looks for
    wrapped = run(tmp_path, wrapped=True)
    assert "rest.message.received.failure" in wrapped and "could not deliver to [email]" in wrapped
    assert "Misaligned entity annotation in message '[visitor text]'" in wrapped
    assert SAID not in wrapped and EMAIL not in wrapped
    assert "argv ['--port', '5005']" in wrapped  # the module gets its own arguments


def test_rasa_and_the_action_server_start_through_the_filter(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.runner import action_server_cmd, private_log, rasa_server_cmd
    from bot.settings import load_settings

    settings = load_settings()
    assert rasa_server_cmd(settings, tmp_path / "m.tar.gz")[1:5] == ["-m", "bot.logfilter", "rasa", "run"]
    assert action_server_cmd(settings)[1:4] == ["-m", "bot.logfilter", "rasa_sdk"]
    old = tmp_path / "rasa.log"
    old.write_text("before\n")
    old.chmod(0o644)
    with os.fdopen(private_log(old), "ab") as handle:
        handle.write(b"after\n")
    assert old.stat().st_mode & 0o777 == 0o600 and old.read_text() == "before\nafter\n"
