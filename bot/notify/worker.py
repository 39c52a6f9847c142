"""The worker: claims due outbox messages, delivers them, marks them sent or retries.

Delivery happens outside any transaction: claim (commit) -> send -> mark (commit). A
crash between send and mark delivers the message again after the lease ends; its
event id lets the receiver drop the repeat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.notify.delivery import DeliveryError
from bot.store.outbox import claim_due, mark_failed_attempt, mark_sent

logger = logging.getLogger(__name__)


class Sender(Protocol):
    """Delivers one message payload or raises DeliveryError."""

    def send(self, payload: Any, event_id: str) -> None:
        """Deliver or raise DeliveryError."""


@dataclass
class Pass:
    """What one pass over the due messages did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        """Messages claimed in this pass."""
        return self.sent + self.retried + self.failed


def _now() -> datetime:
    return datetime.now(timezone.utc)


def deliver_due(
    sessions: Callable[[], Session],
    senders: dict[str, Sender],
    *,
    now: Callable[[], datetime] = _now,
    batch: int = 20,
) -> Pass:
    """Deliver one batch of due messages."""
    result = Pass()
    with sessions() as session, session.begin():
        claimed = claim_due(session=session, now=now(), limit=batch)
    for message in claimed:
        sender = senders.get(message.kind)
        try:
            if sender is None:
                raise DeliveryError(f"no sender for {message.kind!r} messages", permanent=True)
            sender.send(message.payload, message.event_id)
        except DeliveryError as err:
            logger.warning(
                "outbox %s (%s %s) attempt %d failed: %s",
                message.event_id,
                message.kind,
                message.topic,
                message.attempts,
                err,
            )
            with sessions() as session, session.begin():
                mark_failed_attempt(
                    session=session,
                    message_id=message.id,
                    attempts=message.attempts,
                    error=str(err),
                    now=now(),
                    permanent=err.permanent,
                )
            if err.permanent:
                result.failed += 1
            else:
                result.retried += 1
            continue
        except Exception as err:  # a bug in a sender must not stop the worker
            logger.exception("outbox %s: unexpected error", message.event_id)
            with sessions() as session, session.begin():
                mark_failed_attempt(
                    session=session,
                    message_id=message.id,
                    attempts=message.attempts,
                    error=f"{type(err).__name__}: {err}",
                    now=now(),
                )
            result.retried += 1
            continue
        with sessions() as session, session.begin():
            mark_sent(session=session, message_id=message.id, now=now())
        result.sent += 1
        logger.info("outbox %s (%s %s) sent", message.event_id, message.kind, message.topic)
    return result


def run(
    sessions: Callable[[], Session],
    senders: dict[str, Sender],
    *,
    once: bool = False,
    poll_seconds: float = 2.0,
    should_stop: Callable[[], bool] = lambda: False,
    before_each_pass: Sequence[Callable[[], object]] = (),
) -> Pass:
    """Deliver until stopped (or, with `once`, until nothing is due now).

    `before_each_pass` jobs (nurture steps falling due, the daily requalification) run
    first in every pass, so what they queue is delivered in the same pass.
    """
    total = Pass()
    while not should_stop():
        for job in before_each_pass:
            try:
                job()
            except Exception:  # a failing job must not stop delivery
                logger.exception("worker job %s failed", getattr(job, "__name__", job))
        done = deliver_due(sessions, senders)
        total.sent += done.sent
        total.retried += done.retried
        total.failed += done.failed
        if once and done.handled == 0:
            break
        if done.handled == 0:
            time.sleep(poll_seconds)
    return total
