"""Nurture templates: Jinja2 in a sandbox, autoescaped HTML plus a plain-text part.

Marketing writes the body as plain text with merge fields ({{ first_name }}); the HTML
part is the same text with every value escaped, paragraphs kept, and the links listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

_text_env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
_html_env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


def check_template(source: str, allowed: Iterable[str]) -> str | None:
    """None when the template compiles and uses only allowed merge fields, else the problem."""
    try:
        parsed = _text_env.parse(source)
    except TemplateSyntaxError as err:
        return f"template error on line {err.lineno}: {err.message}"
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(allowed))
    if unknown:
        return f"unknown merge field {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
    return None


@dataclass(frozen=True)
class Rendered:
    """A rendered nurture email."""

    subject: str
    text: str
    html: str


def render(
    subject: str, body: str, links: Iterable[Mapping[str, str]], context: Mapping[str, Any]
) -> Rendered:
    """Render one step for one lead; `context` holds the merge fields."""
    links = list(links)
    values = {**context, "links": links}
    subject_text = " ".join(_text_env.from_string(subject).render(values).split())
    text = _text_env.from_string(body).render(values).strip()
    if links:
        text += "\n\n" + "\n".join(f"{link['title']}: {link['url']}" for link in links)
    text += f"\n\n--\nUnsubscribe with one click: {context['unsubscribe_url']}\n"
    body_html = _html_env.from_string(body).render(values).strip()
    paragraphs = Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(p.split("\n")))
        for p in Markup(body_html).split("\n\n")
        if p.strip()
    )
    link_items = Markup("").join(
        Markup('<li><a href="{}">{}</a></li>').format(link["url"], link["title"]) for link in links
    )
    html = Markup(
        '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">{}{}'
        '<p style="color:#666;font-size:12px"><a href="{}">Unsubscribe</a> with one click.</p></body></html>'
    ).format(
        paragraphs, Markup("<ul>{}</ul>").format(link_items) if links else "", context["unsubscribe_url"]
    )
    return Rendered(subject_text, text, str(html))


def escape_text(value: str) -> str:
    """HTML-escape a value (for callers building HTML around rendered parts)."""
    return str(escape(value))
