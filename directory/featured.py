"""A space's ``featured`` collection: its upcoming events, soonest first.

Mastodon shows an account's featured items as pinned posts, so a space's next
events stay at the top of its profile there. Items are the events' ids: the
collection's context is plain ActivityStreams, and readers (Mastodon's
featured-collection fetch) resolve each id, which serves the full Event with
its own context. FEP-8a8e's ``upcomingEvents`` has the same order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.models import LocalActor

from .events import EventService, upcoming_records
from .models import SpaceRecord

__all__ = ["FEATURED_LIMIT", "featured_events"]

# Mastodon keeps at most 5 pins per account; a few more costs little and serves other readers.
FEATURED_LIMIT = 10


def featured_events(events: EventService) -> Callable[[AsyncSession, LocalActor], Awaitable[list[Any]]]:
    """The ``featured_items`` source for ``federation.collections.collection_document``."""

    async def items(session: AsyncSession, local: LocalActor) -> list[Any]:
        space = (await session.execute(
            select(SpaceRecord).where(SpaceRecord.local_actor_id == local.id, SpaceRecord.deleted_at.is_(None))
        )).scalar_one_or_none()
        if space is None:
            return []
        records = await upcoming_records(session, space.id, events.ctx.clock.now(), limit=FEATURED_LIMIT)
        return [events.object_urls.event_id(space.username, record.id) for record in records]

    return items
