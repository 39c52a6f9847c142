"""Roles and titles to seniority: "CFO" -> c_level, "VP of Sales" -> vp, "marketing manager" -> manager.

The title is kept as the visitor typed it ("Head of Revenue Operations"). A title counts
as the visitor's own only when they say so ("I'm the CFO", "CFO at Acme", "CFO here",
a short answer); "route leads to our account manager" names someone else.
"""

from __future__ import annotations

import re
from typing import Any

_OWNER_NOT_ROLE = (
    r"(?<!account )(?<!product )(?<!process )(?<!project )(?<!deal )(?<!lead )(?<!record )(?<!data )"
    r"(?<!budget )(?<!ticket )(?<!page )(?<!channel )(?<!relationship )(?<!service )(?<!content )"
    r"(?<!system )(?<!task )(?<!case )(?<!queue )"
)
_BUSINESS = r"(?:company|business|firm|agency|shop|store|startup|practice|studio|consultancy)"
# (seniority, pattern); earlier entries win when several match.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "founder",
        re.compile(
            r"\bfounder\s*/\s*c-level\b|\b(?:(?:ceo|cto|coo|cpo)\s*(?:and|&|/|,)\s*)?(?:co[- ]?)?founder\b"
            r"(?:\s*(?:and|&|/|,)\s*(?:ceo|cto|coo|cpo)\b)?|"
            r"\bi (?:co-?)?founded (?:the|this|our|my|a|an) (?:[\w-]+ ){0,3}?(?:company|business|startup|firm|agency|"
            r"place|shop|studio|consultancy|practice|brand)\b|\bsolo[- ]founder\b",
            re.I,
        ),
    ),
    (
        "c_level",
        re.compile(
            r"\b(?:ceo|cfo|cto|coo|cmo|cro|cio|ciso|cpo|cdo|cco|chief\s+[a-z]+(?:\s+[a-z]+)?\s+officer|"
            r"(?<!vice )(?<!vice-)president|managing director|general manager|c-level|c-suite|executive director|"
            r"chief executive)\b",
            re.I,
        ),
    ),
    (
        "owner",
        re.compile(
            rf"\b{_OWNER_NOT_ROLE}(?:business\s+|company\s+|shop\s+|store\s+)?owner\b|\bproprietor\b|"
            r"\bpartner at\b|\bmanaging partner\b|"
            r"\bi (?:own|run) (?:the|a|an|my|our|this) (?:[\w-]+ ){0,4}?(?:company|business|firm|agency|shop|store|"
            r"chain|practice|studio|startup|restaurant|clinic|consultancy|bakery|salon|gym|cafe|hotel|garage|dealership|"
            r"brewery|franchise|factory|workshop|pharmacy|farm)\b|\bone of the (?:co-?)?founders\b|"
            # ownership and final authority in the visitor's own words
            rf"\b(?:it'?s|its|it is) (?:my|our) (?:own )?{_BUSINESS}\b|\b(?:i have|i started|i set up|i built) "
            rf"(?:my|our|the|this) (?:own )?{_BUSINESS}\b|\bmy own {_BUSINESS}\b|\bi (?:own|run) (?:it|the place|"
            r"the show|the whole thing|everything)\b|\bi'?m the (?:big |main )?boss\b",
            re.I,
        ),
    ),
    (
        "vp",
        re.compile(
            r"\b(?:senior\s+|executive\s+|assistant\s+|group\s+)?(?:svp|evp|avp|vp|vice[- ]president)\b|"
            r"\bvp\s*/\s*director",
            re.I,
        ),
    ),
    (
        "head",
        re.compile(
            r"\bhead\b(?=\s+of\b)|\bhead\b(?=\s+(?:sales|marketing|growth|operations|ops|product)\b)", re.I
        ),
    ),
    ("director", re.compile(r"\bdirector\b", re.I)),
    (
        "manager",
        re.compile(r"\b(?:manager|team lead|team leader|tech lead|supervisor|product owner)\b", re.I),
    ),
    ("consultant", re.compile(r"\b(?:consultant|advisor|adviser|freelancer|contractor)\b", re.I)),
    ("intern", re.compile(r"\b(?:intern|internship|trainee|apprentice|working student)\b", re.I)),
    (
        "student",
        re.compile(r"\b(?:student|undergrad(?:uate)?|phd candidate|master'?s student|studying)\b", re.I),
    ),
    (
        "individual_contributor",
        re.compile(
            r"\b(?:engineer|developer|dev|analyst|designer|specialist|associate|coordinator|representative|"
            r"rep|sdr|bdr|account executive|marketer|recruiter|accountant|administrator|admin|assistant|"
            r"individual contributor|ic|researcher|scientist|programmer|writer|salesperson)\b",
            re.I,
        ),
    ),
    # Final authority without a title ("I sign the cheques"): last, so a title in the same answer wins.
    (
        "owner",
        re.compile(
            r"\bi sign (?:off )?(?:on )?(?:everything|all of it|the (?:cheques|checks|contracts|deals))\b|"
            r"\b(?:i'?m|i am) the (?:one|person|guy|woman|man) (?:who|that) signs (?:off )?(?:on )?(?:everything|the "
            r"(?:cheques|checks|contracts|deals|invoices))\b|"
            r"\bi (?:have|hold|get) the (?:final|last) (?:say|word)\b|\bthe (?:final|last) (?:say|word|decision) is mine\b|"
            r"\bi make (?:all )?the (?:final )?decisions\b|\bi make the final call\b|"
            r"\bi'?m the (?:final |main |only )?decision[- ]maker\b|\bthe buck stops with me\b",
            re.I,
        ),
    ),
]

