"""Searching the listed events: upcoming first, by date range, text and place.

An event is listed while it has not ended (``until_at``, see ``directory.indexing``)
and while its space is listed; a cancelled one stays, with its status, until then.
The ``starts_at >= from - MAX_EVENT_SPAN`` bound is what lets the (starts_at, id)
index serve "upcoming" without walking every past event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from federation.db import UTCDateTime

from .indexing import MAX_EVENT_SPAN
from .listing_models import DirectoryEvent, DirectoryListing
from .search import ListingPolicy, visible_listing
from .search_index import event_text_clause, search_terms
from .search_params import CursorCodec, EventQuery, InvalidParameter

__all__ = ["EventHit", "EventPage", "find_event", "search_events"]


@dataclass(frozen=True)
class EventHit:
    event: DirectoryEvent
    space_name: str
    space_handle: str | None

    def to_json(self) -> dict[str, Any]:
        row = self.event
        location: str | dict[str, Any]
        if row.online and not (row.locality or row.street or row.location_name):
            location = "online"
        else:
            location = {
                "name": row.location_name, "street": row.street, "locality": row.locality, "region": row.region,
                "postal_code": row.postal_code, "country": row.country,
                "geo": {"lat": row.lat, "lon": row.lon} if row.lat is not None and row.lon is not None else None,
            }
        return {
            "object_id": row.object_id,
            "title": row.title,
            "description": row.summary_text,
            "starts_at": row.starts_at.isoformat(),
            "ends_at": row.ends_at.isoformat() if row.ends_at else None,
            "timezone": row.timezone,
            "location": location,
            "online_url": row.online_url,
            "url": row.url or row.object_id,
            "status": row.status,
            "space": {"name": self.space_name, "handle": self.space_handle, "actor_id": row.space_actor_id},
            "origin": {"instance": row.origin, "actor_id": row.space_actor_id, "listed_via": row.listed_via},
        }


@dataclass(frozen=True)
class EventPage:
    items: list[EventHit]
    next_cursor: str | None


def _space_clause(space: str) -> ColumnElement[bool]:
    # A space is named by its actor id or its handle (@user@host, the @ optional).
    if space.startswith(("http://", "https://")):
        return DirectoryEvent.space_actor_id == space
    handle = space if space.startswith("@") else f"@{space}"
    return DirectoryListing.handle == handle


async def search_events(
    session: AsyncSession, query: EventQuery, *, now: datetime, cursors: CursorCodec,
    policy: ListingPolicy = ListingPolicy(),
) -> EventPage:
    start = query.start or now
    clauses: list[ColumnElement[bool]] = [
        visible_listing(now, policy),
        DirectoryEvent.until_at >= start,
        DirectoryEvent.starts_at >= start - MAX_EVENT_SPAN,
    ]
    if query.end is not None:
        clauses.append(DirectoryEvent.starts_at <= query.end)
    terms = search_terms(query.q or "")
    if terms:
        clauses += [DirectoryListing.indexable.is_(True), event_text_clause(session.bind.dialect.name, terms)]
    if query.country:
        clauses.append(or_(DirectoryEvent.country == query.country,
                           (DirectoryEvent.country.is_(None)) & (DirectoryListing.country == query.country)))
    if query.city:
        clauses.append(DirectoryEvent.locality_key == query.city.casefold())
    if query.space:
        clauses.append(_space_clause(query.space))
    if query.cursor:
        if len(query.cursor) != 2 or not isinstance(query.cursor[0], str) or not isinstance(query.cursor[1], int):
            raise InvalidParameter("cursor", "is not a cursor for this search")
        try:
            after = datetime.fromisoformat(query.cursor[0])
        except ValueError:
            raise InvalidParameter("cursor", "is not a cursor for this search") from None
        clauses.append(tuple_(DirectoryEvent.starts_at, DirectoryEvent.id)
                       > tuple_(literal(after, UTCDateTime()), literal(query.cursor[1])))
    statement = (
        select(DirectoryEvent, DirectoryListing.name, DirectoryListing.handle)
        # `|| ''` stops SQLite from driving the join from the listings (then sorting every
        # event): the events are walked in (starts_at, id) order, each looking up its space.
        .join(DirectoryListing, DirectoryListing.actor_id == DirectoryEvent.space_actor_id.concat(""))
        .where(*clauses)
        .order_by(DirectoryEvent.starts_at, DirectoryEvent.id)
        .limit(query.limit + 1)
    )
    rows = (await session.execute(statement)).all()
    hits = [EventHit(row[0], row[1], row[2]) for row in rows[: query.limit]]
    next_cursor = None
    if len(rows) > query.limit:
        last = hits[-1].event
        next_cursor = cursors.encode("events", [last.starts_at.isoformat(), last.id])
    return EventPage(hits, next_cursor)


async def find_event(
    session: AsyncSession, object_id: str, *, now: datetime, policy: ListingPolicy = ListingPolicy()
) -> EventHit | None:
    row = (await session.execute(
        select(DirectoryEvent, DirectoryListing.name, DirectoryListing.handle)
        .join(DirectoryListing, DirectoryListing.actor_id == DirectoryEvent.space_actor_id)
        .where(DirectoryEvent.object_id == object_id, visible_listing(now, policy))
    )).first()
    return EventHit(row[0], row[1], row[2]) if row is not None else None
