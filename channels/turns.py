"""A visitor's turn that cannot be completed gets a short answer within seconds, not silence.

Rasa 3.6 waits up to `DEFAULT_REQUEST_TIMEOUT` (5 minutes, hard-coded in
rasa/core/constants.py and passed explicitly by `RemoteAction.run`) for the action
server, with no endpoint setting to shorten it; when a call fails, the processor logs
"the actions events are lost", and predicts on (or, for the custom slot mapping
`action_extract_fields`, carries on without the visitor's values). A hung action
server made a visitor wait 60 s for nothing. So, in the Rasa server process only:

1. `RemoteAction.run` gets a deadline: `BANTER_ACTION_TIMEOUT` seconds (default 8).
2. During a visitor's turn, a call that misses it, or cannot reach the action server
   (refused, reset), abandons the turn (`TurnAbandoned`). The processor then records
   the message with Rasa's own rewind (`UserUtteranceReverted` then `action_listen`, as
   after the default fallback): the text stays in the tracker (and the console's transcript), the dialogue
   state goes back to before it, and the visitor reads "Sorry, that took too long on my
   side; please send that again in a moment." Resent, the message is read afresh.
3. When the tracker store or the lock store fails during a turn (channels/store_guard.py
   raises `TurnAbandoned` for the tracker store), nothing can be recorded: the visitor
   reads "Sorry, something went wrong on my side; please send that again in a moment."
   instead of a reply computed on an empty conversation.

`TurnAbandoned` derives from BaseException, like `asyncio.CancelledError` and for the same
reason: Rasa's catch-all handlers around an action ("Bot will continue, but the actions
events are lost") must not swallow it; only the two wrappers here catch it. Outside a
visitor's turn (the HTTP API's /execute, reminders) Rasa's own error handling applies.
Installed by channels/__init__.py; tested in tests/unit/test_turns.py and
tests/e2e/test_faults.py.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

import aiohttp
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUtteranceReverted
from rasa.shared.exceptions import RasaException
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

TOO_SLOW = "Sorry, that took too long on my side; please send that again in a moment."
WENT_WRONG = "Sorry, something went wrong on my side; please send that again in a moment."
RETRY_MARK = {"banter": "send_again"}  # metadata of the apology, for tools reading the tracker

_in_turn: contextvars.ContextVar[bool] = contextvars.ContextVar("banter_in_turn", default=False)
_timeout = 8.0


class TurnAbandoned(BaseException):  # noqa: N818 (a control-flow signal, like CancelledError)
    """The visitor's turn cannot be completed; `text` tells them to send it again."""

    def __init__(self, text: str, reason: str, *, recordable: bool) -> None:
        super().__init__(reason)
        self.text = text
        self.reason = reason
        self.recordable = recordable  # False when the tracker store itself failed


def in_turn() -> bool:
    """True while a visitor's message is being handled (Agent.handle_message)."""
    return _in_turn.get()


_original_remote_run = RemoteAction.run
_original_processor_handle = MessageProcessor.handle_message
_original_agent_handle = Agent.handle_message


async def _remote_run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
    """RemoteAction.run with a deadline; a timeout or unreachable server abandons the turn."""
    try:
        return await asyncio.wait_for(_original_remote_run(self, *args, **kwargs), _timeout)
    except asyncio.TimeoutError:
        reason = f"the action server did not answer {self.name()} within {_timeout:g} s"
        if in_turn():
            raise TurnAbandoned(TOO_SLOW, reason, recordable=True) from None
        raise RasaException(f"Failed to execute custom action '{self.name()}': {reason}") from None
    except RasaException as error:
        # RemoteAction raises RasaException while handling aiohttp's connection error.
        if in_turn() and isinstance(error.__context__, aiohttp.ClientConnectionError):
            reason = f"the action server could not be reached for {self.name()}: {error.__context__}"
            raise TurnAbandoned(TOO_SLOW, reason, recordable=True) from error
        raise


async def _processor_handle_message(self: MessageProcessor, message: UserMessage) -> Any:
    """Record an abandoned turn as message + apology + rewind, so that the resend is read afresh."""
    try:
        return await _original_processor_handle(self, message)
    except TurnAbandoned as abandoned:
        if not abandoned.recordable:
            raise
        logger.warning("Turn of %s abandoned: %s", message.sender_id, abandoned.reason)
        # The abandoned attempt saved nothing: log the message again on the stored tracker.
        tracker = await self.log_message(message, should_save_tracker=False)
        tracker.update(BotUttered(abandoned.text, metadata=dict(RETRY_MARK)))
        tracker.update(UserUtteranceReverted())
        # The rewind also takes back the listen before the message; listen again, as the
        # processor does after Rasa's own fallback, or the resend would be read as no turn.
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await self.save_tracker(tracker)
        await message.output_channel.send_response(message.sender_id, {"text": abandoned.text})
        return _collected(message)


async def _agent_handle_message(self: Agent, message: UserMessage) -> Any:
    """Mark the visitor's turn; when the stores fail, answer with an apology instead of silence."""
    token = _in_turn.set(True)
    try:
        return await _original_agent_handle(self, message)
    except TurnAbandoned as abandoned:
        logger.error("Turn of %s abandoned: %s", message.sender_id, abandoned.reason)
        text = abandoned.text
    except (LockError, RedisError) as error:
        logger.error("Turn of %s abandoned: the lock store failed: %r", message.sender_id, error)
        text = WENT_WRONG
    finally:
        _in_turn.reset(token)
    await message.output_channel.send_response(message.sender_id, {"text": text})
    return _collected(message)


def _collected(message: UserMessage) -> Any:
    if isinstance(message.output_channel, CollectingOutputChannel):
        return message.output_channel.messages
    return None


def install(timeout: float) -> None:
    """Give action calls a deadline of `timeout` seconds and answer abandoned turns (idempotent)."""
    global _timeout
    _timeout = timeout
    RemoteAction.run = _remote_run  # type: ignore[method-assign]
    MessageProcessor.handle_message = _processor_handle_message  # type: ignore[method-assign]
    Agent.handle_message = _agent_handle_message  # type: ignore[method-assign]
