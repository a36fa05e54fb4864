"""Events as the directory lists them: one `EventListingEntry` from a local Event or a received one.

Local events are listed in the transaction that publishes them (``directory.events``);
remote ones when ``directory.ingest_events`` stores them for someone here. Either way
the event shows in the directory only while its space is listed (the event search
joins on the space's listing), so nothing here decides visibility.
"""

from __future__ import annotations

from typing import Any

from .event_document import resolve_place
from .event_schema import Event
from .indexing import EventListingEntry
from .remote_objects import ParsedObject
from .richtext import plain_text, render_markdown
from .space_schema import Space

__all__ = ["local_event_entry", "remote_event_entry"]


def local_event_entry(event: Event, space: Space, *, object_id: str, space_actor_id: str,
                      page_url: str) -> EventListingEntry:
    place = resolve_place(event, space)
    address = place.address
    summary = plain_text(render_markdown(event.description)) if event.description else ""
    return EventListingEntry(
        object_id=object_id,
        space_actor_id=space_actor_id,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        summary_text=summary,
        online=event.location == "online",
        online_url=place.online_url,
        location_name=place.name,
        street=address.street if address else None,
        locality=address.locality if address else None,
        region=address.region if address else None,
        postal_code=address.postal_code if address else None,
        country=address.country if address else None,
        lat=place.lat, lon=place.lon,
        url=str(event.url) if event.url else page_url,
        status=event.status,
        tags=tuple(event.tags),
    )


def remote_event_entry(parsed: ParsedObject, author: str, *, listed_via: str | None) -> EventListingEntry | None:
    """None when the object is not a listable event (a Note, or an Event without a start)."""
    if parsed.type != "Event" or parsed.starts_at is None:
        return None
    location: dict[str, Any] = parsed.location or {}
    geo = location.get("geo") or {}
    summary = plain_text(parsed.summary or parsed.content or "")
    return EventListingEntry(
        object_id=parsed.id,
        space_actor_id=author,
        title=parsed.name or parsed.id,
        starts_at=parsed.starts_at,
        ends_at=parsed.ends_at,
        timezone=parsed.timezone,
        summary_text=summary,
        online=not location and parsed.online_url is not None,
        online_url=parsed.online_url,
        location_name=location.get("name"),
        street=location.get("street"),
        locality=location.get("locality"),
        region=location.get("region"),
        postal_code=location.get("postal_code"),
        country=location.get("country"),
        lat=geo.get("lat"), lon=geo.get("lon"),
        url=parsed.url or parsed.id,
        status=parsed.status or "scheduled",
        listed_via=listed_via,
    )
