"""Actor URLs: ActivityStreams JSON for peers, the profile page for people."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.actor_documents import local_actor_document
from directory.errors import Gone, NotFound
from directory.richtext import plain_text, render_markdown
from directory.space_text import address_line, amenity_labels, opening_hours_lines, price_lines, schema_org_place

from ..i18n import N_
from ..negotiation import json_bytes_response, wants_activity_json
from ..pages import pages_of
from ..services import services_of
from .events import space_events_context

__all__ = ["routes"]


async def actor(request: Request) -> Response:
    username = request.path_params["username"]
    if wants_activity_json(request):
        return await _actor_json(request, username)
    return await profile_page(request)


async def _actor_json(request: Request, username: str) -> Response:
    services = services_of(request)

    async def build() -> bytes | None:
        found = await local_actor_document(services.ctx, username)
        if found is None:
            return None
        # The status travels in the first byte so 410s are cached like 200s.
        return (b"G" if found.status == 410 else b"A") + orjson.dumps(found.document)

    cached = await services.documents.get_or_build(f"actor:{username}", build)
    if cached is None:
        return json_bytes_response(b'{"error":"not_found","detail":"no such actor"}', status_code=404,
                                   content_type="application/json")
    status = 410 if cached[:1] == b"G" else 200
    return json_bytes_response(cached[1:], status_code=status, cache_seconds=60 if status == 200 else 0)


async def profile_page(request: Request) -> Response:
    services = services_of(request)
    username = request.path_params["username"]
    pages = pages_of(request)
    translate, lang = pages.gettext(request), pages.language(request)
    try:
        view = await services.spaces.get(username)
    except Gone:
        return pages.render(request, "gone.html", {}, status_code=410)
    except NotFound:
        if await local_actor_document(services.ctx, username) is not None:
            # A service actor (instance, directory): no profile page, but not an error for peers.
            return pages.render(request, "error.html", {"title": username, "message": translate(N_("A service actor."))})
        return pages.render(request, "error.html", {
            "title": translate(N_("Not found")), "message": translate(N_("No space named %(name)s.")) % {"name": username},
        }, status_code=404)
    space = view.space
    summary_html = render_markdown(space.summary) if space.summary else ""
    description = plain_text(summary_html)[:300] if summary_html else address_line(space)
    json_ld = orjson.dumps(
        schema_org_place(space, url=view.profile_url, image=view.icon["url"] if view.icon else None)
    ).decode().replace("</", "<\\/")
    context = {
        "view": view,
        "space": space,
        "summary_html": summary_html,
        "description": description,
        "address_line": address_line(space),
        "hours": opening_hours_lines(space, lang),
        "prices": price_lines(space, lang),
        "amenities": amenity_labels(space, lang),
        "json_ld": json_ld,
    }
    # Issue 4: upcoming and past events, news, calendar and feed links.
    context.update(await space_events_context(services, username, space))
    return pages.render(request, "space.html", context)


routes = [
    Route("/users/{username}", actor),
    Route("/@{username}", profile_page),
]
