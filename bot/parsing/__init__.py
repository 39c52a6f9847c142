"""Value parsers: one module per concern, each a pure function over text."""

from bot.parsing.budget import parse_budget
from bot.parsing.company_size import parse_company_size
from bot.parsing.decline import is_decline
from bot.parsing.email import classify_email
from bot.parsing.geo import parse_country
from bot.parsing.growth import parse_growth_plan
from bot.parsing.knockout import detect_knockout
from bot.parsing.lexicon import find_industry, find_use_case, nlp
from bot.parsing.names import parse_company_name, parse_name, parse_other_deciders
from bot.parsing.timeline import parse_timeline


def parse_industry(text: str) -> dict | None:  # type: ignore[type-arg]
    """Normalised industry of an answer to the industry question, or None."""
    found = find_industry(nlp().make_doc(text[:500]), requested=True)
    return found[0] if found else None


__all__ = [
    "classify_email",
    "detect_knockout",
    "find_use_case",
    "is_decline",
    "parse_budget",
    "parse_company_name",
    "parse_company_size",
    "parse_country",
    "parse_growth_plan",
    "parse_industry",
    "parse_name",
    "parse_other_deciders",
    "parse_timeline",
]
