"""Tables of what spaces publish (events, news) and of what reaches them from others.

Published objects keep the validated input as JSON (the contract's shape) next to the
few columns queries need (times, status), so the API reads back exactly what was sent
and the feeds can select upcoming events without parsing JSON in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from federation.db import Base, UTCDateTime

__all__ = ["EventRecord", "NoteRecord", "ReceivedObject"]

URL = String(2048)


class EventRecord(Base):
    """An event a local space published; its AS2 id is derived from the space and ``id``."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_space_starts", "space_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    # The validated Event of the contract, as JSON.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    # iCalendar SEQUENCE: bumped on every published change, so calendars replace their copy.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NoteRecord(Base):
    """A news post of a local space (an AS2 ``Note``)."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    markdown: Mapped[str] = mapped_column(Text)
    content_html: Mapped[str] = mapped_column(Text)
    # [{"name": "#tag", "href": ...}] and [{"name": "@u@host", "href": actor id, "inbox": ...}]
    hashtags: Mapped[list[Any]] = mapped_column(JSON)
    mentions: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReceivedObject(Base):
    """An Event or Note another server sent to a local space, stored sanitized.

    One row per receiving space: what a space sees depends on whom it follows."""

    __tablename__ = "received_objects"
    __table_args__ = (
        UniqueConstraint("local_actor_id", "object_id"),
        Index("ix_received_objects_actor_type", "local_actor_id", "object_type", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_actor_id: Mapped[int] = mapped_column(ForeignKey("local_actors.id", ondelete="CASCADE"))
    object_id: Mapped[str] = mapped_column(URL, index=True)
    object_type: Mapped[str] = mapped_column(String(16))  # Event | Note
    attributed_to: Mapped[str] = mapped_column(URL)
    origin: Mapped[str] = mapped_column(String(255))  # the host of object_id
    name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    content: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(URL, nullable=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # What could be read of the place: {"name", "street", ..., "geo": {"lat","lon"}} or None.
    location: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    online_url: Mapped[str | None] = mapped_column(URL, nullable=True)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
