"""The web app (aiohttp): the widget and demo site, meeting links, unsubscribe, opt-in, transcripts.

Links carry a signed, expiring token; a GET only shows a page, the change happens on
the POST of its form (mail scanners that prefetch links change nothing).

Every response carries security headers (`security_headers`): a Content-Security-Policy
with no inline code allowed (styles and the console's script are files under /assets),
no framing (frame-ancestors 'none', X-Frame-Options DENY: the signed-link pages and the
console have one-click buttons), nosniff, and no Referer from pages whose URL holds a
token. The widget script is embedded on other sites as a script, never framed, so none
of this limits it there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape
from yarl import URL

from bot.booking.display import when
from bot.booking.service import BookingError, BookingService, SlotTaken
from bot.links import LinkError, Links
from bot.nurture.service import NurtureService
from bot.playbook import Playbook
from bot.settings import PROJECT_ROOT
from bot.store.meetings import utc
from bot.transcripts import Line

logger = logging.getLogger(__name__)

_env = Environment(loader=PackageLoader("bot.web", "templates"), autoescape=select_autoescape(["html"]))
_env.filters["when"] = when

SERVICE: web.AppKey[BookingService] = web.AppKey("service", BookingService)
LINKS: web.AppKey[Links] = web.AppKey("links", Links)
NURTURE: web.AppKey[NurtureService] = web.AppKey("nurture", NurtureService)
SITE: web.AppKey[Site] = web.AppKey("site", object)  # type: ignore[arg-type]
TRANSCRIPTS: web.AppKey[Callable[[str], list[Line]]] = web.AppKey("transcripts", Callable)  # type: ignore[arg-type]


def _page(template: str, status: int = 200, **context: Any) -> web.Response:
    html = _env.get_template(template).render(**context)
    return web.Response(text=html, status=status, content_type="text/html")


def _link_problem(err: LinkError) -> web.Response:
    if err.reason == "expired":
        return _page(
            "message.html",
            410,
            title="This link has expired",
            text="For your security, links stop working after a while. Reply to the invite email "
            "or chat with us again and we'll sort it out.",
        )
    return _page(
        "message.html",
        403,
        title="This link is not valid",
        text="The link may have been cut off or changed. Please open it from the email again.",
    )


def _meeting_uid(request: web.Request) -> str:
    return str(request.app[LINKS].read("meeting", request.match_info["token"]))


async def health(_: web.Request) -> web.Response:
    """Liveness for make run and load balancers."""
    return web.json_response({"status": "ok"})


async def cancel_page(request: web.Request) -> web.Response:
    """Show the meeting and a cancel button."""
    try:
        uid = _meeting_uid(request)
        meeting, _ = request.app[SERVICE].reschedule_options(uid)
    except LinkError as err:
        return _link_problem(err)
    except BookingError:
        return _page(
            "message.html", 404, title="Meeting not found", text="This meeting does not exist any more."
        )
    return _page("cancel.html", meeting=meeting, start=utc(meeting.start_at), end=utc(meeting.end_at))


async def cancel(request: web.Request) -> web.Response:
    """Cancel the meeting (idempotent)."""
    try:
        uid = _meeting_uid(request)
        changed = request.app[SERVICE].cancel(uid, by="visitor")
    except LinkError as err:
        return _link_problem(err)
    except BookingError:
        return _page(
            "message.html", 404, title="Meeting not found", text="This meeting does not exist any more."
        )
    text = (
        "Your meeting is cancelled. We've let the team know and sent you a cancellation for your calendar."
        if changed
        else "This meeting was already cancelled."
    )
    return _page("message.html", title="Meeting cancelled", text=text)


async def reschedule_page(request: web.Request, notice: str | None = None, status: int = 200) -> web.Response:
    """Show the free times of the same rep."""
    try:
        uid = _meeting_uid(request)
        meeting, slots = request.app[SERVICE].reschedule_options(uid)
    except LinkError as err:
        return _link_problem(err)
    except BookingError:
        return _page(
            "message.html", 404, title="Meeting not found", text="This meeting does not exist any more."
        )
    if meeting.status != "booked":
        return _page(
            "message.html",
            409,
            title="Meeting cancelled",
            text="This meeting was cancelled. Chat with us again to book a new one.",
        )
    return _page(
        "reschedule.html",
        status,
        meeting=meeting,
        start=utc(meeting.start_at),
        end=utc(meeting.end_at),
        slots=slots[:40],
        zone=meeting.visitor_time_zone,
        notice=notice,
    )


async def reschedule(request: web.Request) -> web.Response:
    """Move the meeting to the chosen slot."""
    form = await request.post()
    choice = str(form.get("slot") or "")
    try:
        uid = _meeting_uid(request)
        if not choice:
            return await reschedule_page(request, notice="Please pick a time.", status=400)
        moved = request.app[SERVICE].reschedule(uid, choice, by="visitor")
    except LinkError as err:
        return _link_problem(err)
    except SlotTaken:
        return await reschedule_page(
            request, notice="That time was just taken. Here are the times still free.", status=409
        )
    except BookingError as err:
        return _page(
            "message.html", 409, title="Could not move the meeting", text=str(err).capitalize() + "."
        )
    meeting, _ = request.app[SERVICE].reschedule_options(uid)
    return _page(
        "message.html",
        title="Meeting moved",
        text=f"Your meeting with {moved.rep_name} is now on "
        f"{when(moved.start, meeting.visitor_time_zone, moved.end)}. An updated invite is on its way.",
    )


async def unsubscribe_page(request: web.Request) -> web.Response:
    """Show a one-button unsubscribe page (a GET never unsubscribes: mail scanners open links)."""
    try:
        request.app[LINKS].read("unsubscribe", request.match_info["token"])
    except LinkError as err:
        return _link_problem(err)
    return _page("unsubscribe.html")


async def unsubscribe(request: web.Request) -> web.Response:
    """One-click unsubscribe (RFC 8058 POST from the mail client, or the page's button)."""
    try:
        lead_id = int(request.app[LINKS].read("unsubscribe", request.match_info["token"]))
    except LinkError as err:
        return _link_problem(err)
    changed = request.app[NURTURE].unsubscribe(lead_id)
    text = (
        "You're unsubscribed. You won't get any more of these emails."
        if changed
        else "You were already unsubscribed. You won't get any more of these emails."
    )
    return _page("message.html", title="Unsubscribed", text=text)


async def confirm_page(request: web.Request) -> web.Response:
    """Double opt-in: a page with the confirm button."""
    try:
        request.app[LINKS].read("confirm", request.match_info["token"])
    except LinkError as err:
        return _link_problem(err)
    return _page("confirm.html")


async def confirm(request: web.Request) -> web.Response:
    """Double opt-in confirmed."""
    try:
        enrollment_id = int(request.app[LINKS].read("confirm", request.match_info["token"]))
    except LinkError as err:
        return _link_problem(err)
    request.app[NURTURE].confirm(enrollment_id)
    return _page(
        "message.html",
        title="Thanks, you're subscribed",
        text="You'll get the emails you asked for; every one has a one-click unsubscribe.",
    )


async def transcript(request: web.Request) -> web.Response:
    """A conversation transcript for sales (signed link from the lead brief)."""
    try:
        sender_id = str(request.app[LINKS].read("transcript", request.match_info["token"]))
    except LinkError as err:
        return _link_problem(err)
    lines = request.app[TRANSCRIPTS](sender_id)
    return _page("transcript.html", lines=lines)


@dataclass(frozen=True)
class Site:
    """The widget's server and the demo website's settings."""

    rasa_url: str
    allowed_origins: tuple[str, ...]
    widget_config: dict[str, Any]
    company: str
    product: str
    plans: tuple[dict[str, str], ...] = ()
    # (path, title) of the pages the playbook's links point to (privacy notice, resources): the
    # demo site serves each, so the assistant's answers and the nurture emails link real pages.
    linked: tuple[tuple[str, str], ...] = ()
    privacy_path: str = ""
    consent_text: str = ""


#: Faces without a photo: initials on one of these (white text on each passes WCAG AA).
FACE_COLOURS = ("#10233f", "#0f6e55", "#7a2e8a", "#9a3412", "#1e40af", "#6d28d9")


def widget_presence(playbook: Playbook) -> dict[str, Any]:
    """Who the widget shows in its header (the playbook's `website.widget`): avatar or team faces, reply time."""
    look = playbook.website.widget
    reps = {rep.name: rep for rep in playbook.booking.reps}
    team = []
    for index, name in enumerate(look.team[:3]):
        initials = "".join(word[0] for word in name.split()[:2]).upper()
        team.append(
            {
                "name": name,
                "initials": initials,
                "photo": reps[name].photo_url,
                "colour": FACE_COLOURS[index % len(FACE_COLOURS)],
            }
        )
    return {
        "company": playbook.company.name,
        "avatar": look.avatar_url,
        "team": team,
        "reply_time": look.reply_time,
    }


#: First path segments of the web app's own routes: a playbook link there gets no demo page.
RESERVED = frozenset(
    {"assets", "console", "crm", "dev", "healthz", "meetings", "nurture", "outcomes", "transcripts", "unsubscribe",
     "vendor", "widget", "widget.js"}
)  # fmt: skip


def site_pages(playbook: Playbook) -> tuple[tuple[str, str], ...]:
    """The pages the demo site serves for the playbook's links (those written as paths)."""
    return tuple(
        (path, title)
        for path, title in playbook.linked_paths().items()
        if path not in DEMO_PAGES and path != "/resources" and path.split("/")[1] not in RESERVED
    )


STATIC = Path(__file__).parent / "static"
ASSETS = Path(__file__).parent / "assets"  # the pages' own CSS and the console's script
SOCKET_IO = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
CHART_JS = PROJECT_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
DEMO_PAGES = {
    "/": ("demo/home.html", "Home"),
    "/pricing": ("demo/pricing.html", "Pricing"),
    "/blog/qualifying-website-leads": ("demo/blog.html", "Why most website leads never get a reply"),
    "/careers": ("demo/careers.html", "Careers"),
    "/contact": ("demo/contact.html", "Contact"),
}


def _cors(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    allowed = request.app[SITE].allowed_origins
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


async def widget_js(request: web.Request) -> web.StreamResponse:
    """The widget script (one tag on any page)."""
    response = web.FileResponse(
        STATIC / "banter-widget.js",
        headers={
            "Content-Type": "application/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=300",
        },
    )
    return _cors(request, response)


async def socket_io_js(request: web.Request) -> web.StreamResponse:
    """The pinned socket.io client from npm (served here: no CDN)."""
    if not SOCKET_IO.exists():
        return web.Response(status=503, text="socket.io client missing: run `make install` (npm ci)")
    response = web.FileResponse(
        SOCKET_IO,
        headers={
            "Content-Type": "application/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=86400",
        },
    )
    return _cors(request, response)


async def chart_js(request: web.Request) -> web.StreamResponse:
    """Chart.js for the console, pinned from npm and served here."""
    if not CHART_JS.exists():
        return web.Response(status=503, text="Chart.js missing: run `make install` (npm ci)")
    return web.FileResponse(CHART_JS, headers={"Content-Type": "application/javascript; charset=utf-8"})


async def widget_config(request: web.Request) -> web.StreamResponse:
    """Pages that count for signals and the proactive-open rules, from the playbook."""
    return _cors(request, web.json_response(request.app[SITE].widget_config))


async def demo_page(request: web.Request) -> web.Response:
    """A page of the demo website, with the widget embedded."""
    site = request.app[SITE]
    linked = dict(site.linked)
    if request.path in DEMO_PAGES:
        template, title = DEMO_PAGES[request.path]
    elif request.path == "/resources":
        template, title = "demo/resources.html", "Resources"
    else:
        template, title = "demo/linked.html", linked[request.path]
    return _page(
        template,
        title=title,
        company=site.company,
        product=site.product,
        widget_server=site.rasa_url,
        plans=site.plans,
        privacy=request.path == site.privacy_path,
        privacy_path=site.privacy_path if site.privacy_path.startswith("/") else "",
        resources=[(path, name) for path, name in site.linked if path != site.privacy_path],
        consent_text=site.consent_text,
    )


def _demo_paths(site: Site) -> set[str]:
    return {*DEMO_PAGES, "/resources", *dict(site.linked)}


DEV_WEBHOOKS: web.AppKey[Path] = web.AppKey("dev_webhooks", Path)


async def dev_webhook(request: web.Request) -> web.Response:
    """Development stand-in for a Slack or CRM webhook: each call is appended to var/webhooks/<target>.jsonl."""
    target = request.match_info["target"]
    if target not in ("slack", "generic"):
        raise web.HTTPNotFound()
    body = await request.text()
    folder = request.app[DEV_WEBHOOKS]
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "headers": {k: v for k, v in request.headers.items() if k.lower().startswith("x-banter")},
        "body": json.loads(body or "null"),
    }
    with open(folder / f"{target}.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    return web.json_response({"ok": True})


# No inline script or style anywhere, nothing framed, forms post only here.
CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def demo_csp(rasa_url: str) -> str:
    """The demo site's policy: the widget talks to the Rasa server (socket.io: HTTP and WebSocket).

    The widget injects its own stylesheet (a <style> element coloured from data-accent),
    hence 'unsafe-inline' for styles on these pages only; scripts stay 'self'.
    """
    origin = URL(rasa_url).origin()
    socket = origin.with_scheme("wss" if origin.scheme == "https" else "ws")
    return (
        f"default-src 'self'; connect-src 'self' {origin} {socket}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Set on every response, errors and files included (aiohttp's on_response_prepare)."""
    site = request.app.get(SITE)
    demo = site is not None and request.path in _demo_paths(site)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", demo_csp(site.rasa_url) if demo and site else CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # The demo site keeps the browser's default (the widget reads where a visitor came from);
    # elsewhere URLs can hold a signed token: never send them on.
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin" if demo else "no-referrer")
    if request.path.startswith("/console"):
        headers.setdefault("Cache-Control", "no-store")  # personal data: not kept in caches


def create_app(
    service: BookingService,
    links: Links,
    transcripts: Callable[[str], list[Line]],
    nurture: NurtureService,
    site: Site | None = None,
    dev_webhooks: Path | None = None,
    crm_secret: str | None = None,
) -> web.Application:
    """The web application with its collaborators passed in (`crm_secret`: the CRM outcome webhook's)."""
    from bot.web.outcomes import OutcomeWeb, add_outcome_routes  # it renders with this module's pages

    app = web.Application(client_max_size=64 * 1024)
    app.on_response_prepare.append(security_headers)  # type: ignore[arg-type]  # aiohttp 3.9's stub of Signal is off
    app.router.add_static("/assets/", ASSETS)
    if site is not None:
        app[SITE] = site
        app.router.add_get("/widget.js", widget_js)
        app.router.add_get("/vendor/socket.io.min.js", socket_io_js)
        app.router.add_get("/widget/config.json", widget_config)
        for path in sorted(_demo_paths(site)):
            app.router.add_get(path, demo_page)
    app[SERVICE] = service
    app[NURTURE] = nurture
    app[LINKS] = links
    app[TRANSCRIPTS] = transcripts
    app.router.add_get("/healthz", health)
    if dev_webhooks is not None:
        app[DEV_WEBHOOKS] = dev_webhooks
        app.router.add_post("/dev/webhooks/{target}", dev_webhook)
    app.router.add_get("/vendor/chart.umd.min.js", chart_js)
    app.router.add_get("/meetings/{token}/cancel", cancel_page)
    app.router.add_post("/meetings/{token}/cancel", cancel)
    app.router.add_get("/meetings/{token}/reschedule", reschedule_page)
    app.router.add_post("/meetings/{token}/reschedule", reschedule)
    app.router.add_get("/transcripts/{token}", transcript)
    app.router.add_get("/unsubscribe/{token}", unsubscribe_page)
    app.router.add_post("/unsubscribe/{token}", unsubscribe)
    app.router.add_get("/nurture/confirm/{token}", confirm_page)
    app.router.add_post("/nurture/confirm/{token}", confirm)
    add_outcome_routes(app, OutcomeWeb(service.sessions, service.playbook, links, crm_secret, service.now))
    return app
