"""The directory for people: search page with map, space and event pages, upcoming events."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.search_params import InvalidParameter
from directory.vocabulary import AMENITY_LABELS, PRICE_KIND_LABELS

from .directory_api import listings_of, next_url, page_query, query_params
from ..i18n import N_
from ..pages import pages_of
from ..services import services_of

__all__ = ["routes"]

# Amenities offered as checkboxes on the search form (the API accepts every code).
FORM_AMENITIES = ("wifi", "meeting_room", "phone_booth", "kitchen", "quiet_zone", "24_7_access", "parking",
                  "bike_parking", "wheelchair_accessible", "step_free_entrance", "accessible_toilet", "pet_friendly")


def _map_points(items: list[dict[str, object]]) -> str:
    points = [
        {"name": item["name"], "lat": item["geo"]["lat"], "lon": item["geo"]["lon"],  # type: ignore[index]
         "href": f"/directory/space?{page_query({'actor': [str(item['actor_id'])]})}"}
        for item in items if item.get("geo")
    ]
    # Embedded in a <script type="application/json">: keep "</" out of it.
    return orjson.dumps(points).decode().replace("</", "<\\/")


def _offered(codes: tuple[str, ...], asked: list[str], normalize: Callable[[str], str]) -> list[str]:
    """A drop-down's codes: what is listed, plus what the address asks for (so it shows as chosen)."""
    return list(dict.fromkeys([*codes, *(normalize(code) for code in asked if code)]))


def _not_listed(request: Request, message: str) -> Response:
    pages = pages_of(request)
    translate = pages.gettext(request)
    return pages.render(request, "error.html", {"title": translate(N_("Not found")), "message": translate(message)},
                        status_code=404)


async def directory_page(request: Request) -> Response:
    pages, listings = pages_of(request), listings_of(request)
    params = query_params(request)
    choices = await listings.choices()
    context: dict[str, object] = {
        "params": params, "amenity_codes": FORM_AMENITIES, "price_kinds": tuple(PRICE_KIND_LABELS),
        "country_choices": _offered(choices.space_countries, params.get("country", []), str.upper),
        "language_choices": _offered(choices.languages, params.get("language", []), str.lower),
        "all_amenities": tuple(AMENITY_LABELS), "map_tiles": services_of(request).settings.map_tiles,
        "items": [], "next": None, "error": None, "map_points": "[]",
        # A hub's footer says how a space leaves it (README, "Directory").
        "hub_handle": f"@directory@{services_of(request).settings.domain}" if services_of(request).settings.directory
        else None,
    }
    status = 200
    try:
        page = await listings.spaces(listings.space_query(params))
    except InvalidParameter as exc:
        context["error"], status = exc, 400
    else:
        items = [hit.to_json() for hit in page.items]
        next_link = next_url(request, page.next_cursor)
        context.update(items=items, map_points=_map_points(items),
                       next=next_link.split(request.url.path, 1)[1] if next_link else None)
    return pages.render(request, "directory.html", context, status_code=status)


async def directory_space(request: Request) -> Response:
    pages = pages_of(request)
    actor_id = request.query_params.get("actor", "")
    hit = await listings_of(request).space(actor_id) if actor_id else None
    if hit is None:
        return _not_listed(request, N_("This space is not listed."))
    events = await listings_of(request).events(listings_of(request).event_query({"space": [actor_id]}))
    context = {"space": hit.to_json(), "open_now": hit.is_open(), "events": [e.to_json() for e in events.items],
               "map_tiles": services_of(request).settings.map_tiles,
               "map_points": _map_points([hit.to_json()])}
    return pages.render(request, "directory_space.html", context)


async def directory_events_page(request: Request) -> Response:
    pages, listings = pages_of(request), listings_of(request)
    params = query_params(request)
    choices = await listings.choices()
    context: dict[str, object] = {"params": params, "items": [], "next": None, "error": None,
                                  "feed_query": page_query(params),
                                  "country_choices": _offered(choices.event_countries, params.get("country", []),
                                                              str.upper)}
    status = 200
    try:
        page = await listings.events(listings.event_query(params))
    except InvalidParameter as exc:
        context["error"], status = exc, 400
    else:
        next_link = next_url(request, page.next_cursor)
        context.update(items=[hit.to_json() for hit in page.items],
                       next=next_link.split(request.url.path, 1)[1] if next_link else None)
    return pages.render(request, "directory_events.html", context, status_code=status)


async def directory_event(request: Request) -> Response:
    pages = pages_of(request)
    object_id = request.query_params.get("id", "")
    hit = await listings_of(request).event(object_id) if object_id else None
    if hit is None:
        return _not_listed(request, N_("This event is not listed."))
    return pages.render(request, "directory_event.html", {"event": hit.to_json()})


routes = [
    Route("/directory", directory_page),
    Route("/directory/space", directory_space),
    Route("/directory/events", directory_events_page),
    Route("/directory/event", directory_event),
]
