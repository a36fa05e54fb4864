"""A space's FEP-8a8e ``upcomingEvents``: an ``OrderedCollection`` of its future and
ongoing events by ascending start, each embedded whole.

``featured`` lists the same events by id (Mastodon resolves each as a pinned post);
here calendar readers get every ``Event`` in one fetch, so the collection carries
the events' own context (``OBJECT_CONTEXT``) and each item drops its copy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from federation.actors import get_local_actor

from .event_document import OBJECT_CONTEXT
from .events import EventService, ObjectDocument, upcoming_records
from .models import SpaceRecord

__all__ = ["UPCOMING_LIMIT", "upcoming_events_document"]

UPCOMING_LIMIT = 100


async def upcoming_events_document(events: EventService, username: str) -> ObjectDocument | None:
    """The collection at ``ActorUrls.upcoming_events``; None when no such space ever existed here."""
    ctx = events.ctx
    collection_id = f"{ctx.urls.actor(username)}/collections/upcoming-events"
    async with ctx.db.sessions() as session:
        local = await get_local_actor(session, username, include_deleted=True)
        if local is None:
            return None
        space = (await session.execute(
            select(SpaceRecord).where(SpaceRecord.local_actor_id == local.id)
        )).scalar_one_or_none()
        if space is None:
            return None
        if local.deleted_at is not None or space.deleted_at is not None:
            return ObjectDocument(410, {"@context": list(OBJECT_CONTEXT), "id": collection_id, "type": "Tombstone"})
        records = await upcoming_records(session, space.id, ctx.clock.now(), limit=UPCOMING_LIMIT)
        items: list[dict[str, Any]] = [events.document(space, record, with_context=False) for record in records]
    return ObjectDocument(200, {
        "@context": list(OBJECT_CONTEXT), "id": collection_id, "type": "OrderedCollection",
        "attributedTo": ctx.urls.actor(username), "totalItems": len(items), "orderedItems": items,
    })
