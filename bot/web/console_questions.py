"""The console's question editor (marketing): wording, buttons, why, re-prompt, order, on/off, with a live preview.

Every question of the playbook is one row of a form. "Check" validates the draft with the
playbook's own validation (one line per problem), shows the what-if (a wording-only draft:
"no scoring change") and the preview; "Save" applies it through the same path as the
playbook editor (bot.whatif.save_playbook: history kept, then the file, which the action
server re-reads on its next message). A save is refused when the playbook changed since
the page was opened (the form carries the text's fingerprint).

The preview pane talks to the draft, not to the assistant: the browser posts the form and
the visitor's messages to /console/questions/preview, which replays them against the draft
(bot/preview.py) and answers JSON that the page renders as text. A draft never reaches a
visitor, a lead, a calendar or the figures (why not the real assistant: README, "Question
editor").
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

from bot.playbook import Playbook, PlaybookError, parse_playbook
from bot.playbook_edit import fingerprint, question_data, with_questions
from bot.questions import MAX_TITLE
from bot.web.console import CONSOLE, Console, _history, _render
from bot.whatif import save_playbook, what_if

TITLE = "Questions"
#: A button written as "Title | what it sends" (the same text when the part after | is left out).
BUTTON_SEPARATOR = "|"


def parse_buttons(text: str) -> list[Any]:
    """One button per line: 'Title', or 'Title | what it sends'."""
    buttons: list[Any] = []
    for line in text.splitlines():
        title, sep, payload = (part.strip() for part in line.partition(BUTTON_SEPARATOR))
        if not title and not payload:
            continue
        buttons.append(
            {"title": title, "payload": payload} if sep and payload and payload != title else title
        )
    return buttons


def buttons_text(buttons: list[Any]) -> str:
    """The editor's text for a question's buttons (parse_buttons reads it back)."""
    lines = []
    for button in buttons:
        if isinstance(button, dict):
            payload = button.get("payload")
            lines.append(
                f"{button['title']} {BUTTON_SEPARATOR} {payload}" if payload else str(button["title"])
            )
        else:
            lines.append(str(button))
    return "\n".join(lines)


def _field(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name) or "").replace("\r\n", "\n").strip()


def draft_text(text: str, playbook: Playbook, form: Mapping[str, Any]) -> tuple[str, list[str], list[str]]:
    """The playbook text with the form's questions; problems found in the form; the keys in the new order."""
    specs = {spec.key: question_data(spec) for spec in playbook.question_registry()}
    rows: list[tuple[float, int, dict[str, Any]]] = []
    problems: list[str] = []
    index = 0
    while f"key-{index}" in form:
        key = _field(form, f"key-{index}")
        if key not in specs:
            problems.append(f"row {index + 1}: unknown question {key!r}")
            index += 1
            continue
        data = dict(specs[key])
        data["ask"] = _field(form, f"ask-{index}")
        data["why"] = _field(form, f"why-{index}")
        for optional in ("reprompt",):
            value = _field(form, f"{optional}-{index}")
            if value:
                data[optional] = value
            else:
                data.pop(optional, None)
        if not data.get("buttons_from"):
            buttons = parse_buttons(_field(form, f"buttons-{index}"))
            if buttons:
                data["buttons"] = buttons
            else:
                data.pop("buttons", None)
        if form.get(f"enabled-{index}"):
            data.pop("enabled", None)
        else:
            data["enabled"] = False
        data["variants"] = [
            {**variant, "ask": _field(form, f"variant-{index}-{variant['id']}") or variant["ask"]}
            for variant in data.get("variants") or []
        ]
        if not data["variants"]:
            data.pop("variants")
        try:
            order = float(_field(form, f"order-{index}") or index + 1)
        except ValueError:
            problems.append(f"{key}: the order must be a number")
            order = index + 1
        rows.append((order, index, data))
        index += 1
    rows.sort(key=lambda row: (row[0], row[1]))
    keys = [data["key"] for _, _, data in rows]
    return with_questions(text, [data for _, _, data in rows]), problems, keys


