"""The console's A/B page (marketing): per variant of a question, the greeting or a proactive-open message.

Figures per variant with confidence intervals and a verdict in words (bot/console/variants.py,
bot/console/ab_test.py), and "make this the wording": the winning variant's text becomes the
wording, the variants are removed, and the playbook is validated and saved through the same
path as the playbook editor (bot.whatif.save_playbook: the previous version stays in the history).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from urllib.parse import urlencode

from aiohttp import web

from bot.console.ab_test import variant_name
from bot.console.variants import label, report, variant_figures
from bot.playbook import PlaybookError
from bot.playbook_edit import WordingError, with_wording
from bot.web.console import CONSOLE, Console, _period, _render
from bot.web.console_questions import parsed
from bot.whatif import save_playbook

TITLE = "A/B variants"


async def variants_page(
    request: web.Request, notice: str | None = None, error: str | None = None, status: int = 200
) -> web.Response:
    """Every wording with variants that conversations of the period saw, compared."""
    console: Console = request.app[CONSOLE]
    start, end, start_text, end_text = _period(request)
    loop = asyncio.get_running_loop()
    figures = await loop.run_in_executor(
        None, variant_figures, console.tracker, console.sessions, start, end, datetime.now(timezone.utc)
    )
    return _render(
        request,
        "console/variants.html",
        status,
        title=TITLE,
        wordings=report(figures, console.playbook()) if figures is not None else None,
        start=start_text,
        end=end_text,
        period_query=urlencode({"from": start_text, "to": end_text}),
        notice=notice,
        error=error,
        variant_name=variant_name,
    )


async def make_wording(request: web.Request) -> web.Response:
    """Make one variant the wording for everyone (its variants removed; the history keeps the old playbook)."""
    console: Console = request.app[CONSOLE]
    form = await request.post()
    key, variant = str(form.get("key") or ""), str(form.get("variant") or "")
    text = console.playbook_path.read_text(encoding="utf-8")
    playbook = parsed(text, console.playbook_path.name)
    try:
        draft_text = with_wording(text, playbook, key, variant)
        draft = parsed(draft_text, "draft")
    except WordingError as err:
        return await variants_page(request, error=f"Nothing changed: {err}.", status=409)
    except PlaybookError as err:
        return await variants_page(request, error="Nothing changed:\n" + "\n".join(err.problems), status=400)
    save_playbook(
        console.sessions,
        text=draft_text,
        playbook=draft,
        path=console.playbook_path,
        applied_by=request["user"]["u"],
        current=playbook,
    )
    return await variants_page(
        request,
        notice=f"{variant_name(variant)} is now the wording of {label(playbook, key)} for every visitor; "
        f"its variants are removed ({draft.version}). The previous playbook is kept in the history.",
    )


def add_variant_routes(app: web.Application) -> None:
    """Mount the A/B page and its action (marketing only: the console's access rules)."""
    app.router.add_get("/console/variants", variants_page)
    app.router.add_post("/console/variants/wording", make_wording)


__all__ = ["add_variant_routes"]
