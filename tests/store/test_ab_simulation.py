"""The A/B run of the closing note: 2,000 simulated visitors through the ask and outcome actions, with
a planted difference the console's verdict must find, and none where it must say so
(scripts/ab_simulation.py prints the same run with its figures)."""

from __future__ import annotations

from pathlib import Path

from bot.console.ab_test import BETTER, NO_DIFFERENCE
from bot.settings import PROJECT_ROOT
from scripts.ab_simulation import ab_playbook, run

PLAYBOOK = ab_playbook(PROJECT_ROOT / "tests" / "fixtures" / "playbook.yml")


def test_a_planted_15_point_lift_is_found(tmp_path: Path) -> None:
    budget, _ = run(2000, 0.15, 7, tmp_path, PLAYBOOK)
    rows = {r["variant"]: r for r in budget.rows}
    assert rows["a"]["reached"] + rows["b"]["reached"] == 2000
    assert 0.12 < rows["b"]["answered"] / rows["b"]["reached"] - rows["a"]["answered"] / rows["a"]["reached"] < 0.18
    assert (budget.answer_verdict.kind, budget.answer_verdict.winner) == (BETTER, "b")
    assert budget.answer_verdict.text.startswith("B is better than A with 95% confidence")
    # every reached visitor either answered or stopped at the budget question
    assert all(r["answered"] + r["stopped_here"] == r["reached"] for r in budget.rows)


def test_no_difference_is_said_when_there_is_none(tmp_path: Path) -> None:
    budget, _ = run(2000, 0.0, 7, tmp_path, PLAYBOOK)
    assert budget.answer_verdict.kind == NO_DIFFERENCE
    assert budget.answer_verdict.text.startswith("no clear difference")
