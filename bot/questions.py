"""Questions are data: the one registry of what the assistant asks, in what order and words.

Marketing writes them in the playbook's `questions` section (bot/data/questions.yml holds
the product's defaults for a playbook without one). Everything that needs to know about a
question asks this module: the form's open questions (bot/flow.py), the ask actions (the
wording and buttons, served at run time, so a saved change reaches the next message with no
retraining), the "why do you ask" answers, the re-prompts, labels, returning visitors, and
the console's per-question figures. `domain.yml` only declares the ask actions Rasa needs;
tests/unit/test_questions.py keeps it in step with this registry.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from babel.core import get_global
from babel.numbers import get_territory_currencies
from pydantic import BaseModel, Extra, root_validator, validator

from bot.ab import sticky_variant
from bot.describe import money
from bot.vocab import FIELDS

if TYPE_CHECKING:  # pragma: no cover
    from bot.playbook import Playbook

DEFAULTS_PATH = Path(__file__).parent / "data" / "questions.yml"

#: When a question is asked (a small vocabulary, evaluated in bot/flow.py).
Condition = Literal["always", "not_decision_maker", "small_company_decision_maker", "consent_given"]

#: Button sets derived from playbook values (so "Under $10k" follows budget.min_annual).
DERIVED_BUTTONS = {"budget_bands": "budget", "company_size_bands": "company_size"}

#: Placeholders a question's texts may use.
PLACEHOLDERS = frozenset({"company", "min_size", "horizon"})

#: Questions whose answer goes through a parser: they need a specific re-prompt.
PARSED: tuple[str, ...] = ("budget", "company_size", "timeline", "country", "industry", "role")

#: Contact questions: only asked once the visitor agreed to be contacted.
CONTACT: tuple[str, ...] = ("name", "email")

MAX_TEXT = 400
#: The first budget band's edge when the playbook sets no minimum budget (in its currency).
DEFAULT_BAND = 10_000
MAX_BUTTONS = 8
MAX_TITLE = 40


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class ButtonSpec(_Strict):
    """A quick reply: what it shows and what it sends (the same text unless said)."""

    title: str
    payload: str | None = None

    @validator("title", "payload")
    def _short(cls, value: str | None) -> str | None:
        if value is not None and not 0 < len(value.strip()) <= MAX_TITLE:
            raise ValueError(f"button text must be 1-{MAX_TITLE} characters")
        return value


VARIANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")


def check_variant_id(value: str) -> str:
    """A short id kept with each answer: 'a', 'b', 'short-2' (lower-case letters, digits, - and _)."""
    if not VARIANT_ID.match(value):
        raise ValueError(f"variant id {value!r}: 1-20 lower-case letters, digits, - or _ (like a, b, short)")
    return value


def check_variants(ids: Sequence[str]) -> None:
    """Unique ids, and at least two (one variant is simply the wording)."""
    if len(ids) == 1:
        raise ValueError("give at least two variants (a single one is simply the wording)")
    if len(ids) != len(set(ids)):
        raise ValueError("variant ids must be unique")


class Variant(_Strict):
    """An A/B variant's id and weight; a visitor keeps the variant they got."""

    id: str
    weight: float = 1.0

    _id = validator("id", allow_reuse=True)(check_variant_id)

    @validator("weight")
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("weight must be positive")
        return value


class VariantSpec(Variant):
    """An A/B wording of a question."""

    ask: str


def check_text(name: str, text: str, known: frozenset[str]) -> None:
    """A message marketing writes: 1-MAX_TEXT characters, only `known` placeholders, braces balanced."""
    if not 0 < len(text.strip()) <= MAX_TEXT:
        raise ValueError(f"{name}: must be 1-{MAX_TEXT} characters")
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as err:
        raise ValueError(f"{name}: {err} (write {{{{ or }}}} for a literal brace)") from None
    unknown = used - known
    if unknown:
        raise ValueError(
            f"{name}: unknown placeholder {{{sorted(unknown)[0]}}} "
            f"(known: {', '.join('{' + p + '}' for p in sorted(known))})"
        )


