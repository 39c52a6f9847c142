"""Short human labels for normalised values, for confirmations and sales briefs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Disqualification / nurture reason codes (bot.vocab.REASONS) in words, for staff-facing pages.
REASON_LABELS: dict[str, str] = {
    "budget": "budget below the minimum",
    "authority": "not the decision maker",
    "need": "need unclear or not one we serve",
    "timeline": "buying later than we look for",
    "icp_size": "company below the minimum size",
    "icp_industry": "industry outside our focus",
    "icp_region": "region we don't serve",
    "low_engagement": "low engagement",
    "invalid_contact": "invalid contact details",
    "student": "student",
    "job_seeker": "job seeker",
    "competitor": "competitor",
    "vendor_pitch": "vendor pitch",
    "spam": "spam",
}


def reason_words(code: str | None) -> str:
    """A reason code in words ("icp_size" -> "company below the minimum size"); unknown codes as they are."""
    if not code:
        return ""
    return REASON_LABELS.get(code, code.replace("_", " "))


_PERIODS = {
    "year": "a year",
    "month": "a month",
    "quarter": "a quarter",
    "week": "a week",
    "total": "in total",  # leads stored before "one_off"
    "one_off": "one-off",
}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(amount: float, currency: str | None) -> str:
    """'$40,000' / '€100,000' / '5,000 CHF'."""
    text = f"{amount:,.0f}"
    symbol = _SYMBOLS.get(currency or "USD")
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def describe(field: str, value: Mapping[str, Any] | None) -> str:
    """A few words for a field's normalised value ("$80,000 a year", "30 people")."""
    if not value:
        return "not given"
    if value.get("status") == "not_understood":
        return "noted in your words"
    if field == "budget":
        if value.get("status") == "no_budget":
            return "no budget yet"
        if value.get("status") != "amount" or value.get("amount") is None:
            return "not sure yet"
        amount = money(float(value["amount"]), value.get("currency"))
        if value.get("amount_max"):
            amount += f"–{money(float(value['amount_max']), value.get('currency'))}"
        return f"{amount} {_PERIODS.get(value.get('period') or 'year', 'a year')}"
    if field == "company_size":
        if value.get("max") is None and value.get("min") and value.get("min") != value.get("employees"):
            return f"{value['min']}+ people"
        if value.get("max") not in (None, value.get("min")):
            return f"{value.get('min')}–{value.get('max')} people"
        return "1 person" if value.get("employees") == 1 else f"{value.get('employees')} people"
    if field == "timeline":
        if value.get("status") == "no_rush":
            return "no rush"
        if value.get("status") != "date":
            return "not sure yet"
        return f"by {value.get('date')}"
    if field == "role":
        return str(value.get("title") or value.get("seniority"))
    if field == "country":
        return str(value.get("country") or str(value.get("region") or "").replace("_", " "))
    if field == "industry":
        return str(value.get("industry", "")).replace("_", " ")
    if field == "need":
        return str(value.get("use_case") or value.get("status") or "").replace("_", " ")
    if field == "name":
        return str(value.get("full"))
    if field == "email":
        return str(value.get("email"))
    if field == "company_name":
        return str(value.get("name"))
    if field == "growth_plan":
        return "growing" if value.get("growing") else "not growing soon"
    return str(value.get("text") or value)
