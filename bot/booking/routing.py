"""Which rep takes a meeting: company owner, then territory, then weighted round robin.

Fairness over time comes from counts of past assignments stored in the database (the
caller passes them in): the next rep is the one furthest behind its share of the
weights, ties broken by the playbook order, so two processes reading the same counts
pick the same rep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.playbook import Booking, Rep


@dataclass(frozen=True)
class LeadFacts:
    """What routing looks at; unknown values are None."""

    email_domain: str | None = None
    region: str | None = None
    country: str | None = None
    industry: str | None = None
    employees: int | None = None

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any]) -> LeadFacts:
        """Facts from a scoring profile (field -> normalised value)."""

        def value(field: str) -> dict[str, Any]:
            found = profile.get(field)
            return found if isinstance(found, dict) else {}

        size = value("company_size")
        employees = size.get("employees") or size.get("max") or size.get("min")
        return cls(
            email_domain=value("email").get("domain"),
            region=value("country").get("region"),
            country=value("country").get("country"),
            industry=value("industry").get("industry"),
            employees=int(employees) if employees else None,
        )


@dataclass(frozen=True)
class Route:
    """The reps to try, best first, and why the first was chosen."""

    reps: tuple[Rep, ...]
    reason: str  # owner | territory | default_queue


def fits(rep: Rep, lead: LeadFacts) -> bool:
    """True when the lead is inside every dimension of the rep's territory that is set.

    An unknown lead value does not exclude a rep (the visitor may not have said).
    """
    t = rep.territory
    if t.regions and lead.region and lead.region not in t.regions:
        return False
    if t.countries and lead.country and lead.country not in t.countries:
        return False
    if t.industries and lead.industry and lead.industry not in t.industries:
        return False
    if lead.employees is not None:
        if t.company_size.min is not None and lead.employees < t.company_size.min:
            return False
        if t.company_size.max is not None and lead.employees > t.company_size.max:
            return False
    return True


def round_robin(reps: Sequence[Rep], counts: Mapping[str, int]) -> list[Rep]:
    """Reps ordered by how far behind their weighted share they are (most behind first)."""
    order = {rep.email: i for i, rep in enumerate(reps)}
    return sorted(reps, key=lambda r: ((counts.get(r.email, 0) + 1) / r.weight, order[r.email]))


def route(
    booking: Booking,
    meeting_type: str,
    lead: LeadFacts,
    counts: Mapping[str, int],
    owners: Mapping[str, str] | None = None,
) -> Route:
    """Reps to offer, in order. `owners` maps an email domain to the rep who owns it."""
    eligible = [r for r in booking.reps if r.active and meeting_type in r.meeting_types]
    owner_email = (owners or {}).get(lead.email_domain or "")
    owner = next((r for r in eligible if r.email == owner_email), None)
    territory = round_robin([r for r in eligible if fits(r, lead)], counts)
    queue = round_robin(
        [r for r in eligible if r.email in {e.lower() for e in booking.default_queue}], counts
    )
    if owner:
        rest = [r for r in territory + queue if r.email != owner.email]
        return Route(tuple(_unique([owner, *rest])), "owner")
    if territory:
        return Route(tuple(_unique(territory + queue)), "territory")
    return Route(tuple(_unique(queue or round_robin(eligible, counts))), "default_queue")


def _unique(reps: Sequence[Rep]) -> list[Rep]:
    seen: set[str] = set()
    out = []
    for rep in reps:
        if rep.email not in seen:
            seen.add(rep.email)
            out.append(rep)
    return out
