"""A space's ``featured`` collection: its upcoming events, soonest first.

Mastodon shows an account's featured items as pinned posts, so a space's next
events stay at the top of its profile there. The items are embedded, so a reader
needs no further fetch; FEP-8a8e's ``upcomingEvents`` has the same order."""

from __future__ import annotations

from typing import Any

from federation.vocab import AS2_CONTEXT

from .events import EventService, upcoming_records
from .event_document import OBJECT_CONTEXT

__all__ = ["FEATURED_LIMIT", "featured_collection"]

# Mastodon keeps at most 5 pins per account; a few more costs little and serves other readers.
FEATURED_LIMIT = 10


async def featured_collection(events: EventService, username: str) -> dict[str, Any]:
    """The collection document; NotFound/Gone when there is no such space."""
    ctx = events.ctx
    async with ctx.db.sessions() as session:
        space = await events.spaces.get_record(session, username)
        records = await upcoming_records(session, space.id, ctx.clock.now(), limit=FEATURED_LIMIT)
        items = [events.document(space, record, with_context=False) for record in records]
    return {
        "@context": list(OBJECT_CONTEXT) if items else AS2_CONTEXT,
        "id": ctx.urls.featured(username),
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
