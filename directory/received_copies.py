"""A local space's copy of an object another actor sent or addressed to it: one
``ReceivedObject`` row per (space, object id), made on first receipt and refreshed
from every later version. Remote ingest and local notes that mention a local space
both write through here, so the two kinds of copy cannot drift apart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .event_models import ReceivedObject
from .remote_objects import ParsedObject, host_of

__all__ = ["store_copy"]


async def store_copy(
    session: AsyncSession, local_actor_id: int, parsed: ParsedObject, author: str, now: datetime
) -> ReceivedObject:
    row = (await session.execute(select(ReceivedObject).where(
        ReceivedObject.local_actor_id == local_actor_id, ReceivedObject.object_id == parsed.id,
    ))).scalar_one_or_none()
    if row is None:
        row = ReceivedObject(local_actor_id=local_actor_id, object_id=parsed.id, received_at=now)
        session.add(row)
    _fill(row, parsed, author)
    row.updated_at = now
    return row


def _fill(row: ReceivedObject, parsed: ParsedObject, author: str) -> None:
    row.object_type = parsed.type
    row.attributed_to = author
    row.origin = host_of(parsed.id)
    row.name = parsed.name
    row.summary = parsed.summary
    row.content = parsed.content
    row.url = parsed.url
    row.starts_at = parsed.starts_at
    row.ends_at = parsed.ends_at
    row.timezone = parsed.timezone
    row.status = parsed.status
    row.location = parsed.location
    row.online_url = parsed.online_url
    row.published = parsed.published
