"""Background work of the network view, as worker task handlers.

* ``directory.refresh`` (payload ``actor_id``): fetch a remote space again; a 410 unlists
  it within that worker cycle, an unreachable host is marked (``NetworkListings.refresh``).
* ``directory.crawl`` (every instance): on a hub, one discovery crawl first; then refreshes
  of stale listings, then the next one queued ``crawl_interval`` later: the task keeps
  itself alive. Without it an ordinary instance would keep a followed space that sends
  no `Update` only until the 30-day cut-off, never noticing it is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.context import FederationContext
from federation.models import Task
from federation.tasks import QUEUED, enqueue_task

from .crawl import Crawler
from .listing_models import DirectoryListing
from .network import NetworkListings

__all__ = ["CRAWL", "REFRESH", "NetworkTasks", "schedule_crawl"]

log = logging.getLogger(__name__)

CRAWL = "directory.crawl"
REFRESH = "directory.refresh"


async def schedule_crawl(session: AsyncSession, ctx: FederationContext, delay: timedelta,
                         *, running: int | None = None) -> bool:
    """Queue the next crawl unless one is queued already (``running``: the task now running, not counted)."""
    query = select(Task.id).where(Task.kind == CRAWL, Task.state == QUEUED)
    if running is not None:
        query = query.where(Task.id != running)
    if await session.scalar(query.limit(1)) is not None:
        return False
    await enqueue_task(session, ctx, CRAWL, {}, run_at=ctx.clock.now() + delay)
    return True


@dataclass
class NetworkTasks:
    ctx: FederationContext
    network: NetworkListings
    crawler: Crawler | None = None
    crawl_interval: timedelta = timedelta(hours=6)
    refresh_after: timedelta = timedelta(days=1)
    max_refreshes: int = 200

    def handlers(self) -> dict[str, Callable[[Task], Awaitable[None]]]:
        return {REFRESH: self.refresh, CRAWL: self.crawl}

    async def refresh(self, task: Task) -> None:
        actor_id = task.payload.get("actor_id")
        if isinstance(actor_id, str):
            await self.network.refresh(actor_id)

    async def crawl(self, task: Task) -> None:
        try:
            if self.crawler is not None:
                await self.crawler.crawl()
            await self.queue_stale_refreshes()
        finally:
            async with self.ctx.db.transaction() as session:
                await schedule_crawl(session, self.ctx, self.crawl_interval, running=task.id)

    async def queue_stale_refreshes(self) -> int:
        """One refresh task per remote listing not seen for ``refresh_after``."""
        cutoff = self.ctx.clock.now() - self.refresh_after
        async with self.ctx.db.transaction() as session:
            stale = (await session.scalars(
                select(DirectoryListing.actor_id)
                .where(DirectoryListing.is_local.is_(False), DirectoryListing.last_seen_at < cutoff)
                .order_by(DirectoryListing.last_seen_at).limit(self.max_refreshes))).all()
            for actor_id in stale:
                await enqueue_task(session, self.ctx, REFRESH, {"actor_id": actor_id},
                                   dedupe_key=f"{REFRESH}:{actor_id}")
        return len(stale)