# Words that belong to a title around its seniority word: "Senior Revenue Operations Manager".
_DEPARTMENT = set(
    """
    sales marketing operations ops revenue revops engineering product products finance financial people hr human
    resources it technology tech technical growth demand generation gen business development bd bizdev partnerships
    partner partners alliances customer customers success support experience cx service services digital ecommerce
    e-commerce commerce strategy strategic data analytics design brand communications comms content legal procurement
    purchasing security infrastructure platform innovation transformation enablement insights research talent
    acquisition recruiting recruitment administration admin accounts account inside field channel global regional
    international emea apac americas latam dach nordics europe uk us performance web online retail corporate
    commercial solutions client clients relations public media social software information systems supply chain
    logistics quality compliance risk treasury accounting payroll facilities office projects project program
    programme delivery professional education training learning community events lifecycle crm martech automation
    seo ppc paid retention loyalty pricing ecosystem devops qa ux ui cloud network sales-ops go-to-market gtm
    pre-sales presales post-sales b2b b2c smb enterprise mid-market midmarket north south east west central
    """.split()
)
_QUALIFIER = set(
    "senior sr sr. junior jr jr. lead principal staff group associate assistant deputy interim acting executive "
    "general national area district country head freelance independent self-employed".split()
)
_JOIN = {"and", "&", "/", "+"}
_SELF = re.compile(
    r"\b(?:i'?m|i am|im|i work as|working as|work as|i serve as|serving as|i act as|as|my (?:role|title|position|job)"
    r"(?: is)?|role:|title:|this is|i'?ve been|i have been)\b[^.!?;]{0,40}$",
    re.I,
)
_THIRD_PARTY = re.compile(
    r"\b(?:to|for|with|notify|alert|tell|ping|email|cc|our|their|your|his|her|its|whoever|which|each|every|any|"
    r"other|another|the right|a new|new|hire|hiring|hired|recruit|find|need|needs|want|wants|looking for|like|whose|"
    r"ask|asks|asked|by|boss|report to|reports to|reporting to|let|lets|via|from)\s+(?:(?:the|a|an|our|their|your)\s+)?$",
    re.I,
)
_HERE = re.compile(r"^\s*(?:here|speaking)\b|^\s*(?:at|@)\s+[A-Z]")
_OTHERS_ACT = re.compile(
    r"^\s*(?:asked|asks|wants|wanted|said|says|told|needs|decides|decided|approves|approved|signs|will|would|should|"
    r"has to|must|gets|receives|owns|handles|checks|reviews)\b",
    re.I,
)
_NAME_LEAD_IN = re.compile(
    r"\s*(?:(?:i'?m|this is|it'?s)\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?(?:\s+here)?\s*[,-–]\s*(?:the\s+|a\s+|an\s+)?",
)
_TOP = ("founder", "c_level", "owner")
#: Ownership said in the first person ("it's my company", "I own the shop") is the visitor's own, wherever it stands.
_FIRST_PERSON = re.compile(r"(?:i\b|i'?m\b|it'?s my\b|its my\b|it is my\b|my own\b)", re.I)
_ACRONYMS = set(
    "ceo cfo cto coo cmo cro cio ciso cpo cdo cco vp svp evp avp sdr bdr ic hr it emea apac dach gtm ux ui qa "
    "crm seo ppc b2b b2c smb cx".split()
)
_STOP_AFTER = {"at", "in", "i", "we", "here", "and", "for", "with", "from", "of", "the"}
_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|hiya|howdy|morning|afternoon|evening|good (?:morning|afternoon|evening))\b"
    r"(?:\s+(?:all|there|folks|team))?[\s,!.\-–—]*"
    # a greeting in any language: one or two words before a comma ("bonjour, VP Sales at …")
    r"|[^\W\d_]+(?:['’][^\W\d_]+)?(?:\s+[^\W\d_]+)?\s*(?:[,!]|\s[-–—])\s*)?",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][\w&'.-]*|&|/|\+")


def _is_department(word: str) -> bool:
    return word.lower().strip(".,") in _DEPARTMENT


def _title_span(text: str, start: int, end: int, named_after: bool = True) -> tuple[int, int]:
    """Widen a seniority word to the whole title: qualifiers before, department after ("of Sales").

    With `named_after`, capitalised words after "of" belong to the title ("Head of EMEA Partnerships");
    a CEO's "of Acme" names the company instead.
    """
    before = list(_WORD.finditer(text[:start]))
    cursor, taken = start, 0
    for index in range(len(before) - 1, -1, -1):
        word = before[index]
        token = word.group(0).lower().strip(".,")
        if text[word.end() : cursor].strip() or taken >= 3:
            break
        joined = token in _JOIN and index > 0 and _is_department(before[index - 1].group(0))
        if not (token in _DEPARTMENT or token in _QUALIFIER or joined):
            break
        cursor, taken = word.start(), taken + 1
    if taken and text[cursor:start].split()[0].lower() in _JOIN:
        cursor = start
    start = cursor
    rest = text[end:]
    of = re.match(r"\s+(?:of|for)\s+(?:the\s+)?", rest, re.I)
    offset = of.end() if of else 0
    words = list(_WORD.finditer(rest[offset:]))
    last = None
    for index, word in enumerate(words):
        token = word.group(0)
        if index >= 5 or (index and rest[offset + words[index - 1].end() : offset + word.start()].strip()):
            break
        capitalised = named_after and of and token[:1].isupper() and token.lower() not in _STOP_AFTER
        if _is_department(token) or capitalised:
            last = word
            continue
        if token.lower() in _JOIN and index + 1 < len(words) and _is_department(words[index + 1].group(0)):
            continue
        break
    if last is not None:
        end = end + offset + last.end()
    return start, end


def _own(text: str, start: int, end: int, requested: bool) -> bool:
    """True when the title at [start, end) is the visitor's own, not someone they mention."""
    sentence = re.split(r"[.!?;\n]", text[:start])[-1]
    after = text[end:]
    if _THIRD_PARTY.search(sentence) or _OTHERS_ACT.match(after) or re.match(r"'s\b|’s\b", after):
        return False  # "the CEO's assistant": someone else's title
    if requested or _SELF.search(sentence):
        return True
    if not sentence.strip() and start > 0:
        return True  # a title opening a sentence after a greeting in any language: "Buenas! Founder of …"
    opening = _GREETING.match(text)
    lead_in = text[opening.end() if opening else 0 : start]
    if not lead_in.strip() or _NAME_LEAD_IN.fullmatch(lead_in):
        return True  # "CFO at Acme", "Hi, Jane here, head of growth"
    if len(text.split()) <= 6:
        return True
    return bool(_HERE.match(after))


_SMALL_WORDS = {"of", "and", "for", "the", "at", "in", "to", "&", "/", "+", "a", "an", "on"}


def _title(text: str, span: tuple[int, int], seniority: str) -> str:
    title = re.sub(r"\s+", " ", text[span[0] : span[1]]).strip(" ,.;:!-")
    if title and title == title.lower():
        # typed all in lower case ("head of growth"): written as a title for the rep's brief
        return " ".join(
            w.upper() if w in _ACRONYMS else w if w in _SMALL_WORDS and i else w[:1].upper() + w[1:]
            for i, w in enumerate(title.split())
        )
    # As typed, except acronyms typed in lower case: "vp of Sales" -> "VP of Sales".
    title = " ".join(w.upper() if w.lower() in _ACRONYMS else w for w in title.split())
    return title[:1].upper() + title[1:] if title else seniority


def find_role(text: str, *, requested: bool = False) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """The visitor's own role (title as typed, and seniority) with its span, or None."""
    text = text[:2000]
    for seniority, pattern in _RULES:
        for match in pattern.finditer(text):
            start, end = _title_span(text, *match.span(), named_after=seniority not in _TOP)
            if seniority in ("founder", "c_level", "owner"):
                start = min(start, match.start())
            first_person = seniority == "owner" and _FIRST_PERSON.match(text, match.start())
            if not first_person and not _own(text, start, end, requested):
                continue
            title = _title(text, (start, end), seniority)
            if pattern is _RULES[-1][1]:
                title = "Final decision maker"  # "I sign the cheques": the authority, in a label a rep reads
            elif re.match(
                r"i (?:own|run|have|started|set up|built)\b|it'?s|its\b|it is\b|my own\b|i'?m the\b",
                title,
                re.I,
            ):
                title = "Owner"  # "I own the company" says the role, not a title to keep
            elif re.match(r"one of the (?:co-?)?founders", title, re.I):
                title, seniority = "Co-founder", "founder"
            elif re.match(r"i (co-?)?founded\b", title, re.I):
                title = "Co-founder" if "co" in title.lower().split()[1] else "Founder"
            return {"title": title, "seniority": seniority}, (start, end)
    return None


def is_title_only(text: str) -> bool:
    """True when the whole message is a job title ("Head of Operations", "I'm the CFO")."""
    found = find_role(text, requested=True)
    if not found:
        return False
    start, end = found[1]
    rest = (text[:start] + " " + text[end:]).lower()
    rest = re.sub(r"\b(i'?m|i am|im|the|a|an|my|title|role|is|as|here|just)\b|[^\w]", " ", rest)
    return not rest.strip()


def parse_role(text: str) -> dict[str, Any] | None:
    """Normalised role of an answer to the role question, or None."""
    found = find_role(text[:500], requested=True)
    return found[0] if found else None
