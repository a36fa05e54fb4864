"""Searching the listed events: upcoming first, by date range, text and place.

An event is listed while it has not ended (``until_at``, see ``directory.indexing``)
and while its space is listed; a cancelled one stays, with its status, until then.
The ``starts_at >= from - MAX_EVENT_SPAN`` bound is what lets the (starts_at, id, until_at)
index serve "upcoming" without walking every past event; the ended ones inside that
month are skipped on the index alone.
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
    return DirectoryEvent.space_actor_id.in_(select(DirectoryListing.actor_id).where(DirectoryListing.handle == handle))


def _cursor_clause(cursor: tuple[object, ...]) -> ColumnElement[bool]:
    if len(cursor) != 2 or not isinstance(cursor[0], str) or not isinstance(cursor[1], int):
        raise InvalidParameter("cursor", "is not a cursor for this search")
    try:
        after = datetime.fromisoformat(cursor[0])
    except ValueError:
        raise InvalidParameter("cursor", "is not a cursor for this search") from None
    return tuple_(DirectoryEvent.starts_at, DirectoryEvent.id) > tuple_(literal(after, UTCDateTime()),
                                                                        literal(cursor[1]))


def _listed(space_clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    # A correlated scalar subquery rather than EXISTS: PostgreSQL may turn an EXISTS into a
    # hash over every listing (a sequential scan per search), never a scalar subquery.
    return select(literal(1)).where(*space_clauses).limit(1).scalar_subquery().is_not(None)


async def search_events(
    session: AsyncSession, query: EventQuery, *, now: datetime, cursors: CursorCodec,
    policy: ListingPolicy = ListingPolicy(),
) -> EventPage:
    start = query.start or now
    clauses: list[ColumnElement[bool]] = [
        DirectoryEvent.starts_at >= start - MAX_EVENT_SPAN,
        DirectoryEvent.until_at >= start,
    ]
    # What the event's space must be: listed, and more for some filters. Checked per event
    # with EXISTS on the space's actor id (unique index), so the events are walked in page
    # order and the walk stops after one page.
    space_clauses = [DirectoryListing.actor_id == DirectoryEvent.space_actor_id, visible_listing(now, policy)]
    if query.end is not None:
        clauses.append(DirectoryEvent.starts_at <= query.end)
    terms = search_terms(query.q or "")
    if terms:
        clauses.append(await event_text_clause(session, terms))
        space_clauses.append(DirectoryListing.indexable.is_(True))
    if query.country:
        # An event without an address of its own is where its space is.
        space_clauses.append(or_(DirectoryEvent.country == query.country,
                                 DirectoryEvent.country.is_(None) & (DirectoryListing.country == query.country)))
    if query.city:
        clauses.append(DirectoryEvent.locality_key == query.city.casefold())
    if query.space:
        clauses.append(_space_clause(query.space))
    if query.cursor:
        clauses.append(_cursor_clause(query.cursor))
    space = select(DirectoryListing.name, DirectoryListing.handle).where(
        DirectoryListing.actor_id == DirectoryEvent.space_actor_id).correlate(DirectoryEvent)
    statement = (
        select(DirectoryEvent, space.with_only_columns(DirectoryListing.name).scalar_subquery(),
               space.with_only_columns(DirectoryListing.handle).scalar_subquery())
        .where(*clauses, _listed(space_clauses))
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
