"""spaCy phrase matching on spacy.blank("en"): industries and the playbook's use cases."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import spacy
import yaml
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.vocab import INDUSTRIES

_DATA = Path(__file__).resolve().parent.parent / "data"


@functools.lru_cache(maxsize=1)
def nlp() -> spacy.language.Language:
    """The shared blank English pipeline (tokenizer only; no model download)."""
    return spacy.blank("en")


@functools.lru_cache(maxsize=1)
def industry_synonyms() -> dict[str, list[str]]:
    """Industry key -> phrases, from bot/data/industries.yml."""
    data = yaml.safe_load((_DATA / "industries.yml").read_text(encoding="utf-8"))
    unknown = set(data) - set(INDUSTRIES)
    if unknown:
        raise ValueError(f"industries.yml: unknown industry keys {sorted(unknown)}")
    return {key: [str(p) for p in phrases] for key, phrases in data.items()}


@functools.lru_cache(maxsize=1)
def _industry_matcher() -> PhraseMatcher:
    matcher = PhraseMatcher(nlp().vocab, attr="LOWER")
    for key, phrases in industry_synonyms().items():
        matcher.add(key, [nlp().make_doc(p) for p in phrases])
    return matcher


#: "an online furniture shop", "online store selling shoes": selling online is e-commerce.
_ONLINE_SHOP = re.compile(
    r"\b(?:online|web|internet|e-?commerce)\s+(?:[\w-]+\s+){0,2}?(?:shop|store|retailer|boutique)\b"
    r"|\b(?:we|i)\s+(?:sell|retail)\s+(?:[\w'-]+\s+){0,5}?(?:online|on the web|through our (?:site|website)|on amazon)\b",
    re.I,
)


#: Everyday nouns that name an industry only when they describe the visitor's company:
#: "we're a shop", "our shop", "in retail" do; "people visit the shop", "delivery times" do not.
_WEAK = {
    "shop", "stores", "store", "retail", "building", "delivery", "transport", "transportation", "shipping", "health",
    "property", "food", "drinks", "news", "games", "gaming", "media", "travel", "energy", "utilities", "utility",
    "auto", "dental", "medical", "foundation", "school", "college", "bank", "banking", "publishing", "streaming",
    "entertainment", "production company", "payments", "hardware", "cloud", "technology", "industrial", "council",
    "podcast", "podcasts", "magazine", "magazines", "fabrication", "machining", "agency", "consultancy",
    "shops", "farm", "farms", "tours", "broadband", "high street",
}  # fmt: skip
_CUE_BEFORE = {
    "we're", "we", "are", "i'm", "im", "our", "my", "a", "an", "in", "at", "for", "into", "small",
    "local", "independent", "family", "busy", "person", "staff", "strong", "employee",
}  # fmt: skip
_CUE_AFTER = {
    "company",
    "business",
    "firm",
    "sector",
    "industry",
    "space",
    "brand",
    "chain",
    "group",
    "startup",
}


def _describes_company(doc: Doc, start: int, end: int) -> bool:
    before = {tok.lower_ for tok in doc[max(0, start - 3) : start]}
    after = {tok.lower_ for tok in doc[end : end + 2]}
    return bool(before & _CUE_BEFORE or after & _CUE_AFTER)


def find_industry(doc: Doc, *, requested: bool = False) -> tuple[dict[str, Any], tuple[int, int]] | None:
    """The industry named in a message (longest phrase wins) with its span."""
    online = _ONLINE_SHOP.search(doc.text)
    if online:
        return {"industry": "ecommerce"}, online.span()
    matches = _industry_matcher()(doc)
    if not matches:
        return None
    vocab = nlp().vocab
    candidates = []
    for match_id, start, end in matches:
        key = vocab.strings[match_id]
        if key == "other" and (not requested or (doc[start:end].text.lower() == "other" and len(doc) > 2)):
            continue  # "other" is an industry only as a short answer to the industry question
        if not requested and doc[start:end].text.lower() in _WEAK and not _describes_company(doc, start, end):
            continue
        weak = doc[start:end].text.lower() in _WEAK  # "building a fintech app": fintech, not construction
        candidates.append((-(end - start), weak, start, key, doc[start:end]))
    if not candidates:
        return None
    candidates.sort()
    _, _, _, key, span = candidates[0]
    return {"industry": key}, (span.start_char, span.end_char)


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


_WORD = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=16)
def _use_case_index(items: tuple[tuple[str, tuple[str, ...]], ...]) -> list[tuple[str, tuple[str, ...]]]:
    index = []
    for key, phrases in items:
        for phrase in phrases:
            stems = tuple(_stem(w) for w in _WORD.findall(phrase.lower()))
            if stems:
                index.append((key, stems))
    index.sort(key=lambda item: -len(item[1]))
    return index


def find_use_case(doc: Doc, use_cases: Mapping[str, Sequence[str]]) -> tuple[str, tuple[int, int]] | None:
    """The playbook use case whose keyword phrase appears (inflection-tolerant), with its span."""
    if not use_cases:
        return None
    index = _use_case_index(tuple((k, tuple(v)) for k, v in use_cases.items()))
    tokens = [(tok, _stem(tok.text)) for tok in doc if _WORD.fullmatch(tok.lower_)]
    stems = [s for _, s in tokens]
    for key, phrase in index:
        n = len(phrase)
        for i in range(len(stems) - n + 1):
            if tuple(stems[i : i + n]) == phrase:
                return key, (tokens[i][0].idx, tokens[i + n - 1][0].idx + len(tokens[i + n - 1][0].text))
    return None
