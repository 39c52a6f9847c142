"""The overview's figures for one period, gathered side by side, the funnel summed from them.

Each figure is the one function of bot.console.queries (lead store) or
bot.console.conversations (tracker store) that the tables, charts and CSV downloads all
read; the funnel is built from the others' rows, so the pages cannot disagree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.console import queries
from bot.console.conversations import conversation_figures
from bot.outcomes.calibration import calibration_figures
from bot.playbook import Playbook
from bot.questions import labels


async def overview_figures(
    sessions: Callable[[], Session],
    tracker: Engine | None,
    playbook: Playbook,
    start: datetime,
    end: datetime,
    now: datetime,
) -> dict[str, Any]:
    """Table name -> rows (requalification: one dict), for leads created and conversations started in [start, end)."""
    jobs: Mapping[str, Callable[[Session], Any]] = {
        "reasons": lambda s: queries.reasons(s, start, end),
        "weekly": lambda s: queries.weekly(s, start, end),
        "sources": lambda s: queries.sources(s, playbook, start, end),
        "reps": lambda s: queries.meetings_per_rep(s, start, end),
        "requalification": lambda s: queries.requalification(s, start, end)[0],
        "calibration": lambda s: calibration_figures(s, start, end, now),
    }

    def run(job: Callable[[Session], Any]) -> Any:
        with sessions() as session:  # one session per thread: the queries run side by side
            return job(session)

    loop = asyncio.get_running_loop()
    conversations, *results = await asyncio.gather(
        loop.run_in_executor(None, conversation_figures, tracker, start, end, now),
        *(loop.run_in_executor(None, run, job) for job in jobs.values()),
    )
    data = dict(zip(jobs, results, strict=True))
    data.update(data.pop("calibration"))  # its tables, and its summary line as "calibration"
    data["funnel"] = queries.funnel(data["weekly"], data["reps"], conversations)
    data["questions"] = queries.question_health(conversations, labels(playbook.question_registry()))
    return data
