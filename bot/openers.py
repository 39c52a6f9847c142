"""The greeting and the proactive-open messages: the playbook's words, with optional A/B variants.

The greeting is what the assistant says first (the playbook's `greeting`); a proactive-open
message is said first when the widget opened by itself under a `website.proactive` rule
that has a `message`. Each can have variants with weights; a visitor keeps the one they got
(bot/ab.py), and the variant is recorded under the key `greeting` or `proactive:<path>`
beside the questions' (stored with the lead, figures per variant in the console).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, Extra, root_validator

from bot.ab import sticky_variant
from bot.questions import Variant, check_text, check_variants

MAX_TEXT = 600

#: The product's greeting when the playbook gives none.
DEFAULT_GREETING = (
    "Hi! I'm {company}'s assistant. I'll ask a few quick questions to see how we can help and connect "
    "you with the right person. Your answers are stored so our team can follow up; privacy notice: "
    "{privacy_url}"
)

GREETING_KEY = "greeting"
PROACTIVE_PREFIX = "proactive:"


def proactive_key(path: str) -> str:
    """The key a proactive rule's message variants are recorded under."""
    return PROACTIVE_PREFIX + path


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class TextVariant(Variant):
    """An A/B wording of a message."""

    text: str


@dataclass(frozen=True)
class Said:
    """A message as sent: its text and the variant it was (None without variants)."""

    text: str
    variant: str | None = None


class MessageSpec(_Strict):
    """A message with optional variants: `text`, or one of `variants` per visitor."""

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"company"})

    text: str
    variants: list[TextVariant] = []

    @root_validator(skip_on_failure=True)
    def _texts(cls, values: dict[str, Any]) -> dict[str, Any]:
        check_text("text", values["text"], cls.PLACEHOLDERS)
        for variant in values["variants"]:
            check_text(f"variants.{variant.id}.text", variant.text, cls.PLACEHOLDERS)
        check_variants([variant.id for variant in values["variants"]])
        return values

    def say(self, key: str, visitor: str, values: Mapping[str, str]) -> Said:
        """The text `visitor` sees (their variant), its placeholders filled from `values`."""
        chosen = sticky_variant(key, visitor, [(v.id, v.weight) for v in self.variants])
        text = next((v.text for v in self.variants if v.id == chosen), self.text)
        return Said(text.format(**{name: values.get(name, "") for name in self.PLACEHOLDERS}), chosen)

    def texts(self) -> dict[str | None, str]:
        """Variant id (None: the plain text) -> its text, as written."""
        return {None: self.text, **{v.id: v.text for v in self.variants}}


class GreetingSpec(MessageSpec):
    """The first thing the assistant says (it names the privacy notice: keep {privacy_url})."""

    PLACEHOLDERS: ClassVar[frozenset[str]] = frozenset({"company", "privacy_url"})

    text: str = DEFAULT_GREETING

    @root_validator(skip_on_failure=True)
    def _privacy_notice(cls, values: dict[str, Any]) -> dict[str, Any]:
        for name, text in [("text", values["text"])] + [
            (f"variants.{v.id}.text", v.text) for v in values["variants"]
        ]:
            if "{privacy_url}" not in text:
                raise ValueError(f"{name}: must link the privacy notice ({{privacy_url}})")
        return values


class ProactiveMessage(MessageSpec):
    """Said first when the widget opened by itself under a proactive rule."""


__all__ = [
    "DEFAULT_GREETING",
    "GREETING_KEY",
    "GreetingSpec",
    "MessageSpec",
    "ProactiveMessage",
    "Said",
    "TextVariant",
    "proactive_key",
]