class QuestionSpec(_Strict):
    """One question as marketing writes it in the playbook."""

    key: str
    label: str
    ask: str
    ask_again: str | None = None  # asked right after the visitor said something else
    buttons: list[ButtonSpec | str] = []
    buttons_from: str | None = None
    why: str
    reprompt: str | None = None
    when: Condition = "always"
    ask_returning: bool = False
    enabled: bool = True
    variants: list[VariantSpec] = []

    @validator("key")
    def _known(cls, value: str) -> str:
        if value not in FIELDS:
            raise ValueError(f"unknown question {value!r} (known: {', '.join(FIELDS)})")
        return value

    @validator("buttons")
    def _buttons(cls, value: list[ButtonSpec | str]) -> list[ButtonSpec | str]:
        if len(value) > MAX_BUTTONS:
            raise ValueError(f"at most {MAX_BUTTONS} buttons")
        for button in value:
            if isinstance(button, str) and not 0 < len(button.strip()) <= MAX_TITLE:
                raise ValueError(f"button text must be 1-{MAX_TITLE} characters")
        return value

    @root_validator(skip_on_failure=True)
    def _consistent(cls, values: dict[str, Any]) -> dict[str, Any]:
        key = values["key"]
        texts = {"ask": values["ask"], "why": values["why"]}
        for name in ("ask_again", "reprompt"):
            if values.get(name):
                texts[name] = values[name]
        for variant in values.get("variants") or []:
            texts[f"variants.{variant.id}.ask"] = variant.ask
        for name, text in texts.items():
            check_text(f"{key}.{name}", text, PLACEHOLDERS)
        derived = values.get("buttons_from")
        if derived is not None:
            if DERIVED_BUTTONS.get(derived) != key:
                allowed = [name for name, field in DERIVED_BUTTONS.items() if field == key]
                raise ValueError(
                    f"{key}.buttons_from: {derived!r} is not for this question"
                    + (f" (use {allowed[0]})" if allowed else " (it has no derived buttons)")
                )
            if values.get("buttons"):
                raise ValueError(f"{key}: give either buttons or buttons_from, not both")
        if key in PARSED and not values.get("reprompt"):
            raise ValueError(f"{key}.reprompt: needed (what to say when an answer cannot be read)")
        if key in CONTACT and values["when"] != "consent_given":
            raise ValueError(f"{key}.when: must be consent_given (contact details only with consent)")
        try:
            check_variants([variant.id for variant in values.get("variants") or []])
        except ValueError as err:
            raise ValueError(f"{key}.variants: {err}") from None
        return values


def check_questions(specs: Sequence[QuestionSpec]) -> list[QuestionSpec]:
    """Every known question exactly once (turn one off with `enabled: false`)."""
    keys = [spec.key for spec in specs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"{repeated[0]} is listed twice")
    missing = [field for field in FIELDS if field not in keys]
    if missing:
        raise ValueError(
            f"missing {', '.join(missing)} (list every question; `enabled: false` turns one off)"
        )
    return list(specs)


@functools.lru_cache(maxsize=1)
def default_specs() -> tuple[QuestionSpec, ...]:
    """The product's default questions (bot/data/questions.yml)."""
    data = yaml.safe_load(DEFAULTS_PATH.read_text(encoding="utf-8"))
    return tuple(check_questions([QuestionSpec.parse_obj(item) for item in data["questions"]]))


@dataclass(frozen=True)
class Button:
    """A quick reply as sent to the widget."""

    title: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        """Rasa's button shape."""
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Asked:
    """What to send for one question: the text, its buttons, and which variant it was."""

    key: str
    text: str
    buttons: tuple[Button, ...]
    variant: str | None = None


