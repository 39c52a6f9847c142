"""Visitor text as valid Unicode: one normalisation for the chat channels and the extractor."""

from __future__ import annotations

import unicodedata


def normalise_text(text: str, limit: int | None = None) -> str:
    """Valid, composed (NFC) Unicode, cut to `limit` characters when given.

    A lone surrogate (U+D800 alone) cannot be encoded as UTF-8: it crashed the tokenizer and,
    once stored, every page showing it. It becomes U+FFFD; nothing else changes.
    """
    text = (text or "")[:limit] if limit is not None else (text or "")
    return unicodedata.normalize("NFC", text.encode("utf-8", "replace").decode("utf-8", "replace"))
