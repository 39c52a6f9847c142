"""A/B assignment: which variant of a wording a visitor sees, the same one every time.

A variant is picked from a hash of the wording's key and the visitor (the widget's signed
visitor id, else the conversation), spread over the variants' weights. Nothing is stored to
keep it sticky: the same visitor and key always land on the same variant while the variants
and weights stay the same. The variant a visitor saw is recorded where it counts (the
`question_variants` slot, each answer, the lead), so the console's figures never recompute it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def sticky_variant(key: str, visitor: str, variants: Sequence[tuple[str, float]]) -> str | None:
    """The id of the variant `visitor` sees for `key` among (id, weight) pairs; None without variants."""
    if not variants:
        return None
    digest = hashlib.sha256(f"{key}:{visitor}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * sum(weight for _, weight in variants)
    for variant, weight in variants:
        point -= weight
        if point < 0:
            return variant
    return variants[-1][0]


__all__ = ["sticky_variant"]
