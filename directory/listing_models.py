"""The directory's tables: one listing row per space (local or remote) and per event.

The listing is a denormalized copy made for searching: it is rebuilt from a local
space's profile or a remote actor document whenever either changes
(`directory.indexing`), never edited by hand. Amenities, prices and opening hours
get child rows so filters are indexed lookups rather than scans of JSON.
The full-text index lives beside these tables (`directory.search_index`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation.db import Base, UTCDateTime

__all__ = ["DirectoryAmenity", "DirectoryEvent", "DirectoryHours", "DirectoryListing", "DirectoryPrice"]

URL = String(2048)
# PostgreSQL: search_text's tsvector, stored (written by directory.search_index) so that a
# search walking the page order checks each row without recomputing two to_tsvector()s,
# and the GIN index has a column with statistics. Always NULL on SQLite, which has FTS5.
SEARCH_VECTOR = Text().with_variant(TSVECTOR(), "postgresql")


class DirectoryListing(Base):
    """A listed space, local or remote."""

    __tablename__ = "directory_listings"
    __table_args__ = (
        # Every place filter walks its own slice in the page order (name_key, id), so a
        # page stops after `limit` rows instead of sorting the whole city or country.
        Index("ix_directory_listings_name_order", "name_key", "id"),
        Index("ix_directory_listings_country_order", "country", "name_key", "id"),
        Index("ix_directory_listings_region_order", "region_key", "name_key", "id"),
        Index("ix_directory_listings_city_order", "locality_key", "name_key", "id"),
        Index("ix_directory_listings_geo", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[str] = mapped_column(URL, unique=True)
    origin: Mapped[str] = mapped_column(String(255), index=True)  # authority of the actor id
    listed_via: Mapped[str | None] = mapped_column(URL, nullable=True)
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    handle: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # casefolded name: the default sort order
    summary_html: Mapped[str] = mapped_column(Text, default="")
    summary_text: Mapped[str] = mapped_column(Text, default="")
    # name + description + city + tags, folded; what PostgreSQL's full-text search reads.
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_vector: Mapped[Any] = mapped_column(SEARCH_VECTOR, nullable=True, deferred=True)
    street: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locality: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locality_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    region_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", index=True)
    amenities: Mapped[list[str]] = mapped_column(JSON, default=list)
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # ",it,en," so a language filter is a LIKE on a short string.
    languages_key: Mapped[str] = mapped_column(String(200), default=",")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str | None] = mapped_column(URL, nullable=True)
    website: Mapped[str | None] = mapped_column(URL, nullable=True)
    icon_url: Mapped[str | None] = mapped_column(URL, nullable=True)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=True)
    indexable: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    prices: Mapped[list[DirectoryPrice]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True, order_by="DirectoryPrice.id"
    )


class DirectoryPrice(Base):
    __tablename__ = "directory_prices"
    __table_args__ = (
        Index("ix_directory_prices_kind_amount", "kind", "amount", "listing_id"),
        # The price filter probes one listing at a time while walking the page order.
        Index("ix_directory_prices_listing_kind", "listing_id", "kind", "amount", "currency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("directory_listings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))


class DirectoryAmenity(Base):
    __tablename__ = "directory_amenities"
    __table_args__ = (Index("ix_directory_amenities_code_listing", "code", "listing_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("directory_listings.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))


class DirectoryHours(Base):
    """One opening interval in the space's local time: weekday 0 = Monday, minutes since midnight."""

    __tablename__ = "directory_hours"
    __table_args__ = (
        Index("ix_directory_hours_lookup", "weekday", "opens_min", "closes_min", "listing_id"),
        # "Open now" probes one listing at a time (covering: no table row is read).
        Index("ix_directory_hours_listing_day", "listing_id", "weekday", "opens_min", "closes_min"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("directory_listings.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_min: Mapped[int] = mapped_column(SmallInteger)
    closes_min: Mapped[int] = mapped_column(SmallInteger)


class DirectoryEvent(Base):
    """A listed event of a space, local or remote."""

    __tablename__ = "directory_events"
    __table_args__ = (
        # The page order, with until_at in the index so events that have already ended
        # (up to MAX_EVENT_SPAN of them before `from`) are skipped without reading their rows.
        Index("ix_directory_events_upcoming", "starts_at", "id", "until_at"),
        Index("ix_directory_events_space_order", "space_actor_id", "starts_at", "id"),
        Index("ix_directory_events_place", "country", "locality_key", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[str] = mapped_column(URL, unique=True)
    space_actor_id: Mapped[str] = mapped_column(URL)
    title: Mapped[str] = mapped_column(String(200))
    summary_text: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_vector: Mapped[Any] = mapped_column(SEARCH_VECTOR, nullable=True, deferred=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the event stops being listed: its end, or its start when it has none (capped, see indexing).
    until_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    online_url: Mapped[str | None] = mapped_column(URL, nullable=True)
    location_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    street: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locality: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locality_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    url: Mapped[str | None] = mapped_column(URL, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    origin: Mapped[str] = mapped_column(String(255))
    listed_via: Mapped[str | None] = mapped_column(URL, nullable=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