def readable_problems(err: PlaybookError, keys: list[str]) -> list[str]:
    """The playbook's problems, one line each, naming the question by key ("questions[6] (budget): …")."""
    out = []
    for problem in err.problems:
        found = re.match(r"^questions\[(\d+)\]", problem)
        if found and int(found.group(1)) < len(keys):
            problem = f"{keys[int(found.group(1))]}{problem[found.end() :]}"
        out.append(problem)
    return out


def rows_for(playbook: Playbook) -> list[dict[str, Any]]:
    """The editor's rows: each question as written, and its buttons as the visitor sees them."""
    registry = playbook.question_registry()
    out = []
    for position, spec in enumerate(registry, start=1):
        derived = spec.buttons_from is not None
        out.append(
            {
                "key": spec.key,
                "label": spec.label,
                "order": position,
                "ask": spec.ask,
                "why": spec.why,
                "reprompt": spec.reprompt or "",
                "enabled": spec.enabled,
                "when": spec.when,
                "buttons": ""
                if derived
                else buttons_text(
                    [b.dict(exclude_none=True) if hasattr(b, "dict") else b for b in spec.buttons]
                ),
                "derived": ", ".join(b.title for b in registry.buttons(spec.key)) if derived else None,
                "buttons_from": spec.buttons_from,
                "variants": [{"id": v.id, "ask": v.ask, "weight": v.weight} for v in spec.variants],
            }
        )
    return out


