"""What reached a local space from others (``GET /api/v1/spaces/{u}/received``) and
what the instance's pages show "from the network"."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from federation.context import FederationContext

from .errors import ValidationFailed
from .event_models import ReceivedObject
from .remote_objects import OBJECT_TYPES
from .spaces import SpaceService

__all__ = ["ReceivedService", "received_json"]

PAGE_SIZE = 50


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def received_json(row: ReceivedObject) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.object_type,
        "object_id": row.object_id,
        "attributed_to": row.attributed_to,
        "origin": row.origin,
        "received_at": row.received_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "name": row.name,
        "summary": row.summary,
        "content": row.content,
        "url": row.url,
        "starts_at": _iso(row.starts_at),
        "ends_at": _iso(row.ends_at),
        "timezone": row.timezone,
        "status": row.status,
        "location": row.location,
        "online_url": row.online_url,
        "published": _iso(row.published),
    }


class ReceivedService:
    # The method ``list`` shadows the builtin in this class's annotations, hence ``builtins.list``.
    def __init__(self, ctx: FederationContext, spaces: SpaceService) -> None:
        self.ctx = ctx
        self.spaces = spaces

    async def list(self, username: str, *, kind: str | None = None, cursor: int | None = None,
                   limit: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int | None]:
        if kind is not None and kind not in OBJECT_TYPES:
            raise ValidationFailed([{"field": "type", "message": "must be Note or Event"}])
        async with self.ctx.db.sessions() as session:
            space = await self.spaces.get_record(session, username)
            query = select(ReceivedObject).where(ReceivedObject.local_actor_id == space.local_actor_id)
            if kind is not None:
                query = query.where(ReceivedObject.object_type == kind)
            if cursor is not None:
                query = query.where(ReceivedObject.id < cursor)
            rows = list((await session.scalars(query.order_by(ReceivedObject.id.desc()).limit(limit + 1))).all())
        return [received_json(row) for row in rows[:limit]], (rows[limit - 1].id if len(rows) > limit else None)

    async def network_events(self, *, limit: int = 50) -> builtins.list[ReceivedObject]:
        """Upcoming events from the network, once each however many spaces received them."""
        now = self.ctx.clock.now()
        async with self.ctx.db.sessions() as session:
            rows = (await session.scalars(
                select(ReceivedObject).where(
                    ReceivedObject.object_type == "Event",
                    or_(ReceivedObject.ends_at >= now, ReceivedObject.starts_at >= now),
                ).order_by(ReceivedObject.starts_at).limit(limit * 4)
            )).all()
        return _unique(rows)[:limit]

    async def network_notes(self, *, limit: int = 20) -> builtins.list[ReceivedObject]:
        async with self.ctx.db.sessions() as session:
            rows = (await session.scalars(
                select(ReceivedObject).where(ReceivedObject.object_type == "Note")
                .order_by(ReceivedObject.received_at.desc()).limit(limit * 4)
            )).all()
        return _unique(rows)[:limit]


def _unique(rows: Any) -> list[ReceivedObject]:
    seen: dict[str, ReceivedObject] = {}
    for row in rows:
        seen.setdefault(row.object_id, row)
    return list(seen.values())
