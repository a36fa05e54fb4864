"""Generic background tasks (fetch, refresh, crawl), queued in the caller's transaction."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .context import FederationContext
from .models import Task
from .queue import nudge_after_commit

__all__ = ["QUEUED", "enqueue_task"]

logger = logging.getLogger(__name__)

QUEUED = "queued"


async def enqueue_task(
    session: AsyncSession,
    ctx: FederationContext,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    run_at: datetime | None = None,
) -> None:
    """Queue a task; with ``dedupe_key``, a task already queued under that key is kept instead
    (a finished one is re-armed, so "refresh X" can be asked for again later)."""
    now = ctx.clock.now()
    due = run_at or now
    if dedupe_key is not None:
        existing = await session.scalar(select(Task).where(Task.dedupe_key == dedupe_key))
        if existing is not None:
            if existing.state != QUEUED:
                existing.state = QUEUED
                existing.kind = kind
                existing.payload = payload
                existing.attempts = 0
                existing.error = None
                existing.next_attempt_at = due
                nudge_after_commit(session, ctx.db.url)
            elif due < existing.next_attempt_at:
                existing.next_attempt_at = due
            return
    session.add(
        Task(
            kind=kind,
            dedupe_key=dedupe_key,
            payload=payload,
            state=QUEUED,
            attempts=0,
            next_attempt_at=due,
            created_at=now,
        )
    )
    await session.flush()
    nudge_after_commit(session, ctx.db.url)
    logger.debug("queued task %s (%s)", kind, dedupe_key or "no key")
