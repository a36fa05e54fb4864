"""Keeps the directory listing in step with what it lists.

Every writer of spaces and events calls in here inside its own transaction, so
a listing never disagrees with the profile it was made from:
- local spaces: :func:`index_local_space` / :func:`remove_listing` (``directory.spaces``);
- remote actors: :func:`upsert_remote_listing` (ingest, crawl), :func:`remove_listing` (410, ``Delete``),
  :func:`mark_origin_unreachable` / :func:`mark_origin_reachable` (fetch outcomes);
- events, local and remote: :func:`upsert_event_listing` / :func:`remove_event_listing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.sanitize import sanitize_remote_html

from .listing_models import DirectoryAmenity, DirectoryEvent, DirectoryHours, DirectoryListing, DirectoryPrice
from .place_parsing import OpeningRule, ParsedPlace, ParsedPrice
from .richtext import plain_text, render_markdown
from .search_index import remove_event_text, remove_space_text, write_event_text, write_space_text
from .space_schema import Space
from .space_timezone import space_timezone
from .vocabulary import WEEKDAYS

__all__ = [
    "MAX_EVENT_SPAN",
    "EventListingEntry",
    "index_local_space",
    "mark_origin_reachable",
    "mark_origin_unreachable",
    "remove_event_listing",
    "remove_listing",
    "upsert_event_listing",
    "upsert_remote_listing",
]

# An event stays listed until it ends, but at most this long after it starts: this
# bounds the range the "upcoming" query scans (see directory.event_search).
MAX_EVENT_SPAN = timedelta(days=31)
# An event without an end is listed until this long after its start.
DEFAULT_EVENT_LENGTH = timedelta(hours=2)


def origin_of(actor_id: str) -> str:
    return urlsplit(actor_id).netloc.lower()


def _key(value: str | None) -> str | None:
    return value.casefold() if value else None


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class _ListingData:
    """One shape for both sources, so local and remote listings are written the same way."""

    place: ParsedPlace
    summary_html: str
    handle: str | None
    url: str | None
    is_local: bool


async def _write_listing(
    session: AsyncSession, actor_id: str, data: _ListingData, listed_via: str | None, now: datetime
) -> DirectoryListing:
    place = data.place
    listing = await session.scalar(select(DirectoryListing).where(DirectoryListing.actor_id == actor_id))
    if listing is None:
        listing = DirectoryListing(actor_id=actor_id, origin=origin_of(actor_id), prices=[])
        session.add(listing)
    summary_text = plain_text(data.summary_html) if data.summary_html else ""
    name = place.name or data.handle or actor_id
    listing.listed_via = listed_via
    listing.is_local = data.is_local
    listing.handle = data.handle
    listing.name, listing.name_key = name, name.casefold()
    listing.summary_html, listing.summary_text = data.summary_html, summary_text
    listing.street, listing.postal_code, listing.country = place.street, place.postal_code, place.country
    listing.locality, listing.locality_key = place.locality, _key(place.locality)
    listing.region, listing.region_key = place.region, _key(place.region)
    listing.lat, listing.lon = place.lat, place.lon
    listing.timezone = space_timezone(place.country, place.lat, place.lon)
    listing.amenities = list(place.amenities)
    listing.opening_hours = [{"days": list(r.days), "opens": r.opens, "closes": r.closes} for r in place.opening_hours]
    listing.languages = list(place.languages)
    listing.languages_key = "," + ",".join(code.casefold() for code in place.languages) + ","
    listing.tags = list(place.tags)
    listing.seats = place.seats
    listing.url, listing.website, listing.icon_url = data.url, place.website, place.icon_url
    listing.discoverable, listing.indexable = place.discoverable, place.indexable
    listing.last_seen_at = now
    listing.unreachable_since = None
    listing.updated_at = now
    listing.prices = [
        DirectoryPrice(kind=p.kind, amount=Decimal(p.amount), currency=p.currency) for p in place.prices
    ]
    await session.flush()
    await _replace_children(session, listing.id, place)
    await write_space_text(session, listing, summary_text)
    return listing


async def _replace_children(session: AsyncSession, listing_id: int, place: ParsedPlace) -> None:
    await session.execute(delete(DirectoryAmenity).where(DirectoryAmenity.listing_id == listing_id))
    await session.execute(delete(DirectoryHours).where(DirectoryHours.listing_id == listing_id))
    session.add_all(DirectoryAmenity(listing_id=listing_id, code=code) for code in dict.fromkeys(place.amenities))
    session.add_all(
        DirectoryHours(listing_id=listing_id, weekday=WEEKDAYS.index(day), opens_min=_minutes(rule.opens),
                       closes_min=_minutes(rule.closes))
        for rule in place.opening_hours
        for day in rule.days
    )
    await session.flush()


def _place_of_space(space: Space) -> ParsedPlace:
    address = space.address
    return ParsedPlace(
        name=space.name,
        street=address.street, locality=address.locality, region=address.region,
        postal_code=address.postal_code, country=address.country,
        lat=space.geo.lat if space.geo else None, lon=space.geo.lon if space.geo else None,
        opening_hours=tuple(OpeningRule(tuple(r.days), r.opens, r.closes) for r in space.opening_hours),
        amenities=tuple(space.amenities),
        prices=tuple(ParsedPrice(p.kind, p.amount, p.currency) for p in space.prices),
        languages=tuple(space.languages), tags=tuple(space.tags),
        website=space.website, seats=space.seats,
        discoverable=space.discoverable, indexable=space.indexable,
    )


async def index_local_space(
    session: AsyncSession, space: Space, *, actor_id: str, handle: str, url: str, icon_url: str | None, now: datetime
) -> DirectoryListing:
    """List (or re-list) a space hosted here, from its validated profile."""
    place = _place_of_space(space)
    if icon_url:
        place = replace(place, icon_url=icon_url)
    summary_html = render_markdown(space.summary) if space.summary else ""
    data = _ListingData(place=place, summary_html=summary_html, handle=handle, url=url, is_local=True)
    return await _write_listing(session, actor_id, data, None, now)


async def upsert_remote_listing(
    session: AsyncSession, parsed: ParsedPlace, actor_id: str, listed_via: str | None, now: datetime,
    *, handle: str | None = None, url: str | None = None,
) -> DirectoryListing | None:
    """List a remote space from its parsed actor document; unlists it when it no longer opts in.

    ``listed_via`` is the hub or network actor through which we learned of it (None: directly)."""
    if not parsed.discoverable:
        await remove_listing(session, actor_id)
        return None
    summary_html = sanitize_remote_html(parsed.summary_html, 5000) if parsed.summary_html else ""
    data = _ListingData(place=parsed, summary_html=summary_html, handle=handle, url=url, is_local=False)
    return await _write_listing(session, actor_id, data, listed_via, now)


async def remove_listing(session: AsyncSession, actor_id: str) -> bool:
    """Unlist a space and its events (deleted, gone, or no longer discoverable)."""
    listing_id = await session.scalar(select(DirectoryListing.id).where(DirectoryListing.actor_id == actor_id))
    event_ids = (await session.scalars(
        select(DirectoryEvent.id).where(DirectoryEvent.space_actor_id == actor_id)
    )).all()
    for event_id in event_ids:
        await remove_event_text(session, event_id)
    await session.execute(delete(DirectoryEvent).where(DirectoryEvent.space_actor_id == actor_id))
    if listing_id is None:
        return False
    await remove_space_text(session, listing_id)
    # Children go explicitly: SQLite enforces ON DELETE CASCADE only with foreign_keys on.
    for child in (DirectoryPrice, DirectoryAmenity, DirectoryHours):
        await session.execute(delete(child).where(child.listing_id == listing_id))
    await session.execute(delete(DirectoryListing).where(DirectoryListing.id == listing_id))
    return True


async def mark_origin_unreachable(session: AsyncSession, origin: str, now: datetime) -> None:
    """Every listing of an instance we could not reach: shown with ``reachable: false``, later hidden."""
    await session.execute(
        update(DirectoryListing)
        .where(DirectoryListing.origin == origin.lower(), DirectoryListing.unreachable_since.is_(None))
        .values(unreachable_since=now)
    )


async def mark_origin_reachable(session: AsyncSession, origin: str) -> None:
    await session.execute(
        update(DirectoryListing).where(DirectoryListing.origin == origin.lower()).values(unreachable_since=None)
    )


@dataclass(frozen=True)
class EventListingEntry:
    """What the events helper hands over for one event, local or remote (already sanitized)."""

    object_id: str
    space_actor_id: str
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str | None = None
    summary_text: str = ""
    online: bool = False
    online_url: str | None = None
    location_name: str | None = None
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    url: str | None = None
    status: str = "scheduled"
    tags: tuple[str, ...] = field(default_factory=tuple)
    listed_via: str | None = None


def listed_until(starts_at: datetime, ends_at: datetime | None) -> datetime:
    end = ends_at if ends_at is not None and ends_at > starts_at else starts_at + DEFAULT_EVENT_LENGTH
    return min(end, starts_at + MAX_EVENT_SPAN)


async def upsert_event_listing(session: AsyncSession, entry: EventListingEntry, now: datetime) -> DirectoryEvent:
    row = await session.scalar(select(DirectoryEvent).where(DirectoryEvent.object_id == entry.object_id))
    if row is None:
        row = DirectoryEvent(object_id=entry.object_id)
        session.add(row)
    row.space_actor_id = entry.space_actor_id
    row.title = entry.title[:200]
    row.summary_text = entry.summary_text[:5000]
    row.starts_at, row.ends_at = entry.starts_at, entry.ends_at
    row.until_at = listed_until(entry.starts_at, entry.ends_at)
    row.timezone = entry.timezone
    row.online, row.online_url = entry.online, entry.online_url
    row.location_name, row.street, row.postal_code = entry.location_name, entry.street, entry.postal_code
    row.locality, row.locality_key, row.region = entry.locality, _key(entry.locality), entry.region
    row.country, row.lat, row.lon = entry.country, entry.lat, entry.lon
    row.url, row.status = entry.url, entry.status
    row.origin = origin_of(entry.object_id)
    row.listed_via = entry.listed_via
    row.last_seen_at = now
    await session.flush()
    await write_event_text(session, row, list(entry.tags))
    return row


async def remove_event_listing(session: AsyncSession, object_id: str) -> bool:
    row_id = await session.scalar(select(DirectoryEvent.id).where(DirectoryEvent.object_id == object_id))
    if row_id is None:
        return False
    await remove_event_text(session, row_id)
    await session.execute(delete(DirectoryEvent).where(DirectoryEvent.id == row_id))
    return True