def _nice_floor(amount: float) -> float:
    """Two significant figures, rounded down: 9,259 -> 9,200 (a band's edge never moves up)."""
    if amount <= 0:
        return 0.0
    digits = Decimal(str(amount)).adjusted() - 1
    step = Decimal(10) ** digits
    return float((Decimal(str(amount)) / step).to_integral_value(rounding=ROUND_DOWN) * step)


def _short_money(amount: float, currency: str) -> str:
    """'$10k', '€9.2k', '$1.5m', '5k CHF'."""
    if amount >= 1_000_000:
        number = f"{amount / 1_000_000:g}m"
    elif amount >= 1000:
        number = f"{amount / 1000:g}k"
    else:
        number = f"{amount:g}"
    full = money(1, currency)  # where the symbol goes for this currency
    return full.replace("1", number, 1)


def country_for_time_zone(zone: object) -> str | None:
    """The ISO country of an IANA time zone from the browser ("Europe/Amsterdam" -> "NL"), else None.

    CLDR's zone-to-territory table as Babel ships it (old names like "Asia/Calcutta" through its
    aliases); zones of no country ("UTC", "Etc/GMT+2") give None.
    """
    if not isinstance(zone, str) or not zone or len(zone) > 64:
        return None
    canonical = get_global("zone_aliases").get(zone, zone)
    territory = get_global("zone_territories").get(canonical)
    return (
        territory
        if isinstance(territory, str) and len(territory) == 2 and territory.isalpha() and territory != "ZZ"
        else None
    )


def visitor_currency(country: str | None, playbook: Playbook) -> str:
    """The visitor's currency when their country is known and the playbook has a rate for it."""
    if country:
        try:
            for code in get_territory_currencies(country.upper()):
                if code in playbook.budget.fx_to_currency:
                    return code
        except Exception:  # an unknown territory code: the playbook's currency
            pass
    return playbook.budget.currency


def budget_buttons(playbook: Playbook, currency: str | None = None) -> tuple[Button, ...]:
    """Bands around the playbook's minimum budget, in `currency` (default the playbook's)."""
    budget = playbook.budget
    currency = currency or budget.currency
    rate = budget.fx_to_currency[budget.currency] / budget.fx_to_currency[currency]
    # No minimum (min_annual: 0): bands of the usual size, and no "Under" band below nothing.
    base = budget.min_annual or DEFAULT_BAND
    edges = [_nice_floor(base * rate * factor) for factor in (1, 5, 10)]
    low, mid, high = (_short_money(edge, currency) for edge in edges)
    titles = ([f"Under {low} a year"] if budget.min_annual > 0 else []) + [
        f"{low}-{mid} a year",
        f"{mid}-{high} a year",
        f"Over {high} a year",
        "Not sure yet",
    ]
    return tuple(Button(title, title) for title in titles)


def company_size_buttons(playbook: Playbook) -> tuple[Button, ...]:
    """Head-count bands with an edge at the ICP minimum (so a button never straddles it)."""
    minimum = playbook.icp.company_size.min
    edges = [minimum] + [edge for edge in (51, 201, 1001) if edge > minimum]
    bands = [(1, minimum - 1)] if minimum > 1 else []
    bands += [(low, high - 1) for low, high in zip(edges, edges[1:], strict=False)]
    buttons = [Button(f"{low}-{high}", f"{low}-{high} employees") for low, high in bands]
    return (*buttons, Button(f"{edges[-1] - 1}+", f"{edges[-1] - 1}+ employees"))


def _horizon(playbook: Playbook) -> str:
    months = playbook.gray_area.growth_horizon_months
    return f"{months // 12} years" if months % 12 == 0 and months > 12 else f"{months} months"