def rows_from_form(playbook: Playbook, form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The editor's rows as the form has them (a draft that failed validation is shown as typed)."""
    rows = {row["key"]: row for row in rows_for(playbook)}
    index = 0
    while f"key-{index}" in form:
        row = rows.get(_field(form, f"key-{index}"))
        if row is not None:
            for name in ("ask", "why", "reprompt", "order"):
                row[name] = _field(form, f"{name}-{index}")
            if not row["buttons_from"]:
                row["buttons"] = _field(form, f"buttons-{index}")
            row["enabled"] = bool(form.get(f"enabled-{index}"))
            for variant in row["variants"]:
                variant["ask"] = _field(form, f"variant-{index}-{variant['id']}") or variant["ask"]
        index += 1

    def position(row: dict[str, Any]) -> float:
        try:
            return float(row["order"])
        except (TypeError, ValueError):
            return float("inf")

    return sorted(rows.values(), key=position)


def _page(
    request: web.Request,
    *,
    playbook: Playbook,
    base: str,
    rows: list[dict[str, Any]] | None = None,
    status: int = 200,
    problems: list[str] | None = None,
    notice: str | None = None,
    result: dict[str, Any] | None = None,
) -> web.Response:
    console: Console = request.app[CONSOLE]
    with console.sessions() as session:
        history = _history(session)[:5]
    return _render(
        request,
        "console/questions.html",
        status,
        title=TITLE,
        rows=rows if rows is not None else rows_for(playbook),
        base=base,
        problems=problems or [],
        notice=notice,
        result=result,
        history=history,
        max_title=MAX_TITLE,
        variant_ids=sorted(
            {v.id for q in playbook.questions for v in q.variants}
            | {v.id for v in playbook.greeting.variants}
        ),
    )


async def questions_page(request: web.Request) -> web.Response:
    """The questions of the playbook on disk, as an editable form, with the preview pane."""
    console: Console = request.app[CONSOLE]
    text = console.playbook_path.read_text(encoding="utf-8")
    return _page(request, playbook=parsed(text, console.playbook_path.name), base=fingerprint(text))


@functools.lru_cache(maxsize=8)
def parsed(text: str, source: str) -> Playbook:
    """parse_playbook, remembered for the last texts (the preview posts the same draft again and again)."""
    return parse_playbook(text, source=source)


@dataclass(frozen=True)
class Draft:
    """The editor's form applied to the playbook on disk."""

    text: str
    playbook: Playbook | None  # None: not valid (see problems)
    problems: list[str]
    current: Playbook  # the playbook on disk it was made from
    base: str  # the fingerprint of the text on disk


def _draft(console: Console, form: Mapping[str, Any]) -> Draft:
    text = console.playbook_path.read_text(encoding="utf-8")
    current = parsed(text, console.playbook_path.name)
    draft, problems, keys = draft_text(text, current, form)
    if problems:
        return Draft(draft, None, problems, current, fingerprint(text))
    try:
        return Draft(draft, parsed(draft, "draft"), [], current, fingerprint(text))
    except PlaybookError as err:
        return Draft(draft, None, readable_problems(err, keys), current, fingerprint(text))


async def questions_post(request: web.Request) -> web.Response:
    """Check the edited questions (validation, what-if, preview), or save them."""
    console: Console = request.app[CONSOLE]
    form = await request.post()
    made = _draft(console, form)
    text, draft, problems, base, current = made.text, made.playbook, made.problems, made.base, made.current
    if draft is None:
        return _page(
            request,
            playbook=current,
            base=str(form.get("base") or base),
            rows=rows_from_form(current, form),
            status=400,
            problems=problems,
        )
    if str(form.get("action")) == "save":
        if str(form.get("base") or "") != base:
            return _page(
                request,
                playbook=current,
                base=str(form.get("base") or ""),
                rows=rows_from_form(current, form),
                status=409,
                problems=[
                    "The playbook was changed since you opened this page (in another tab, the playbook editor "
                    "or by someone else). Nothing was saved: reload the page to edit the newest version."
                ],
            )
        result = save_playbook(
            console.sessions,
            text=text,
            playbook=draft,
            path=console.playbook_path,
            applied_by=request["user"]["u"],
            current=current,
        )
        return _page(
            request,
            playbook=draft,
            base=fingerprint(text),
            notice=f"Saved {draft.version}: the assistant uses it from the next message. "
            "The previous version is kept in the history.",
            result=result.to_dict(limit=50),
        )
    with console.sessions() as session:
        result = what_if(session, draft, current=current)
    return _page(
        request,
        playbook=draft,
        base=str(form.get("base") or base),
        notice="The draft is valid. Nothing is saved until you press Save.",
        result=result.to_dict(limit=50),
    )


async def questions_preview(request: web.Request) -> web.Response:
    """JSON for the preview pane: the draft's conversation with the visitor's messages, or its problems."""
    from bot.preview import replay  # the parsers load on first use (not when the web app starts)

    console: Console = request.app[CONSOLE]
    form = await request.post()
    try:
        messages = json.loads(str(form.get("messages") or "[]"))
    except ValueError:
        raise web.HTTPBadRequest(text="messages must be a JSON list of strings") from None
    if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
        raise web.HTTPBadRequest(text="messages must be a JSON list of strings")
    made = _draft(console, form)
    draft = made.playbook
    if draft is None:
        return web.json_response({"ok": False, "problems": made.problems, "turns": []})
    variant = str(form.get("variant") or "") or None
    loop = asyncio.get_running_loop()
    turns = await loop.run_in_executor(
        None, lambda: replay(draft, messages, today=date.today(), variant=variant)
    )
    return web.json_response({"ok": True, "problems": [], "turns": [turn.to_dict() for turn in turns]})


def add_question_routes(app: web.Application) -> None:
    """Mount the question editor and its preview (marketing only: the console's access rules)."""
    app.router.add_get("/console/questions", questions_page)
    app.router.add_post("/console/questions", questions_post)
    app.router.add_post("/console/questions/preview", questions_preview)


__all__ = ["add_question_routes", "buttons_text", "draft_text", "parse_buttons", "readable_problems"]
