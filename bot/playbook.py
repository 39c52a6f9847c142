"""The marketing-owned playbook: loaded from YAML, validated, versioned.

Every problem is reported with the key path and why, one per line, e.g.
"playbook.yml: weights: must sum to 100 (got 95)". Unknown keys are rejected so a
typo never silently changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Extra, Field, ValidationError, root_validator, validator

from bot.describe import money
from bot.needs import NeedClassifier, classifier_for
from bot.openers import GreetingSpec, ProactiveMessage
from bot.profile import REGIONS, SENIORITIES
from bot.questions import Questions, QuestionSpec, check_questions, default_specs
from bot.vocab import CRITERIA, INDUSTRIES, KNOCKOUT_REASONS, NEXT_STEPS, REASONS

Authority = Literal["decision_maker", "influencer", "none"]


class PlaybookError(ValueError):
    """An invalid playbook; `problems` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


class _Model(BaseModel):
    """Immutable, strict (unknown keys rejected)."""

    class Config:
        extra = Extra.forbid
        allow_mutation = False


class Company(_Model):
    """Who the assistant speaks for."""

    name: str
    product: str


class CompanySize(_Model):
    """ICP head-count bounds and the ideal band."""

    min: int
    ideal_min: int
    ideal_max: int

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["min"] < 1:
            raise ValueError(f"min ({values['min']}) must be at least 1")
        if values["ideal_min"] < values["min"]:
            raise ValueError(f"ideal_min ({values['ideal_min']}) below min ({values['min']})")
        if values["ideal_max"] < values["ideal_min"]:
            raise ValueError(f"ideal_max ({values['ideal_max']}) below ideal_min ({values['ideal_min']})")
        return values


class Icp(_Model):
    """Ideal Customer Profile: size, industries, regions."""

    company_size: CompanySize
    industries: list[str]
    regions: list[str]
    countries_excluded: list[str] = []

    @validator("industries", each_item=True)
    def _industry(cls, value: str) -> str:
        if value not in INDUSTRIES:
            raise ValueError(f"unknown industry {value!r} (known: {', '.join(INDUSTRIES)})")
        return value

    @validator("regions", each_item=True)
    def _region(cls, value: str) -> str:
        if value not in REGIONS:
            raise ValueError(f"unknown region {value!r} (known: {', '.join(REGIONS)})")
        return value

    @validator("countries_excluded", each_item=True)
    def _country(cls, value: str) -> str:
        if len(value) != 2 or not value.isalpha() or not value.isupper():
            raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 code like 'DE'")
        return value


