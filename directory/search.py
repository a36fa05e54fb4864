"""Searching the listed spaces: text, filters, distance, keyset pages.

Listed means: opted in (``discoverable``), seen in the last 30 days (local spaces
always are), and not on an instance unreachable for longer than the policy allows.
Full-text matches are limited to ``indexable`` spaces. With ``near`` the results
are ordered by exact great-circle distance (a bounding box prefilters on the
(lat, lon) index first); otherwise by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from .listing_models import DirectoryAmenity, DirectoryHours, DirectoryListing, DirectoryPrice
from .search_index import search_terms, space_text_clause
from .search_params import CursorCodec, InvalidParameter, SpaceQuery

__all__ = ["EARTH_RADIUS_KM", "ListingPolicy", "SpaceHit", "SpacePage", "find_listing", "search_spaces",
           "visible_listing"]

EARTH_RADIUS_KM = 6371.0088
_KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


@dataclass(frozen=True)
class ListingPolicy:
    """How long a space stays listed without news of it."""

    stale_after: timedelta = timedelta(days=30)
    hide_unreachable_after: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class SpaceHit:
    listing: DirectoryListing
    distance_km: float | None
    now: datetime
    policy: ListingPolicy = field(default_factory=ListingPolicy)

    @property
    def reachable(self) -> bool:
        return self.listing.unreachable_since is None

    def is_open(self) -> bool | None:
        return open_at(self.listing, self.now)

    def to_json(self) -> dict[str, Any]:
        row = self.listing
        data: dict[str, Any] = {
            "actor_id": row.actor_id,
            "handle": row.handle,
            "name": row.name,
            "summary": row.summary_html,
            "address": {"street": row.street, "locality": row.locality, "region": row.region,
                        "postal_code": row.postal_code, "country": row.country},
            "geo": {"lat": row.lat, "lon": row.lon} if row.lat is not None and row.lon is not None else None,
            "timezone": row.timezone,
            "opening_hours": row.opening_hours,
            "open_now": self.is_open(),
            "amenities": row.amenities,
            "prices": [{"kind": p.kind, "amount": f"{p.amount:.2f}", "currency": p.currency} for p in row.prices],
            "seats": row.seats,
            "languages": row.languages,
            "tags": row.tags,
            "url": row.url or row.actor_id,
            "website": row.website,
            "icon": row.icon_url,
            "reachable": self.reachable,
            "last_seen_at": row.last_seen_at.isoformat(),
            "origin": {"instance": row.origin, "actor_id": row.actor_id, "listed_via": row.listed_via},
        }
        if self.distance_km is not None:
            data["distance_km"] = round(self.distance_km, 3)
        return data


@dataclass(frozen=True)
class SpacePage:
    items: list[SpaceHit]
    next_cursor: str | None


def open_at(listing: DirectoryListing, now: datetime) -> bool | None:
    """Whether the space is open at ``now`` in its own zone; None when it publishes no hours."""
    if not listing.opening_hours:
        return None
    local = now.astimezone(ZoneInfo(listing.timezone))
    day, minute = ("mo", "tu", "we", "th", "fr", "sa", "su")[local.weekday()], local.hour * 60 + local.minute
    for rule in listing.opening_hours:
        opens = int(rule["opens"][:2]) * 60 + int(rule["opens"][3:])
        closes = int(rule["closes"][:2]) * 60 + int(rule["closes"][3:])
        if day in rule["days"] and opens <= minute < closes:
            return True
    return False


def visible_listing(now: datetime, policy: ListingPolicy) -> ColumnElement[bool]:
    """Listed at all: consent, freshness, reachability."""
    return and_(
        DirectoryListing.discoverable.is_(True),
        or_(DirectoryListing.is_local.is_(True), DirectoryListing.last_seen_at >= now - policy.stale_after),
        or_(DirectoryListing.unreachable_since.is_(None),
            DirectoryListing.unreachable_since >= now - policy.hide_unreachable_after),
    )


def _radians(value: Any) -> Any:
    return value * (math.pi / 180)


def _distance_expression(lat: float, lon: float) -> ColumnElement[float]:
    """Haversine in SQL, so distance can order and page on the database."""
    lat0, lon0 = math.radians(lat), math.radians(lon)
    dlat = (_radians(DirectoryListing.lat) - lat0) / 2
    dlon = (_radians(DirectoryListing.lon) - lon0) / 2
    a = func.sin(dlat) * func.sin(dlat) + math.cos(lat0) * func.cos(_radians(DirectoryListing.lat)) * func.sin(
        dlon) * func.sin(dlon)
    return (2 * EARTH_RADIUS_KM) * func.asin(func.sqrt(a))


def _bounding_box(lat: float, lon: float, radius_km: float) -> list[ColumnElement[bool]]:
    dlat = radius_km / _KM_PER_DEGREE
    clauses: list[ColumnElement[bool]] = [DirectoryListing.lat.between(lat - dlat, lat + dlat)]
    cos_lat = math.cos(math.radians(min(89.9, abs(lat) + dlat)))
    dlon = radius_km / (_KM_PER_DEGREE * cos_lat)
    if lon - dlon >= -180 and lon + dlon <= 180:  # near the antimeridian: latitude band only
        clauses.append(DirectoryListing.lon.between(lon - dlon, lon + dlon))
    return clauses


def _bbox_clause(box: tuple[float, float, float, float]) -> ColumnElement[bool]:
    min_lon, min_lat, max_lon, max_lat = box
    lat_ok = DirectoryListing.lat.between(min_lat, max_lat)
    if min_lon <= max_lon:
        return and_(lat_ok, DirectoryListing.lon.between(min_lon, max_lon))
    # A box across the antimeridian.
    return and_(lat_ok, or_(DirectoryListing.lon >= min_lon, DirectoryListing.lon <= max_lon))


async def _open_now_clause(session: AsyncSession, now: datetime) -> ColumnElement[bool]:
    # Hours are local times: group the zones in use by their current local weekday and
    # minute (most of Europe shares one), then look the hours up per group.
    zones = (await session.scalars(select(DirectoryListing.timezone).distinct())).all()
    groups: dict[tuple[int, int], list[str]] = {}
    for name in zones:
        local = now.astimezone(ZoneInfo(name))
        groups.setdefault((local.weekday(), local.hour * 60 + local.minute), []).append(name)
    clauses = [
        and_(
            DirectoryListing.timezone.in_(names),
            exists().where(DirectoryHours.listing_id == DirectoryListing.id, DirectoryHours.weekday == weekday,
                           DirectoryHours.opens_min <= minute, DirectoryHours.closes_min > minute),
        )
        for (weekday, minute), names in groups.items()
    ]
    return or_(*clauses) if clauses else literal(False)


async def _filters(session: AsyncSession, query: SpaceQuery, now: datetime) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    terms = search_terms(query.q or "")
    if terms:
        clauses += [DirectoryListing.indexable.is_(True), await space_text_clause(session, terms)]
    if query.country:
        clauses.append(DirectoryListing.country == query.country)
    if query.region:
        clauses.append(DirectoryListing.region_key == query.region.casefold())
    if query.city:
        clauses.append(DirectoryListing.locality_key == query.city.casefold())
    for code in query.amenities:
        clauses.append(exists().where(DirectoryAmenity.listing_id == DirectoryListing.id, DirectoryAmenity.code == code))
    if query.price_kind:
        price = [DirectoryPrice.listing_id == DirectoryListing.id, DirectoryPrice.kind == query.price_kind]
        if query.max_price is not None:
            price.append(DirectoryPrice.amount <= query.max_price)
        if query.currency:
            price.append(DirectoryPrice.currency == query.currency)
        clauses.append(exists().where(*price))
    if query.languages:
        clauses.append(or_(*(DirectoryListing.languages_key.like(f"%,{code},%") for code in query.languages)))
    if query.open_now:
        clauses.append(await _open_now_clause(session, now))
    if query.bbox:
        clauses.append(_bbox_clause(query.bbox))
    return clauses


async def search_spaces(
    session: AsyncSession, query: SpaceQuery, *, now: datetime, cursors: CursorCodec,
    policy: ListingPolicy = ListingPolicy(),
) -> SpacePage:
    clauses = [visible_listing(now, policy), *await _filters(session, query, now)]
    statement: Select[DirectoryListing, float | None]
    if query.near is not None:
        lat, lon = query.near
        distance = _distance_expression(lat, lon).label("distance")
        clauses += [DirectoryListing.lat.is_not(None), DirectoryListing.lon.is_not(None)]
        if query.radius_km is not None:
            clauses += [*_bounding_box(lat, lon, query.radius_km), distance <= query.radius_km]
        if query.cursor:
            after_distance, after_id = _cursor_values(query.cursor, float)
            clauses.append(tuple_(distance, DirectoryListing.id) > tuple_(literal(after_distance), literal(after_id)))
        statement = select(DirectoryListing, distance).where(*clauses).order_by(distance, DirectoryListing.id)
    else:
        if query.cursor:
            after_name, after_id = _cursor_values(query.cursor, str)
            clauses.append(tuple_(DirectoryListing.name_key, DirectoryListing.id) > tuple_(literal(after_name),
                                                                                            literal(after_id)))
        statement = select(DirectoryListing, literal(None).label("distance")).where(*clauses).order_by(
            DirectoryListing.name_key, DirectoryListing.id)
    rows = (await session.execute(statement.limit(query.limit + 1))).all()
    hits = [SpaceHit(row[0], row[1], now, policy) for row in rows[: query.limit]]
    next_cursor = None
    if len(rows) > query.limit:
        last = hits[-1]
        position = [last.distance_km, last.listing.id] if query.near else [last.listing.name_key, last.listing.id]
        next_cursor = cursors.encode("near" if query.near else "name", position)
    return SpacePage(hits, next_cursor)


def _cursor_values(cursor: tuple[object, ...], first_type: type) -> tuple[Any, int]:
    if len(cursor) != 2 or not isinstance(cursor[0], first_type) or not isinstance(cursor[1], int):
        raise InvalidParameter("cursor", "is not a cursor for this search")
    return cursor[0], cursor[1]


async def find_listing(
    session: AsyncSession, actor_id: str, *, now: datetime, policy: ListingPolicy = ListingPolicy()
) -> SpaceHit | None:
    """One listed space by actor id (for its directory page)."""
    listing = await session.scalar(
        select(DirectoryListing).where(DirectoryListing.actor_id == actor_id, visible_listing(now, policy))
    )
    return SpaceHit(listing, None, now, policy) if listing is not None else None
