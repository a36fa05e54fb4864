"""A space's events: publish, change, cancel, delete, list; each change federated.

Every write runs in one transaction with the activity it causes (Create, Update,
Delete to the followers), so an event never changes without its followers being
told, nor are they told of a change that rolled back."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.context import FederationContext
from federation.delivery import DeliveryCounts, delivery_counts
from federation.vocab import PUBLIC

from .errors import Gone, NotFound, ValidationFailed
from .event_document import EventIds, event_document, tombstone
from .event_listing import local_event_entry
from .event_models import EventRecord
from .event_news import change_notice
from .event_schema import Event, EventPatch, apply_event_patch
from .indexing import remove_event_listing, upsert_event_listing
from .models import SpaceRecord
from .note_publishing import publish_note
from .object_urls import ObjectUrls
from .publishing import publish_activity
from .space_actor import MediaRef
from .space_schema import Space, validation_errors
from .spaces import SpaceService

__all__ = ["EventService", "EventView", "ObjectDocument", "parse_event", "parse_event_patch", "space_media"]

PAGE_SIZE = 50


def parse_event(data: object) -> Event:
    try:
        return Event.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(validation_errors(exc)) from None


def parse_event_patch(data: object) -> EventPatch:
    try:
        return EventPatch.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(validation_errors(exc)) from None


def space_media(record: SpaceRecord) -> MediaRef | None:
    """The picture an event or post shows: the space's header image, else its logo."""
    data = record.image or record.icon
    if not data:
        return None
    return MediaRef(url=str(data["url"]), media_type=str(data.get("media_type", "image/jpeg")))


@dataclass(frozen=True)
class EventView:
    """An event as the API, pages and feeds show it."""

    id: int
    username: str
    event: Event
    object_id: str
    page_url: str
    ics_url: str
    sequence: int
    created_at: datetime
    updated_at: datetime
    delivery: DeliveryCounts | None = None

    def to_json(self) -> dict[str, Any]:
        data = self.event.model_dump(mode="json")
        data.update(
            id=self.id,
            object_id=self.object_id,
            page_url=self.page_url,
            ics_url=self.ics_url,
            sequence=self.sequence,
            created_at=self.created_at.isoformat(),
            updated_at=self.updated_at.isoformat(),
        )
        if self.delivery is not None:
            data["delivery"] = self.delivery.as_dict()
        return data


@dataclass(frozen=True)
class ObjectDocument:
    status: int  # 200, or 410 for a deleted object
    document: dict[str, Any]