class Questions:
    """The registry built from one playbook: look-ups by key, in asking order."""

    def __init__(self, specs: Sequence[QuestionSpec], playbook: Playbook) -> None:
        self._specs = {spec.key: spec for spec in specs}
        self._order = [spec.key for spec in specs]
        self._playbook = playbook

    def __iter__(self) -> Any:
        return iter(self._specs[key] for key in self._order)

    def __contains__(self, key: object) -> bool:
        return key in self._specs

    def spec(self, key: str) -> QuestionSpec:
        """The question as written in the playbook."""
        return self._specs[key]

    def order(self) -> list[str]:
        """Every enabled question's key, in asking order."""
        return [key for key in self._order if self._specs[key].enabled]

    def label(self, key: str) -> str:
        """A few words naming the question's answer ("company size")."""
        spec = self._specs.get(key)
        return spec.label if spec else key.replace("_", " ")

    def _fill(self, text: str) -> str:
        playbook = self._playbook
        return text.format(
            company=playbook.company.name, min_size=playbook.icp.company_size.min, horizon=_horizon(playbook)
        )

    def variant(self, key: str, visitor: str) -> str | None:
        """The A/B variant this visitor sees (sticky: the same visitor and question, the same variant)."""
        return sticky_variant(key, visitor, [(v.id, v.weight) for v in self._specs[key].variants])

    def ask(
        self,
        key: str,
        *,
        visitor: str = "",
        again: bool = False,
        country: str | None = None,
        variant: str | None = None,
    ) -> Asked:
        """The question's text and buttons for this visitor (their variant; their currency).

        `variant` shows that variant whoever the visitor is (the console's preview), if the question has it.
        """
        spec = self._specs[key]
        chosen = variant if variant in {v.id for v in spec.variants} else self.variant(key, visitor)
        text = spec.ask
        if chosen is not None:
            text = next(v.ask for v in spec.variants if v.id == chosen)
        if again and spec.ask_again:
            text = spec.ask_again
        return Asked(key, self._fill(text), self.buttons(key, country=country), chosen)

    def buttons(self, key: str, *, country: str | None = None) -> tuple[Button, ...]:
        """The question's quick replies (derived from playbook values where it says so)."""
        spec = self._specs[key]
        if spec.buttons_from == "budget_bands":
            return budget_buttons(self._playbook, visitor_currency(country, self._playbook))
        if spec.buttons_from == "company_size_bands":
            return company_size_buttons(self._playbook)
        return tuple(
            Button(b, b) if isinstance(b, str) else Button(b.title, b.payload or b.title)
            for b in spec.buttons
        )

    def why(self, key: str) -> str | None:
        """Why the question is asked, or None for a key that is not a question."""
        spec = self._specs.get(key)
        return self._fill(spec.why) if spec else None

    def reprompt(self, key: str) -> str | None:
        """What to say when an answer to `key` could not be read."""
        spec = self._specs.get(key)
        return self._fill(spec.reprompt) if spec and spec.reprompt else None

    def asked_again_on_return(self) -> tuple[str, ...]:
        """Questions a returning visitor answers again (what may have changed)."""
        return tuple(key for key in self._order if self._specs[key].ask_returning)

    def when(self, key: str) -> str:
        """The question's condition."""
        return self._specs[key].when


CONSENT_BUTTONS = (Button("Yes, that's fine", "Yes"), Button("No thanks", "No"))


def consent_ask(playbook: Playbook) -> Asked:
    """The consent question: the playbook's consent text and privacy link (not a registry question)."""
    return Asked(
        "consent", f"{playbook.consent.text} Privacy notice: {playbook.links.privacy_url}", CONSENT_BUTTONS
    )


def labels(questions: Questions | None = None) -> Mapping[str, str]:
    """Key -> label (the playbook's, or the product's defaults)."""
    specs = list(questions) if questions is not None else default_specs()
    return {spec.key: spec.label for spec in specs}


__all__ = [
    "Asked",
    "Button",
    "QuestionSpec",
    "Questions",
    "budget_buttons",
    "check_questions",
    "country_for_time_zone",
    "company_size_buttons",
    "default_specs",
    "visitor_currency",
]
