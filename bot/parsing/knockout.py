"""Knock-outs: students, job seekers, vendor pitches and spam are not buyers.

Each pattern is about the visitor themselves (a first-person claim or a question to
us), so a buyer who mentions students or hiring is not knocked out: "we're a student
recruitment company", "I'm a recruiter buying for our agency", "we offer consulting
services and need lead scoring".
"""

from __future__ import annotations

import re
from typing import Any

_PITCHED_SERVICES = (
    r"(?:seo|search engine optimi[sz]ation|lead[- ]?gen(?:eration)?|link[- ]building|backlinks?|web ?design|"
    r"website (?:design|development|redesign)|web development|app development|software development|outsourcing|"
    r"offshore (?:development|team)|digital marketing|marketing services|content writing|copywriting|data entry|"
    r"virtual assistants?|ppc|google ads management|social media (?:management|marketing)|email lists?|"
    r"b2b data|contact lists?|appointment setting|lead lists?|cold (?:email|calling)|guest post(?:ing)?|"
    r"white[- ]label|dedicated (?:dev(?:elopment)? |software |engineering )?teams?|staff augmentation|"
    r"nearshore (?:development|team)|(?:high[- ]da|dofollow) links)"
)
# "Do you have openings next week?" asks for a meeting slot, not a job.
_NOT_A_MEETING = r"(?!\s+(?:for|on|this|next|tomorrow|today|at|to|later|left|available|in (?:the|your) cal))"
_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "job_seeker",
        re.compile(
            r"\b(?:(?:looking|searching|hunting) for (?:a |an |my |a new |my next |new )?(?:job|position|role|work|"
            r"internship|employment|career|gig)s?(?![\w-])(?!\s+(?:board|site|portal|posting|ads?|description|"
            r"title|management|queue|scheduler|tracking|based|for (?:our|my|the|a) (?:team|company|client)))|"
            r"(?:looking|searching|hunting) for (?:my )?next (?:role|job|position|opportunity|challenge|gig)|"
            r"\b(?:i am|i'?m|am) (?:searching|looking|seeking|hunting)(?: for)? (?:a |an )?(?:new )?(?:job|position|role|work)\b|"
            r"\b(?:you have|do you have|have you|is there|are there) (?:any |an |a )?open (?:position|role|job|vacanc)\w*|"
            r"between (?:jobs|roles|positions|contracts)|in between jobs|out of work|unemployed|job[- ]hunting|"
            r"job[- ]seeking|open to work|^\W*(?:a|looking for a|i want a|i need a) job(?: really| please)?\W*$|"
            r"\bany (?:sdr|bdr|ae|sales|marketing|engineering|dev(?:eloper)?|design|customer success) "
            r"(?:openings?|positions|jobs|vacancies)\b|"
            r"(?:recently |just )?(?:got |was |been |i'?ve been |i was )laid off|"
            r"are you (?:guys |folks |currently |still |by any chance )?(?:hiring|recruiting)|"
            r"is (?:your company|your team|banter|the company) (?:hiring|recruiting)|"
            r"(?:do you have|are there|is there|got) (?:any |a |an )?(?:job |open |current )?vacanc(?:y|ies)\b|"
            r"(?:do you have|are there|is there|got) (?:any |a |an )?(?:job |open |current )?(?:openings?|"
            rf"open positions|positions|open roles|jobs|internships)\b{_NOT_A_MEETING}|"
            rf"\bany (?:open )?(?:positions|openings)\b{_NOT_A_MEETING}|\bany (?:job )?(?:vacancies|jobs)\b|"
            r"job (?:opening|opportunit|application|vacanc)|"
            r"career opportunit|apply(?:ing)? (?:for|to) (?:a |the |this |an |your )?(?:job|position|role|vacancy|"
            r"internship|opening)|my (?:cv|resume|résumé)\b|send (?:you )?my (?:cv|resume)|"
            r"want to (?:work|intern) (?:for|at|with) you|(?:join|work (?:for|at)) your (?:team|company)|"
            r"internship (?:opportunit|position)|seeking employment|looking for employment|"
            r"(?:got|have|any) (?:any )?(?:roles|positions|jobs|vacancies|openings) (?:going|open|available)\b|"
            r"(?:i'?d|i would) (?:love|like) to (?:join|work for|work at|work with) (?:you|your|the team)\b)",
            re.I,
        ),
    ),
    (
        "student",
        re.compile(
            r"\b(?:(?:i'?m|i am|im) (?:a |an |just a |currently a |still a )?(?:student|undergrad|grad student|"
            r"phd student|master'?s student|masters student|mba student|college student|university student|"
            r"uni student|high school student)|"
            r"(?:doing|studying for|working on|pursuing|finishing|writing|in) (?:my|a|the final year of my) "
            r"(?:master'?s|masters|mba|phd|bachelor'?s|degree|thesis|dissertation|capstone)|"
            r"(?:final|first|second|third|fourth|last) year (?:at|of|in) (?:uni|university|college|school|my degree)|"
            r"(?:final|first|second|third|fourth|last) year of (?:a|my|the) (?:[\w-]+ ){0,2}?(?:degree|course|"
            r"bachelor'?s|master'?s|masters|mba|phd|diploma|programme|program)\b|"
            r"(?:doing|studying|taking) (?:a|an|my) (?:[\w-]+ ){0,2}?(?:degree|diploma|mba|phd)\b|"
            r"(?:i'?m|i am|im) (?:still )?(?:at|in) (?:uni|college|school|grad school)\b|"
            r"for (?:a|my|our) (?:class|course|school|uni|university|college|coursework|homework|assignment|thesis|"
            r"dissertation|capstone|seminar|module)(?: project| assignment| paper| research)?\b|"
            r"my (?:thesis|dissertation|coursework|homework|professor|lecturer|capstone)\b|"
            r"(?:school|university|uni|class|student|course|college) (?:project|assignment)|"
            r"(?:i'?m|i am|im) studying|as part of my (?:studies|degree|course))",
            re.I,
        ),
    ),
    (
        "vendor_pitch",
        re.compile(
            rf"\b(?:we (?:offer|provide|sell|deliver|do|specialize in|specialise in) [\w\s,&-]{{0,40}}{_PITCHED_SERVICES}|"
            rf"{_PITCHED_SERVICES} services|"
            r"(?:we|i|our (?:team|agency|company|firm))(?:\s+(?:can|could|would|will)|'d|'ll)\s+(?:love to |like to )?"
            r"(?:help|get|bring|boost|increase|grow|drive|double|triple|generate|improve) (?:you|your)\b|"
            r"(?:would you be|are you) interested in (?:our|my) (?:services|offer|solution|product|proposal)|"
            r"(?:would you be|are you|would your (?:team|company) be) interested in (?:outsourcing|offshoring|"
            r"nearshoring|white[- ]labell?ing|a partnership|partnering)|"
            r"\bat a fraction of (?:the )?(?:cost|price|rates?|[A-Z]{2,3} rates?|uk rates|us rates|what you)|"
            r"partnership (?:proposal|opportunity)|"
            r"\boffer(?:ing)? you (?:our|my|a)\b|\bto offer (?:you )?our\b|\bsell(?:ing)? you\b|"
            r"\bthought your (?:[\w-]+ )?team (?:could|might|would)\b|\bverified (?:b2b )?(?:contacts|emails|leads)\b|"
            r"(?:would|could|is|might) your (?:cto|ceo|cmo|cfo|coo|founder|team|marketing team|sales team|"
            r"head of [\w-]+) be (?:open|interested|available)\b|"
            r"(?:could|can|may) (?:i|we) (?:get|grab|have|book) (?:\d+|a few|five|ten|fifteen) ?min(?:ute)?s? "
            r"(?:of|with) your\b|"
            r"(?:i'?d|i would|we'?d|we would) (?:like|love) to (?:pitch|offer|sell|introduce (?:you to )?our|"
            r"show you how (?:we|our))|can i (?:pitch|sell)|our agency can|white[- ]label|"
            r"(?:more|extra) traffic to your|rank (?:you|your (?:site|website|business)) (?:higher|on|#?1)|"
            r"first page of google|your (?:website|site) (?:could|isn'?t|is not|doesn'?t|lacks|needs|has (?:some|a few|"
            r"several) (?:issues|errors|problems)))",
            re.I,
        ),
    ),
    (
        "spam",
        re.compile(
            r"(viagra|cialis|casino|betting tips|crypto (giveaway|investment)|bitcoin doubler|forex signals|"
            r"loan offer|click here|earn \$?\d+ (a|per) (day|week)|make money fast|free money|porn|"
            r"whatsapp me|telegram me|whatsapp \+?\d|earn \d+\s?% |guaranteed (?:returns?|profits?|income)|\d+% guaranteed|"
            r"buy (?:backlinks|followers|likes|links)|cheap (?:seo|backlinks|links)|"
            r"\b(?:bit\.ly|tinyurl\.com|t\.co|goo\.gl|cutt\.ly)/\w+)",
            re.I,
        ),
    ),
]
_URL = re.compile(r"https?://|www\.", re.I)
#: Unmistakable spam: counts even when the message also looks like it says a budget ("links for $5").
SURE_SPAM = re.compile(
    r"\b(?:bit\.ly|tinyurl\.com|goo\.gl|cutt\.ly)/\w+|cheap (?:seo|backlinks|links)|buy backlinks|whatsapp \+?\d|"
    r"guaranteed (?:returns?|profits?|income)|\d+% guaranteed|earn \d+\s?% |\bt\.me/\w+|crypto signals|"
    r"(?:make|earn) \$?\d[\d,k]*\s?(?:/|a|per)\s?(?:day|week|month)|no experience needed|"
    r"(?:visit|click) [\w-]+\.(?:biz|xyz|top|click|win)\b",
    re.I,
)


def detect_knockout(text: str) -> dict[str, Any] | None:
    """{"kind": ...} when the message shows a non-buyer, else None."""
    text = text[:2000]
    if SURE_SPAM.search(text):
        return {"kind": "spam"}
    for kind, pattern in _RULES:
        if pattern.search(text):
            return {"kind": kind}
    if len(_URL.findall(text)) >= 2:
        return {"kind": "spam"}
    return None
