"""A/B statistics for the console: a rate with its confidence interval, and a verdict in plain words.

- A rate's interval is Wilson's score interval (right near 0 % and 100 % and for small
  counts, where the textbook "p ± 1.96·SE" interval is not).
- Two variants are compared with the two-proportion z-test (pooled standard error for the
  test); the difference's interval uses the unpooled standard error.
- With more than two variants, the leader is compared with each other variant at a
  Bonferroni-corrected level, so "better with 95 % confidence" still holds overall.

The verdict is one of three, in words: "not enough data yet" (too few visitors, or a
difference as large as `decisive` cannot be ruled out), "<X> is better with 95 % confidence",
or "no clear difference" (the interval of every difference lies within ±`decisive`).
Normal quantiles come from the standard library (statistics.NormalDist); nothing else is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95
#: Fewer visitors than this in a variant: too early to say anything.
MIN_TRIALS = 50
#: "No clear difference" needs the difference's interval within ± this (10 percentage points).
DECISIVE = 0.10

NOT_ENOUGH = "not_enough_data"
BETTER = "better"
NO_DIFFERENCE = "no_difference"


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


@dataclass(frozen=True)
class Rate:
    """Successes out of trials, with the Wilson interval (None without trials)."""

    successes: int
    trials: int
    low: float | None
    high: float | None

    @property
    def value(self) -> float | None:
        """The observed rate."""
        return self.successes / self.trials if self.trials else None

    def words(self) -> str:
        """'62.0% (58.9-65.0%)', or 'n/a' without trials."""
        if self.value is None or self.low is None or self.high is None:
            return "n/a"
        return f"{100 * self.value:.1f}% ({100 * self.low:.1f}\u2013{100 * self.high:.1f}%)"


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> Rate:
    """The rate successes/trials with Wilson's score interval."""
    if trials <= 0:
        return Rate(successes, trials, None, None)
    z = _z(confidence)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return Rate(successes, trials, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Comparison:
    """B minus A: the difference of the rates, its interval, and the z-test's two-sided p-value."""

    difference: float
    low: float
    high: float
    p_value: float


def compare(a: tuple[int, int], b: tuple[int, int], confidence: float = CONFIDENCE) -> Comparison | None:
    """Two-proportion z-test of (successes, trials) b against a; None when either has no trials."""
    (sa, na), (sb, nb) = a, b
    if na <= 0 or nb <= 0:
        return None
    pa, pb = sa / na, sb / nb
    pooled = (sa + sb) / (na + nb)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    if se_pooled == 0:
        p_value = 1.0  # both all-or-nothing and equal
    else:
        p_value = 2 * (1 - NormalDist().cdf(abs(pb - pa) / se_pooled))
    se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    half = _z(confidence) * se
    return Comparison(pb - pa, pb - pa - half, pb - pa + half, p_value)


@dataclass(frozen=True)
class Verdict:
    """The plain-words verdict over the variants of one wording, on one rate."""

    kind: str  # not_enough_data | better | no_difference
    text: str
    winner: str | None = None


def variant_name(variant: str) -> str:
    """'B' for a one-letter id, else the id in quotes."""
    return variant.upper() if len(variant) == 1 else f"\u201c{variant}\u201d"


def verdict(
    counts: Sequence[tuple[str, int, int]],
    *,
    what: str = "rate",
    confidence: float = CONFIDENCE,
    min_trials: int = MIN_TRIALS,
    decisive: float = DECISIVE,
) -> Verdict:
    """Which variant of (id, successes, trials) has the better `what`, if any can be told yet."""
    shown = [(v, s, n) for v, s, n in counts]
    if len(shown) < 2:
        return Verdict(NOT_ENOUGH, "only one variant has data: nothing to compare yet")
    few = [v for v, _, n in shown if n < min_trials]
    if few:
        return Verdict(
            NOT_ENOUGH,
            f"not enough data yet: {', '.join(variant_name(v) for v in few)} "
            f"{'has' if len(few) == 1 else 'have'} fewer than {min_trials} visitors",
        )
    level = 1 - (1 - confidence) / (len(shown) - 1)  # Bonferroni: the leader against each other
    leader = max(shown, key=lambda row: row[1] / row[2])
    others = [row for row in shown if row[0] != leader[0]]
    tests = [compare((s, n), (leader[1], leader[2]), level) for _, s, n in others]
    pct = round(100 * confidence)
    if all(t is not None and t.p_value < 1 - level for t in tests):
        versus = " and ".join(variant_name(v) for v, _, _ in others)
        rates = ", ".join(f"{variant_name(v)} {100 * s / n:.1f}%" for v, s, n in [leader, *others])
        return Verdict(
            BETTER,
            f"{variant_name(leader[0])} is better than {versus} with {pct}% confidence ({what}: {rates})",
            leader[0],
        )
    pairs = [
        compare((sa, na), (sb, nb), level)
        for i, (_, sa, na) in enumerate(shown)
        for (_, sb, nb) in shown[i + 1 :]
    ]
    if all(p is not None and -decisive <= p.low and p.high <= decisive for p in pairs):
        return Verdict(
            NO_DIFFERENCE,
            f"no clear difference: the {what} of the variants differs by less than "
            f"{100 * decisive:.0f} points ({pct}% confidence)",
        )
    return Verdict(
        NOT_ENOUGH,
        f"not enough data yet: no clear winner, and a difference in {what} of {100 * decisive:.0f} points "
        "or more cannot be ruled out",
    )


__all__ = ["Comparison", "Rate", "Verdict", "compare", "variant_name", "verdict", "wilson"]