class EventService:
    # The method ``list`` shadows the builtin in this class's annotations, hence ``builtins.list``.
    def __init__(self, ctx: FederationContext, spaces: SpaceService) -> None:
        self.ctx = ctx
        self.spaces = spaces
        self.object_urls = ObjectUrls(ctx.urls)

    # --- views and documents ---

    def view(self, username: str, record: EventRecord, delivery: DeliveryCounts | None = None) -> EventView:
        return EventView(
            id=record.id,
            username=username,
            event=Event.model_validate(record.data),
            object_id=self.object_urls.event_id(username, record.id),
            page_url=self.object_urls.event_page(username, record.id),
            ics_url=self.object_urls.event_ics(username, record.id),
            sequence=record.sequence,
            created_at=record.created_at,
            updated_at=record.updated_at,
            delivery=delivery,
        )

    def ids(self, username: str, record: EventRecord) -> EventIds:
        urls = self.ctx.urls
        return EventIds(
            id=self.object_urls.event_id(username, record.id),
            url=self.object_urls.event_page(username, record.id),
            actor_id=urls.actor(username),
            followers=urls.followers(username),
            profile_url=urls.profile(username),
        )

    def document(self, space: SpaceRecord, record: EventRecord, *, with_context: bool = True) -> dict[str, Any]:
        return event_document(
            Event.model_validate(record.data),
            space=Space.model_validate(space.profile),
            ids=self.ids(space.username, record),
            published=record.created_at,
            updated=record.updated_at,
            image=space_media(space),
            with_context=with_context,
        )

    async def object_document(self, username: str, event_id: int) -> ObjectDocument | None:
        """What the event's id answers to peers; None when it never existed."""
        async with self.ctx.db.sessions() as session:
            found = await self._find(session, username, event_id, include_deleted=True)
            if found is None:
                return None
            space, record = found
            if record.deleted_at is not None or space.deleted_at is not None:
                deleted = record.deleted_at or space.deleted_at
                assert deleted is not None
                return ObjectDocument(410, tombstone(self.object_urls.event_id(username, event_id),
                                                     former_type="Event", deleted=deleted))
            return ObjectDocument(200, self.document(space, record))

    # --- reading ---

    async def _find(
        self, session: AsyncSession, username: str, event_id: int, *, include_deleted: bool = False
    ) -> tuple[SpaceRecord, EventRecord] | None:
        row = (
            await session.execute(
                select(SpaceRecord, EventRecord)
                .join(EventRecord, EventRecord.space_id == SpaceRecord.id)
                .where(SpaceRecord.username == username, EventRecord.id == event_id)
            )
        ).first()
        if row is None:
            return None
        space, record = row
        if not include_deleted and record.deleted_at is not None:
            raise Gone(f"event {event_id} was deleted")
        return space, record

    async def _get_record(self, session: AsyncSession, username: str, event_id: int) -> tuple[SpaceRecord, EventRecord]:
        space = await self.spaces.get_record(session, username)
        found = await self._find(session, username, event_id)
        if found is None:
            raise NotFound(f"no event {event_id} in space {username!r}")
        return space, found[1]

    async def get(self, username: str, event_id: int) -> EventView:
        async with self.ctx.db.sessions() as session:
            _, record = await self._get_record(session, username, event_id)
            counts = await delivery_counts(session, object_id=self.object_urls.event_id(username, event_id))
            return self.view(username, record, counts)

    async def list(self, username: str, *, cursor: int | None = None, limit: int = PAGE_SIZE) -> tuple[builtins.list[EventView], int | None]:
        """Newest first; the cursor is the last id seen."""
        async with self.ctx.db.sessions() as session:
            space = await self.spaces.get_record(session, username)
            query = select(EventRecord).where(EventRecord.space_id == space.id, EventRecord.deleted_at.is_(None))
            if cursor is not None:
                query = query.where(EventRecord.id < cursor)
            rows = list((await session.scalars(query.order_by(EventRecord.id.desc()).limit(limit + 1))).all())
            views = []
            for record in rows[:limit]:
                counts = await delivery_counts(session, object_id=self.object_urls.event_id(username, record.id))
                views.append(self.view(username, record, counts))
            return views, (rows[limit - 1].id if len(rows) > limit else None)

    async def timeline(self, username: str, now: datetime, *, limit: int = 100) -> tuple[builtins.list[EventView], builtins.list[EventView]]:
        """(upcoming and ongoing by ascending start, past by descending start)."""
        async with self.ctx.db.sessions() as session:
            space = await self.spaces.get_record(session, username)
            records = await upcoming_records(session, space.id, now, limit=limit)
            past = (await session.scalars(
                select(EventRecord).where(EventRecord.space_id == space.id, EventRecord.deleted_at.is_(None),
                                          EventRecord.starts_at < now,
                                          or_(EventRecord.ends_at.is_(None), EventRecord.ends_at < now))
                .order_by(EventRecord.starts_at.desc()).limit(limit)
            )).all()
            return [self.view(username, r) for r in records], [self.view(username, r) for r in past]

    async def all_records(self, username: str) -> tuple[SpaceRecord, builtins.list[EventRecord]]:
        """Every event of a space, deleted ones included (calendars learn of deletions)."""
        async with self.ctx.db.sessions() as session:
            space = await self.spaces.get_record(session, username)
            records = (await session.scalars(
                select(EventRecord).where(EventRecord.space_id == space.id).order_by(EventRecord.starts_at)
            )).all()
            return space, list(records)

    async def record(self, username: str, event_id: int) -> tuple[SpaceRecord, EventRecord]:
        async with self.ctx.db.sessions() as session:
            return await self._get_record(session, username, event_id)

    # --- writing ---

    async def create(self, username: str, event: Event) -> EventView:
        async with self.ctx.db.transaction() as session:
            space = await self.spaces.get_record(session, username)
            now = self.ctx.clock.now()
            record = EventRecord(space_id=space.id, sequence=0, created_at=now, updated_at=now)
            _store(record, event)
            session.add(record)
            await session.flush()
            await publish_activity(session, self.ctx, actor=space.actor, kind="Create",
                                   obj=self.document(space, record))
            await self._list(session, space, record, event)
            return self.view(username, record, DeliveryCounts())

    async def update(self, username: str, event_id: int, patch: EventPatch) -> EventView:
        async with self.ctx.db.transaction() as session:
            space, record = await self._get_record(session, username, event_id)
            before = Event.model_validate(record.data)
            try:
                event = apply_event_patch(before, patch)
            except pydantic.ValidationError as exc:
                raise ValidationFailed(validation_errors(exc)) from None
            _store(record, event)
            record.sequence += 1
            record.updated_at = self.ctx.clock.now()
            await session.flush()
            await publish_activity(session, self.ctx, actor=space.actor, kind="Update",
                                   obj=self.document(space, record))
            await self._list(session, space, record, event)
            # Mastodon ignores Update(Event): tell its readers with a news post too.
            notice = change_notice(before, event, space=Space.model_validate(space.profile),
                                   page_url=self.object_urls.event_page(username, record.id))
            if notice is not None:
                await publish_note(session, self.ctx, space, notice)
            return self.view(username, record)

    async def delete(self, username: str, event_id: int) -> None:
        async with self.ctx.db.transaction() as session:
            space, record = await self._get_record(session, username, event_id)
            now = self.ctx.clock.now()
            record.deleted_at = now
            record.updated_at = now
            record.sequence += 1
            gone = tombstone(self.object_urls.event_id(username, event_id), former_type="Event", deleted=now)
            gone |= {"to": [PUBLIC], "cc": [self.ctx.urls.followers(username)]}
            await publish_activity(session, self.ctx, actor=space.actor, kind="Delete", obj=gone)
            await remove_event_listing(session, self.object_urls.event_id(username, event_id))

    async def _list(self, session: AsyncSession, space: SpaceRecord, record: EventRecord, event: Event) -> None:
        # Same transaction as the change: the directory never shows an event its space no longer publishes.
        ids = self.ids(space.username, record)
        entry = local_event_entry(event, Space.model_validate(space.profile), object_id=ids.id,
                                  space_actor_id=ids.actor_id, page_url=ids.url)
        await upsert_event_listing(session, entry, self.ctx.clock.now())


def _store(record: EventRecord, event: Event) -> None:
    record.data = event.model_dump(mode="json")
    record.starts_at = event.starts_at
    record.ends_at = event.ends_at
    record.status = event.status


async def upcoming_records(session: AsyncSession, space_id: int, now: datetime, *, limit: int) -> list[EventRecord]:
    """Events not over yet (a start-only event counts until it starts), by ascending start."""
    query = (
        select(EventRecord)
        .where(EventRecord.space_id == space_id, EventRecord.deleted_at.is_(None),
               or_(EventRecord.ends_at >= now, EventRecord.starts_at >= now))
        .order_by(EventRecord.starts_at)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())
