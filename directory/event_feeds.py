"""A space's events and news as files other programs read: iCalendar, Atom and
schema.org JSON-LD for search engines."""

from __future__ import annotations

from typing import Any

from .event_calendar import CalendarEntry, calendar_bytes
from .event_document import ResolvedPlace, resolve_place
from .event_models import EventRecord
from .event_schema import Event
from .events import EventService, EventView
from .event_text import event_summary, language_of
from .models import SpaceRecord
from .posts import PostService
from .richtext import plain_text, render_markdown
from .space_feed import FeedEntry, atom_feed
from .space_schema import Space

__all__ = ["event_calendar", "schema_org_event", "space_atom", "space_calendar"]

_SCHEMA_STATUS = {"scheduled": "EventScheduled", "cancelled": "EventCancelled", "postponed": "EventPostponed"}


def _entry(events: EventService, space: SpaceRecord, record: EventRecord) -> CalendarEntry:
    event = Event.model_validate(record.data)
    return CalendarEntry(
        uid=events.object_urls.event_id(space.username, record.id),
        event=event,
        place=resolve_place(event, Space.model_validate(space.profile)),
        sequence=record.sequence,
        created_at=record.created_at,
        updated_at=record.updated_at,
        url=events.object_urls.event_page(space.username, record.id),
    )


async def space_calendar(events: EventService, username: str) -> bytes:
    space, records = await events.all_records(username)
    name = Space.model_validate(space.profile).name
    return calendar_bytes(name, (_entry(events, space, r) for r in records if r.deleted_at is None))


async def event_calendar(events: EventService, username: str, event_id: int) -> bytes:
    space, record = await events.record(username, event_id)
    return calendar_bytes(Space.model_validate(space.profile).name, [_entry(events, space, record)])


async def space_atom(events: EventService, posts: PostService, username: str) -> bytes:
    space, records = await events.all_records(username)
    profile = Space.model_validate(space.profile)
    language = language_of(profile.languages)
    entries = []
    for record in records:
        if record.deleted_at is not None:
            continue
        event = Event.model_validate(record.data)
        place = resolve_place(event, profile)
        entries.append(FeedEntry(
            id=events.object_urls.event_id(username, record.id), title=event.title,
            url=events.object_urls.event_page(username, record.id), published=record.created_at,
            updated=record.updated_at, content_html=render_markdown(event.description or ""),
            summary=event_summary(event.starts_at, event.ends_at, event.timezone, place.text(), language),
            categories=tuple(event.tags),
        ))
    for post in await posts.recent(username, limit=50):
        text = plain_text(post.content_html)
        entries.append(FeedEntry(
            id=post.object_id, title=text[:80] or profile.name, url=post.page_url, published=post.created_at,
            updated=post.created_at, content_html=post.content_html,
        ))
    return atom_feed(
        feed_id=events.ctx.urls.actor(username), title=profile.name,
        self_url=events.object_urls.atom_feed(username), page_url=events.ctx.urls.profile(username),
        author=profile.name, entries=entries, fallback_updated=space.updated_at,
    )


def _schema_place(place: ResolvedPlace) -> dict[str, Any] | None:
    if place.address is None:
        return {"@type": "VirtualLocation", "url": place.online_url} if place.online_url else None
    a = place.address
    address = {"@type": "PostalAddress", "streetAddress": a.street, "addressLocality": a.locality,
               "addressRegion": a.region, "postalCode": a.postal_code, "addressCountry": a.country}
    found: dict[str, Any] = {"@type": "Place", "name": place.name,
                             "address": {k: v for k, v in address.items() if v}}
    if place.lat is not None and place.lon is not None:
        found["geo"] = {"@type": "GeoCoordinates", "latitude": place.lat, "longitude": place.lon}
    return found


def schema_org_event(view: EventView, space: Space, *, organizer_url: str) -> dict[str, Any]:
    """schema.org ``Event`` for the HTML page (search engines), never sent to the fediverse."""
    event = view.event
    place = resolve_place(event, space)
    online = place.address is None
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "startDate": event.starts_at.isoformat(),
        "eventStatus": f"https://schema.org/{_SCHEMA_STATUS[event.status]}",
        "eventAttendanceMode": "https://schema.org/" + (
            "OnlineEventAttendanceMode" if online else
            "MixedEventAttendanceMode" if place.online_url else "OfflineEventAttendanceMode"),
        "url": view.page_url,
        "organizer": {"@type": "Organization", "name": space.name, "url": organizer_url},
    }
    if event.ends_at is not None:
        document["endDate"] = event.ends_at.isoformat()
    if event.description:
        document["description"] = plain_text(render_markdown(event.description))[:500]
    if event.capacity is not None:
        document["maximumAttendeeCapacity"] = event.capacity
    location = _schema_place(place)
    if location is not None:
        document["location"] = location
    return document