class Budget(_Model):
    """Minimum annual budget, its currency and exchange rates."""

    min_annual: float
    currency: str
    fx_to_currency: dict[str, float]

    @root_validator(skip_on_failure=True)
    def _rates(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["min_annual"] < 0:
            raise ValueError("min_annual must not be negative")
        if values["currency"] not in values["fx_to_currency"]:
            raise ValueError(f"fx_to_currency has no rate for the playbook currency {values['currency']!r}")
        for code, rate in values["fx_to_currency"].items():
            if rate <= 0:
                raise ValueError(f"fx_to_currency.{code}: rate must be positive")
        return values


class UseCase(_Model):
    """A problem the product solves: its label, exact phrases and example sentences in visitors' words."""

    label: str
    keywords: list[str] = []
    examples: list[str] = []

    @validator("keywords", "examples")
    def _not_blank(cls, value: list[str]) -> list[str]:
        if any(not str(k).strip() for k in value):
            raise ValueError("must not contain empty entries")
        return value

    @root_validator(skip_on_failure=True)
    def _enough(cls, values: dict[str, Any]) -> dict[str, Any]:
        if len(values["keywords"]) + len(values["examples"]) < 3:
            raise ValueError(
                "give at least three example sentences (or keywords) so the need can be recognised"
            )
        return values

    def sentences(self) -> list[str]:
        """Everything the need classifier learns this use case from."""
        return [self.label, *self.keywords, *self.examples]


class Timeline(_Model):
    """How soon counts as qualified, and as nurture."""

    qualified_within_months: float
    nurture_within_months: float

    @root_validator(skip_on_failure=True)
    def _ordered(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values["nurture_within_months"] < values["qualified_within_months"]:
            raise ValueError("nurture_within_months must not be below qualified_within_months")
        return values


class Thresholds(_Model):
    """Score needed to qualify, and criteria that must not be missed."""

    qualified: int
    must_not_miss: list[str] = []

    @validator("qualified")
    def _range(cls, value: int) -> int:
        if not 0 <= value <= 100:
            raise ValueError(f"must be between 0 and 100 (got {value})")
        return value

    @validator("must_not_miss", each_item=True)
    def _criterion(cls, value: str) -> str:
        if value not in CRITERIA:
            raise ValueError(f"unknown criterion {value!r} (known: {', '.join(CRITERIA)})")
        return value


class Competitor(_Model):
    """A competitor by name and email domains."""

    name: str
    domains: list[str] = []


class Knockouts(_Model):
    """Which non-buyers are disqualified."""

    competitors: list[Competitor] = []
    student: bool = True
    job_seeker: bool = True
    vendor_pitch: bool = True
    spam: bool = True


class GrayArea(_Model):
    """Small companies with authority and a growth path get a discovery call."""

    enabled: bool = True
    growth_horizon_months: int = 24
    # Criteria that may be missed today without ruling the gray area out (besides icp_size).
    tolerates: list[str] = ["budget", "need", "timeline"]

    @validator("tolerates")
    def _criteria(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in CRITERIA]
        if unknown:
            raise ValueError(f"unknown criterion {unknown[0]!r} (known: {', '.join(CRITERIA)})")
        if "authority" in value:
            raise ValueError("authority cannot be tolerated: the gray area is for decision makers")
        return value


class Signal(_Model):
    """Points for a website behaviour signal, with a cap."""

    points: int
    max: int
    hint: str | None = None

    @validator("hint")
    def _hint(cls, value: str | None) -> str | None:
        if value is not None and value not in REASONS:
            raise ValueError(f"unknown reason {value!r}")
        return value


def site_url(value: str) -> str:
    """An http(s) URL, or a path ("/privacy"): a page of Banter's own web app (BANTER_PUBLIC_URL), the demo site."""
    value = value.strip()
    if value.startswith(("https://", "http://")) or re.fullmatch(r"/(?:[A-Za-z0-9._~-]+/?)*", value):
        return value
    raise ValueError(f"{value!r} is not an http(s) URL or a path like /resources/roi-guide")


def on_site(value: str, public_url: str) -> str:
    """`value` as an absolute URL: a path is a page of the web app at `public_url`."""
    return public_url.rstrip("/") + value if value.startswith("/") else value


class Links(_Model):
    """Links the assistant gives visitors (full URLs, or paths of the demo site's pages)."""

    privacy_url: str
    resources_url: str
    student_resources_url: str
    careers_url: str

    _urls = validator("*", allow_reuse=True)(site_url)


class Consent(_Model):
    """The consent question and its version."""

    text_version: str
    text: str


WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BLOCK_MINUTES = 5  # bookings claim 5-minute blocks; durations and buffers are multiples of it


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{text!r} is not a time like 09:30")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value <= 24 * 60 or int(minutes) > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return value


def parse_window(text: str) -> tuple[int, int]:
    """'09:00-12:30' -> (540, 750) minutes after midnight."""
    start, sep, end = text.replace(" ", "").partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a window like 09:00-17:00")
    first, last = _minutes(start), _minutes(end)
    if last <= first:
        raise ValueError(f"{text!r} ends before it starts")
    return first, last


class MeetingType(_Model):
    """A kind of meeting the assistant can book."""

    label: str
    duration_minutes: int
    buffer_minutes: int = 0
    min_notice_hours: float = 2
    horizon_business_days: int = 10

    @root_validator(skip_on_failure=True)
    def _grid(cls, values: dict[str, Any]) -> dict[str, Any]:
        for key in ("duration_minutes", "buffer_minutes"):
            if values[key] < 0 or values[key] % BLOCK_MINUTES:
                raise ValueError(
                    f"{key} must be a non-negative multiple of {BLOCK_MINUTES} (got {values[key]})"
                )
        if values["duration_minutes"] == 0:
            raise ValueError("duration_minutes must be positive")
        if values["min_notice_hours"] < 0 or values["horizon_business_days"] < 1:
            raise ValueError("min_notice_hours must be >= 0 and horizon_business_days >= 1")
        return values


class SizeBand(_Model):
    """Company-size band of a territory (either bound may be left out)."""

    min: int | None = None
    max: int | None = None


class Territory(_Model):
    """What a rep covers; a dimension left empty covers everything."""

    regions: list[str] = []
    countries: list[str] = []
    industries: list[str] = []
    company_size: SizeBand = SizeBand()

    @validator("regions", each_item=True)
    def _region(cls, value: str) -> str:
        if value not in REGIONS:
            raise ValueError(f"unknown region {value!r} (known: {', '.join(REGIONS)})")
        return value

    @validator("industries", each_item=True)
    def _industry(cls, value: str) -> str:
        if value not in INDUSTRIES:
            raise ValueError(f"unknown industry {value!r} (known: {', '.join(INDUSTRIES)})")
        return value


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _http_url(value: str) -> str:
    """An http(s) URL; webcal:// (what calendar apps hand out) is read over https."""
    value = value.strip()
    if value.startswith("webcal://"):
        value = "https://" + value[len("webcal://") :]
    if not value.startswith(("https://", "http://")) or len(value) < 10:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class CalDav(_Model):
    """A CalDAV calendar: the calendar collection's URL; the password only from the environment."""

    url: str
    username: str | None = None
    password_env: str | None = None  # the NAME of an environment variable holding the password

    @validator("url")
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @validator("password_env")
    def _env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(
                f"{value!r} is not an environment variable name (the password itself goes there)"
            )
        return value


class RepCalendar(_Model):
    """Where a rep's busy time is read: CalDAV, or a published iCalendar address (one of them).

    A "secret address in iCal format" is a secret: give it in an environment variable
    (`ics_url_env`); `ics_url` is for addresses that hold no secret.
    """

    caldav: CalDav | None = None
    ics_url: str | None = None
    ics_url_env: str | None = None

    @validator("ics_url")
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @validator("ics_url_env")
    def _env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    @root_validator(skip_on_failure=True)
    def _one(cls, values: dict[str, Any]) -> dict[str, Any]:
        given = [key for key in ("caldav", "ics_url", "ics_url_env") if values.get(key) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of caldav, ics_url, ics_url_env")
        return values


_PHONE = re.compile(r"^(?:tel:)?\+?[0-9][0-9 ().-]{5,30}$")


class Rep(_Model):
    """A sales rep who takes meetings."""

    name: str
    email: str
    time_zone: str
    working_hours: dict[str, list[str]]
    meeting_types: list[str]
    territory: Territory = Territory()
    weight: float = 1
    active: bool = True
    # Where the meeting happens: a video-meeting URL or a phone number (invites' LOCATION and descriptions).
    meeting_link: str | None = None
    # A photo for the chat widget's header (website.widget.team): an https URL or a path of the web app.
    photo_url: str | None = None
    # The rep's own calendar: busy time is read from it, and (CalDAV) bookings are written into it.
    calendar: RepCalendar | None = None

    _photo = validator("photo_url", allow_reuse=True)(
        lambda value: value if value is None else site_url(value)
    )

    @validator("meeting_link")
    def _link(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if value.startswith(("https://", "http://")) or _PHONE.match(value):
            return value
        raise ValueError(f"{value!r} is not a meeting URL (https://...) or a phone number (+1 555 0100)")

    @validator("email")
    def _email(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"{value!r} is not an email address")
        return value.strip().lower()

    @validator("time_zone")
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)") from None
        return value

    @validator("working_hours")
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, windows in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            spans = sorted(parse_window(w) for w in windows)
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                if start < end:
                    raise ValueError(f"{day}: windows overlap")
        return value

    @validator("weight")
    def _weight(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"must be positive (got {value})")
        return value


class Booking(_Model):
    """Meeting types, reps and routing."""

    offer_slots: int = 4
    slot_step_minutes: int = 15
    meeting_types: dict[str, MeetingType]
    next_step_meeting: dict[str, str] = {"book_demo": "demo", "discovery_call": "discovery"}
    # A visitor who asked for a person, sales or a demo but did not qualify gets this meeting
    # type's times; None: a callback request for sales instead. Disqualified leads always get the callback.
    on_request: str | None = "discovery"
    reps: list[Rep]
    default_queue: list[str]
    # A rep's calendar read longer ago than this (it could not be read since): that rep offers no times.
    calendar_max_staleness_minutes: float = 15

    @root_validator(skip_on_failure=True)
    def _consistent(cls, values: dict[str, Any]) -> dict[str, Any]:
        if not 3 <= values["offer_slots"] <= 5:
            raise ValueError("offer_slots must be between 3 and 5")
        if values["calendar_max_staleness_minutes"] <= 0:
            raise ValueError("calendar_max_staleness_minutes must be positive")
        if values["slot_step_minutes"] <= 0 or values["slot_step_minutes"] % BLOCK_MINUTES:
            raise ValueError(f"slot_step_minutes must be a positive multiple of {BLOCK_MINUTES}")
        types = values["meeting_types"]
        if values["on_request"] is not None and values["on_request"] not in types:
            raise ValueError(f"on_request: unknown meeting type {values['on_request']!r}")
        for step, kind in values["next_step_meeting"].items():
            if step not in NEXT_STEPS:
                raise ValueError(f"next_step_meeting: unknown next step {step!r}")
            if kind not in types:
                raise ValueError(f"next_step_meeting.{step}: unknown meeting type {kind!r}")
        emails = [rep.email for rep in values["reps"]]
        duplicate = next((e for e in emails if emails.count(e) > 1), None)
        if duplicate:
            raise ValueError(f"reps: {duplicate} is listed twice")
        for rep in values["reps"]:
            for kind in rep.meeting_types:
                if kind not in types:
                    raise ValueError(f"reps ({rep.email}): unknown meeting type {kind!r}")
        for email in values["default_queue"]:
            if email.lower() not in emails:
                raise ValueError(f"default_queue: {email} is not one of the reps")
        for kind in types:
            if not any(rep.active and kind in rep.meeting_types for rep in values["reps"]):
                raise ValueError(f"meeting type {kind!r} has no active rep")
        return values

    def rep(self, email: str) -> Rep | None:
        """The rep with this email, if any."""
        return next((r for r in self.reps if r.email == email.lower()), None)


#: Merge fields a nurture template may use (anything else is an error at load time).
MERGE_FIELDS: tuple[str, ...] = (
    "first_name", "name", "company_name", "company", "product", "reason", "timeline_date", "links",
    "unsubscribe_url", "resources_url",
)  # fmt: skip


class ContentLink(_Model):
    """A link offered in a nurture email."""

    title: str
    url: str

    _url = validator("url", allow_reuse=True)(site_url)


class NurtureStep(_Model):
    """One email of a track: when, subject, body (Jinja2 with merge fields), links."""

    delay_days: float | None = None  # after enrolment
    relative_to: Literal["timeline"] | None = None
    offset_days: float = 0  # with relative_to: timeline, days from the date the lead gave (negative = before)
    subject: str
    body: str
    links: list[ContentLink] = []

    @root_validator(skip_on_failure=True)
    def _when(cls, values: dict[str, Any]) -> dict[str, Any]:
        if (values["delay_days"] is None) == (values["relative_to"] is None):
            raise ValueError("give either delay_days, or relative_to: timeline with offset_days")
        if values["delay_days"] is not None and values["delay_days"] < 0:
            raise ValueError("delay_days must not be negative")
        from bot.nurture.render import check_template

        for key in ("subject", "body"):
            problem = check_template(values[key], MERGE_FIELDS)
            if problem:
                raise ValueError(f"{key}: {problem}")
        return values


class Track(_Model):
    """A nurture track: a label and its steps."""

    label: str
    topic: str
    steps: list[NurtureStep]

    @validator("steps")
    def _some(cls, value: list[NurtureStep]) -> list[NurtureStep]:
        if not value:
            raise ValueError("a track needs at least one step")
        return value


class QuietHours(_Model):
    """No nurture email is sent in this window of the lead's local time."""

    start: str
    end: str

    @root_validator(skip_on_failure=True)
    def _times(cls, values: dict[str, Any]) -> dict[str, Any]:
        _minutes(values["start"])
        _minutes(values["end"])
        return values


class Nurture(_Model):
    """Tracks and the rules every track obeys."""

    consent: Consent
    double_opt_in: bool = True  # off only with a warning from `banter playbook check`
    frequency_cap_days: float = 3
    quiet_hours: QuietHours
    default_time_zone: str = "UTC"
    requalify_daily_at: str = "06:00"
    tracks: dict[str, Track]

    @validator("default_time_zone")
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @validator("frequency_cap_days")
    def _cap(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value


class ProactiveRule(_Model):
    """Offer the chat on pages under `path` after `after_seconds` (never after the visitor closed it).

    The widget shows a teaser bubble beside its launcher (the panel opens on a tap). With a
    `message` (text and optional A/B variants) the assistant says it first, in the teaser.
    """

    path: str
    after_seconds: float
    message: ProactiveMessage | None = None

    @validator("path")
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} must be a path starting with /")
        return value


class SourceCosts(_Model):
    """What leads cost, for the console's source audit (in the playbook currency)."""

    per_lead: dict[str, float] = {}  # utm_source -> cost of each lead from it
    per_campaign: dict[str, float] = {}  # utm_campaign -> total spend


class EscalationTarget(_Model):
    """Who hears about a breached follow-up target, and how (the URLs and secrets come from the environment)."""

    name: str
    email: str | None = None
    via: list[Literal["email", "slack", "webhook"]] = ["email"]

    @validator("email")
    def _email(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"{value!r} is not an email address")
        return value.strip().lower() if value else value

    @root_validator(skip_on_failure=True)
    def _reachable(cls, values: dict[str, Any]) -> dict[str, Any]:
        if not values["via"]:
            raise ValueError("via: name at least one of email, slack, webhook")
        if "email" in values["via"] and not values["email"]:
            raise ValueError("email is required when via includes email")
        return values


class Sla(_Model):
    """The sales-marketing service level: follow-up turnaround targets and who hears of a breach.

    A callback request (or a request for a person that ended without a booked time) is
    answered within `callback_within_business_hours` of the owning rep's working hours; a
    meeting's outcome is recorded within `outcome_within_days` after it ends; a nurture
    lead that requalifies is contacted within `requalified_contact_within_days`.
    """

    callback_within_business_hours: float = 4
    outcome_within_days: float = 2
    requalified_contact_within_days: float = 3
    escalate_to: EscalationTarget | None = None

    @root_validator(skip_on_failure=True)
    def _positive(cls, values: dict[str, Any]) -> dict[str, Any]:
        for key in (
            "callback_within_business_hours",
            "outcome_within_days",
            "requalified_contact_within_days",
        ):
            if values[key] <= 0:
                raise ValueError(f"{key} must be positive (got {values[key]:g})")
        return values


class Plan(_Model):
    """A price plan, shown on the pricing page and quoted by the assistant (one source for both)."""

    name: str
    price: float | None = None  # None: priced with the customer ("talk to us")
    period: Literal["month", "year"] = "month"
    summary: str = ""


class Pricing(_Model):
    """The plans, in the playbook's budget currency."""

    plans: list[Plan] = []


class WidgetLook(_Model):
    """Who the chat widget shows in its header: the company's avatar or team faces, the expected reply time."""

    avatar_url: str | None = None  # unset: the company's initials
    team: list[str] = []  # reps' names (booking.reps): their photo_url or initials, up to 3 shown
    reply_time: str = "Usually replies in a few seconds"

    _avatar = validator("avatar_url", allow_reuse=True)(
        lambda value: value if value is None else site_url(value)
    )

    @validator("reply_time")
    def _short(cls, value: str) -> str:
        if not 0 < len(value.strip()) <= 80:
            raise ValueError("must be 1-80 characters")
        return value.strip()


class Website(_Model):
    """Which pages count for which behaviour signal, when the chat opens by itself, how the widget looks."""

    pages: dict[str, list[str]] = {}
    proactive: list[ProactiveRule] = []
    widget: WidgetLook = WidgetLook()


class Playbook(_Model):
    """A validated playbook. `version` is the marketing version plus a hash of the file."""

    version: str
    company: Company
    icp: Icp
    budget: Budget
    authority: dict[str, Authority]
    use_cases: dict[str, UseCase]
    needs_not_served: list[str] = []
    timeline: Timeline
    weights: dict[str, float]
    unknown_credit: float = 0.5
    thresholds: Thresholds
    knockouts: Knockouts
    gray_area: GrayArea
    next_steps: dict[str, str]
    nurture_tracks: dict[str, str]
    signals: dict[str, Signal] = {}
    signal_cap: int = 20
    links: Links
    consent: Consent
    booking: Booking
    nurture: Nurture
    website: Website = Website()
    source_costs: SourceCosts = SourceCosts()
    sla: Sla = Sla()
    pricing: Pricing = Pricing()
    questions: list[QuestionSpec] = Field(default_factory=lambda: list(default_specs()))
    greeting: GreetingSpec = GreetingSpec()

    @validator("questions")
    def _questions(cls, value: list[QuestionSpec]) -> list[QuestionSpec]:
        return check_questions(value)

    @validator("authority")
    def _seniorities(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in value if k not in SENIORITIES]
        if unknown:
            raise ValueError(f"unknown seniority {unknown[0]!r} (known: {', '.join(SENIORITIES)})")
        return value

    @validator("use_cases")
    def _use_cases(cls, value: dict[str, UseCase]) -> dict[str, UseCase]:
        if not value:
            raise ValueError("needs at least one use case")
        return value

    @validator("weights")
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = [k for k in value if k not in CRITERIA]
        if unknown:
            raise ValueError(f"unknown criterion {unknown[0]!r} (known: {', '.join(CRITERIA)})")
        missing = [k for k in CRITERIA if k not in value]
        if missing:
            raise ValueError(f"missing weight for {', '.join(missing)}")
        if any(w < 0 for w in value.values()):
            raise ValueError("weights must not be negative")
        total = sum(value.values())
        if abs(total - 100) > 1e-9:
            raise ValueError(f"must sum to 100 (got {total:g})")
        return value

    @validator("unknown_credit")
    def _credit(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(f"must be between 0 and 1 (got {value})")
        return value

    @validator("next_steps")
    def _next_steps(cls, value: dict[str, str]) -> dict[str, str]:
        for reason, step in value.items():
            if reason not in REASONS:
                raise ValueError(f"unknown reason {reason!r} (known: {', '.join(REASONS)})")
            if step not in NEXT_STEPS:
                raise ValueError(f"{reason}: unknown next step {step!r} (known: {', '.join(NEXT_STEPS)})")
        return value

    @validator("nurture_tracks")
    def _tracks(cls, value: dict[str, str]) -> dict[str, str]:
        for reason in value:
            if reason not in REASONS and reason != "qualified_no_booking":
                raise ValueError(f"unknown reason {reason!r}")
            if reason in KNOCKOUT_REASONS:
                raise ValueError(f"{reason}: hard disqualifications are never enrolled in sales nurture")
        return value

    @root_validator(skip_on_failure=True)
    def _pages_are_signals(cls, values: dict[str, Any]) -> dict[str, Any]:
        for signal in values["website"].pages:
            if signal not in values["signals"]:
                raise ValueError(
                    f"website.pages.{signal}: not one of the signals ({', '.join(values['signals'])})"
                )
        return values

    @root_validator(skip_on_failure=True)
    def _team_are_reps(cls, values: dict[str, Any]) -> dict[str, Any]:
        reps = {rep.name for rep in values["booking"].reps}
        for name in values["website"].widget.team:
            if name not in reps:
                raise ValueError(
                    f"website.widget.team: {name!r} is not one of booking.reps ({', '.join(sorted(reps))})"
                )
        return values

    @root_validator(skip_on_failure=True)
    def _tracks_exist(cls, values: dict[str, Any]) -> dict[str, Any]:
        tracks = values["nurture"].tracks
        for reason, track in values["nurture_tracks"].items():
            if track not in tracks:
                raise ValueError(f"nurture_tracks.{reason}: no track {track!r} under nurture.tracks")
        return values

    def authority_map(self) -> dict[str, str]:
        """Seniority -> decision_maker / influencer / none."""
        return dict(self.authority)

    def use_case_keywords(self) -> dict[str, list[str]]:
        """Use-case key -> exact keyword phrases (strong evidence for the Need parser)."""
        return {key: list(case.keywords) for key, case in self.use_cases.items()}

    def on_site(self, public_url: str) -> Playbook:
        """The playbook with its links written as paths made absolute on the web app at `public_url`.

        The demo playbook links the demo site's own pages (/privacy, /resources/roi-guide): the
        assistant's answers and the nurture emails need full URLs.
        """
        links = Links(**{name: on_site(url, public_url) for name, url in self.links.dict().items()})
        tracks = {
            key: track.copy(
                update={
                    "steps": [
                        step.copy(
                            update={
                                "links": [
                                    link.copy(update={"url": on_site(link.url, public_url)})
                                    for link in step.links
                                ]
                            }
                        )
                        for step in track.steps
                    ]
                }
            )
            for key, track in self.nurture.tracks.items()
        }
        return self.copy(update={"links": links, "nurture": self.nurture.copy(update={"tracks": tracks})})

    def linked_paths(self) -> dict[str, str]:
        """Path -> title of every demo-site page the playbook links to (links and nurture emails)."""
        titles = {
            "privacy_url": "Privacy notice",
            "resources_url": "Resources",
            "student_resources_url": "Learn about lead qualification",
            "careers_url": "Careers",
        }
        found = {url: titles[name] for name, url in self.links.dict().items() if url.startswith("/")}
        for track in self.nurture.tracks.values():
            for step in track.steps:
                found.update({link.url: link.title for link in step.links if link.url.startswith("/")})
        return found

    def question_registry(self) -> Questions:
        """The questions, in asking order, with wording and buttons filled from this playbook."""
        return Questions(self.questions, self)

    def proactive_rule(self, path: object) -> ProactiveRule | None:
        """The proactive-open rule with this path (as the widget reports it), if any."""
        return next((rule for rule in self.website.proactive if rule.path == path), None)

    def need_classifier(self) -> NeedClassifier:
        """The classifier over the use cases' sentences, built once per distinct playbook content."""
        return classifier_for(
            {key: case.sentences() for key, case in self.use_cases.items()}, self.needs_not_served
        )

    def warnings(self) -> list[str]:
        """Valid but risky settings, one line each (printed by `banter playbook check`)."""
        found = []
        if not self.nurture.double_opt_in:
            found.append(
                "nurture.double_opt_in is off: nurture emails go to any address a visitor typed, "
                "unconfirmed; turn it on unless addresses are verified another way"
            )
        return found

    def pricing_answer(self) -> str:
        """What the assistant says about price: the same plans as the website's pricing page."""
        priced = [plan for plan in self.pricing.plans if plan.price is not None]
        if not priced:
            return "Pricing depends on your traffic and seats; the team will give you a precise quote."
        parts = [
            f"{plan.name} is {money(float(plan.price or 0), self.budget.currency)} a {plan.period}"
            for plan in priced
        ]
        custom = [plan.name for plan in self.pricing.plans if plan.price is None]
        tail = f", and {' and '.join(custom)} is priced with you" if custom else ""
        return f"{'; '.join(parts)}{tail}. The team will give you a precise quote for your traffic and seats."

    def to_usd_like(self, amount: float, currency: str | None) -> float | None:
        """Convert an amount to the playbook currency; None when the currency has no rate."""
        code = currency or self.budget.currency
        rate = self.budget.fx_to_currency.get(code)
        base = self.budget.fx_to_currency[self.budget.currency]
        return None if rate is None else amount * rate / base


def _location(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if part == "__root__":
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def parse_playbook(text: str, source: str = "<string>") -> Playbook:
    """Validate playbook YAML text; raise PlaybookError naming each bad key."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise PlaybookError(source, [f"{where}invalid YAML: {getattr(err, 'problem', err)}"]) from None
    if not isinstance(data, dict):
        raise PlaybookError(source, ["the playbook must be a mapping of keys to values"])
    version = data.get("version")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    if isinstance(version, (str, int, float)) and str(version).strip():
        data = {**data, "version": f"{version}+{digest}"}
    try:
        return Playbook.parse_obj(data)
    except ValidationError as err:
        problems = []
        for error in err.errors():
            message = error["msg"]
            if error["type"] == "value_error.extra":
                message = "unknown key (not part of the playbook)"
            elif error["type"] == "value_error.missing":
                message = "missing (required)"
            problems.append(f"{_location(error['loc'])}: {message}")
        raise PlaybookError(source, problems) from None


def load_playbook(path: str | Path) -> Playbook:
    """Read and validate a playbook file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PlaybookError(str(path), [f"cannot read the file: {err.strerror}"]) from None
    return parse_playbook(text, source=path.name if path.name else str(path))
