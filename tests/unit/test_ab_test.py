"""A/B statistics: Wilson intervals, the two-proportion z-test and the verdict in words."""

from __future__ import annotations

import pytest

from bot.console.ab_test import BETTER, NO_DIFFERENCE, NOT_ENOUGH, compare, verdict, wilson


def test_wilson_matches_published_values() -> None:
    # Wilson (1927) / Newcombe (1998): 0 of 10 -> 0.0-27.8 %; 50 of 100 -> 40.4-59.6 %; 81 of 263 -> 25.6-36.4 %
    assert wilson(0, 10).low == pytest.approx(0.0, abs=1e-12) and wilson(0, 10).high == pytest.approx(0.2775, abs=1e-4)
    assert (wilson(50, 100).low, wilson(50, 100).high) == (pytest.approx(0.4038, abs=1e-4), pytest.approx(0.5962, abs=1e-4))
    assert (wilson(81, 263).low, wilson(81, 263).high) == (pytest.approx(0.2553, abs=1e-3), pytest.approx(0.3662, abs=1e-3))
    assert wilson(0, 0).value is None and wilson(0, 0).words() == "n/a"
    assert wilson(62, 100).words() == "62.0% (52.2\u201370.9%)"


def test_two_proportion_z_test() -> None:
    # 60/100 vs 75/100: z = 2.27, two-sided p = 0.023
    result = compare((60, 100), (75, 100))
    assert result is not None
    assert result.difference == pytest.approx(0.15) and result.p_value == pytest.approx(0.0232, abs=1e-3)
    assert result.low == pytest.approx(0.15 - 1.96 * ((0.6 * 0.4 + 0.75 * 0.25) / 100) ** 0.5, abs=1e-3)
    assert compare((0, 0), (1, 2)) is None
    assert compare((5, 5), (7, 7)).p_value == 1.0  # type: ignore[union-attr]


def test_verdict_in_words() -> None:
    better = verdict([("a", 580, 1000), ("b", 730, 1000)], what="answer rate")
    assert (better.kind, better.winner) == (BETTER, "b")
    assert better.text.startswith("B is better than A with 95% confidence (answer rate: B 73.0%, A 58.0%)")
    worse = verdict([("a", 730, 1000), ("b", 580, 1000)])
    assert (worse.kind, worse.winner) == (BETTER, "a")
    same = verdict([("a", 600, 1000), ("b", 612, 1000)], what="answer rate")
    assert same.kind == NO_DIFFERENCE and same.text.startswith("no clear difference")
    early = verdict([("a", 20, 40), ("b", 30, 40)])
    assert early.kind == NOT_ENOUGH and "fewer than 50 visitors" in early.text
    unsure = verdict([("a", 60, 100), ("b", 66, 100)])
    assert unsure.kind == NOT_ENOUGH and unsure.text.startswith("not enough data yet")
    assert verdict([("a", 10, 100)]).kind == NOT_ENOUGH


def test_three_variants_need_the_leader_to_beat_each_other() -> None:
    # the leader clearly beats one and not the other: no winner is named
    assert verdict([("a", 500, 1000), ("b", 650, 1000), ("c", 640, 1000)]).kind == NOT_ENOUGH
    found = verdict([("a", 500, 1000), ("b", 650, 1000), ("c", 520, 1000)])
    assert found.kind == BETTER and found.winner == "b" and found.text.startswith("B is better than A and C")
    # a short id is shown as written
    assert verdict([("short", 500, 1000), ("long", 650, 1000)]).text.startswith("\u201clong\u201d is better")
