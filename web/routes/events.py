"""Public event and news URLs: AS2 objects at their ids, HTML pages, iCalendar and Atom feeds,
and the "from the network" page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.errors import Gone, NotFound
from directory.event_document import resolve_place
from directory.event_feeds import event_calendar, schema_org_event, space_atom, space_calendar
from directory.event_text import event_when, language_of
from directory.richtext import plain_text, render_markdown
from directory.space_schema import Space

from ..i18n import N_
from ..negotiation import activity_response, json_bytes_response, wants_activity_json
from ..pages import pages_of
from ..services import Services, services_of

__all__ = ["routes", "space_events_context"]

ICS = "text/calendar; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"


def _error(request: Request, title: str, message: str, status_code: int) -> Response:
    """An error page, its texts (marked with ``N_``) in the visitor's language."""
    pages = pages_of(request)
    translate = pages.gettext(request)
    return pages.render(request, "error.html", {"title": translate(title), "message": translate(message)},
                        status_code=status_code)


def _not_found(request: Request, message: str) -> Response:
    return _error(request, N_("Not found"), message, 404)


async def _object_or_page(request: Request, what: str, page: Callable[[Request], Awaitable[Response]],
                          document: Callable[[], Awaitable[Any]]) -> Response:
    """An event's or post's id: its ActivityStreams document for peers, its page for browsers."""
    if not wants_activity_json(request):
        return await page(request)
    found = await document()
    if found is None:
        body = orjson.dumps({"error": "not_found", "detail": f"no such {what}"})
        return json_bytes_response(body, status_code=404, content_type="application/json")
    return activity_response(found.document, status_code=found.status)


async def event_object(request: Request) -> Response:
    username, event_id = request.path_params["username"], request.path_params["event_id"]
    return await _object_or_page(request, "event", event_page,
                                 lambda: services_of(request).events.object_document(username, event_id))


async def note_object(request: Request) -> Response:
    username, note_id = request.path_params["username"], request.path_params["note_id"]
    return await _object_or_page(request, "post", note_page,
                                 lambda: services_of(request).posts.object_document(username, note_id))


async def event_page(request: Request) -> Response:
    services = services_of(request)
    username = request.path_params["username"]
    pages = pages_of(request)
    try:
        view = await services.events.get(username, request.path_params["event_id"])
        space_view = await services.spaces.get(username)
    except Gone:
        return _error(request, N_("Deleted"), N_("This event was deleted."), 410)
    except NotFound:
        return _not_found(request, N_("No such event."))
    space = space_view.space
    event = view.event
    place = resolve_place(event, space)
    description_html = render_markdown(event.description or "")
    # In the visitor's language (the federated summary uses the space's own language instead).
    when = event_when(event.starts_at, event.ends_at, event.timezone, pages.language(request))
    json_ld = orjson.dumps(schema_org_event(view, space, organizer_url=space_view.profile_url)).decode()
    context = {
        "view": view, "event": event, "space": space, "space_view": space_view, "when": when,
        "place": place, "place_text": place.text(), "description_html": description_html,
        "description": (plain_text(description_html)[:300] or when),
        "json_ld": json_ld.replace("</", "<\\/"),
    }
    return pages.render(request, "event.html", context)


async def note_page(request: Request) -> Response:
    services = services_of(request)
    username = request.path_params["username"]
    pages = pages_of(request)
    try:
        view = await services.posts.get(username, request.path_params["note_id"])
        space_view = await services.spaces.get(username)
    except Gone:
        return _error(request, N_("Deleted"), N_("This post was deleted."), 410)
    except NotFound:
        return _not_found(request, N_("No such post."))
    return pages.render(request, "note.html", {"view": view, "space_view": space_view,
                                               "description": plain_text(view.content_html)[:300]})


async def calendar_feed(request: Request) -> Response:
    body = await space_calendar(services_of(request).events, request.path_params["username"])
    return Response(body, media_type=ICS, headers={"Cache-Control": "max-age=300, public"})


async def event_ics(request: Request) -> Response:
    username = request.path_params["username"]
    event_id = request.path_params["event_id"]
    body = await event_calendar(services_of(request).events, username, event_id)
    return Response(body, media_type=ICS,
                    headers={"Content-Disposition": f'attachment; filename="{username}-{event_id}.ics"'})


async def atom(request: Request) -> Response:
    services = services_of(request)
    body = await space_atom(services.events, services.posts, request.path_params["username"])
    return Response(body, media_type=ATOM, headers={"Cache-Control": "max-age=300, public"})


async def network_page(request: Request) -> Response:
    services = services_of(request)
    events = await services.received.network_events()
    notes = await services.received.network_notes()
    return pages_of(request).render(request, "network.html", {"events": events, "notes": notes})


async def space_events_context(services: Services, username: str, space: Space) -> dict[str, Any]:
    """What a space's profile page shows of its events and news."""
    upcoming, past = await services.events.timeline(username, services.ctx.clock.now(), limit=20)
    language = language_of(space.languages)

    def line(view: Any) -> dict[str, Any]:
        e = view.event
        return {"view": view, "when": event_when(e.starts_at, e.ends_at, e.timezone, language)}

    return {
        "upcoming_events": [line(v) for v in upcoming],
        "past_events": [line(v) for v in past],
        "news": await services.posts.recent(username, limit=10),
        "calendar_url": services.events.object_urls.calendar(username),
        "atom_url": services.events.object_urls.atom_feed(username),
    }


routes = [
    Route("/users/{username}/events/{event_id:int}", event_object, methods=["GET"]),
    Route("/users/{username}/notes/{note_id:int}", note_object, methods=["GET"]),
    Route("/@{username}/events/{event_id:int}", event_page, methods=["GET"]),
    Route("/@{username}/events/{event_id:int}.ics", event_ics, methods=["GET"]),
    Route("/@{username}/notes/{note_id:int}", note_page, methods=["GET"]),
    Route("/@{username}/events.ics", calendar_feed, methods=["GET"]),
    Route("/@{username}/feed.atom", atom, methods=["GET"]),
    Route("/network", network_page, methods=["GET"]),
]
