"""Aggregated event feeds of the directory: iCalendar and Atom, filtered like the search.

Atom is written by `directory.space_feed` (the stdlib writer the spaces' own feeds use)."""

from __future__ import annotations

import html
from datetime import datetime, timezone

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.event_search import EventHit
from directory.search_params import InvalidParameter
from directory.space_feed import FeedEntry, atom_feed

from .directory_api import invalid_parameter, listings_of, query_params
from ..services import services_of

__all__ = ["routes"]

FEED_SIZE = 100
_ICAL_STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}


async def _events(request: Request) -> list[EventHit]:
    listings = listings_of(request)
    params = {**query_params(request), "limit": [str(FEED_SIZE)]}
    params.pop("cursor", None)
    try:
        return (await listings.events(listings.event_query(params))).items
    except InvalidParameter as exc:
        raise invalid_parameter(exc) from None


def _place(hit: EventHit) -> str:
    row = hit.event
    if row.online and not row.locality:
        return row.online_url or "online"
    return ", ".join(p for p in (row.location_name, row.street, row.postal_code, row.locality, row.country) if p)


async def events_ics(request: Request) -> Response:
    settings = services_of(request).settings
    calendar = Calendar()
    calendar.add("prodid", f"-//Espresso//{settings.domain} directory//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{settings.instance_name}: events")
    for hit in await _events(request):
        row = hit.event
        entry = CalendarEvent()
        entry.add("uid", row.object_id)
        entry.add("summary", row.title)
        entry.add("dtstart", row.starts_at)
        if row.ends_at:
            entry.add("dtend", row.ends_at)
        entry.add("dtstamp", row.last_seen_at)
        entry.add("status", _ICAL_STATUS.get(row.status, "CONFIRMED"))
        entry.add("url", row.url or row.object_id)
        if place := _place(hit):
            entry.add("location", place)
        if row.lat is not None and row.lon is not None:
            entry.add("geo", (row.lat, row.lon))
        entry.add("description", f"{row.summary_text}\n\n{hit.space_name}".strip())
        calendar.add_component(entry)
    return Response(calendar.to_ical(), media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})


async def events_atom(request: Request) -> Response:
    settings = services_of(request).settings
    hits = await _events(request)
    entries = []
    for hit in hits:
        row = hit.event
        cancelled = " (cancelled)" if row.status == "cancelled" else ""
        summary = " · ".join(p for p in (hit.space_name, _place(hit), row.summary_text) if p)
        entries.append(FeedEntry(
            id=row.object_id, title=f"{row.title}{cancelled} · {row.starts_at.isoformat()}",
            url=row.url or row.object_id, published=row.last_seen_at, updated=row.last_seen_at,
            content_html=html.escape(row.summary_text), summary=summary,
        ))
    body = atom_feed(
        feed_id=f"{settings.base_url}/directory/events", title=f"{settings.instance_name}: events",
        self_url=str(request.url), page_url=f"{settings.base_url}/directory/events",
        author=settings.instance_name, entries=entries, fallback_updated=datetime(2020, 1, 1, tzinfo=timezone.utc),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})


routes = [
    Route("/directory/events.ics", events_ics),
    Route("/directory/events.atom", events_atom),
]
