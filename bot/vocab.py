"""The fixed vocabularies shared by scoring, storage, nurture routing and reports."""

from __future__ import annotations

GRADES: tuple[str, ...] = ("qualified", "nurture", "disqualified")

#: Disqualification / nurture reasons (DESIGN.md). A lead can have several; the first is primary.
REASONS: tuple[str, ...] = (
    "budget",
    "authority",
    "need",
    "timeline",
    "icp_size",
    "icp_industry",
    "icp_region",
    "low_engagement",
    "invalid_contact",
    "student",
    "job_seeker",
    "competitor",
    "vendor_pitch",
    "spam",
)

#: Reasons that make a lead a non-buyer: never enrolled in sales nurture.
KNOCKOUT_REASONS: tuple[str, ...] = ("student", "job_seeker", "competitor", "vendor_pitch", "spam")

#: What happens after the conversation.
NEXT_STEPS: tuple[str, ...] = ("book_demo", "discovery_call", "nurture", "close")

#: Criteria the scorer rates, each with a weight in the playbook.
CRITERIA: tuple[str, ...] = (
    "budget",
    "authority",
    "need",
    "timeline",
    "icp_size",
    "icp_industry",
    "icp_region",
)

#: Fields of a visitor profile, in the order the assistant asks for them.
FIELDS: tuple[str, ...] = (
    "need",
    "role",
    "company_name",
    "company_size",
    "industry",
    "country",
    "budget",
    "timeline",
    "other_deciders",
    "growth_plan",
    "name",
    "email",
)

#: Not asked, but detected from any message (student, job seeker, vendor pitch, spam).
KNOCKOUT_FIELD = "knockout"

#: Marker stored as a field's value when the visitor declined to answer.
DECLINED = "declined"

#: Industry keys. bot/data/industries.yml maps synonyms to them; the playbook's ICP names a subset.
INDUSTRIES: tuple[str, ...] = (
    "software",
    "fintech",
    "banking",
    "insurance",
    "ecommerce",
    "retail",
    "professional_services",
    "manufacturing",
    "healthcare",
    "pharma",
    "education",
    "government",
    "nonprofit",
    "media",
    "marketing_advertising",
    "real_estate",
    "hospitality",
    "travel",
    "logistics",
    "energy",
    "telecom",
    "agriculture",
    "construction",
    "automotive",
    "gaming",
    "legal",
    "food_beverage",
    "other",
)
