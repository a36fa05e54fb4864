"""Instance-wide blocks of a remote actor or of a whole domain.

A block is checked in three places: the inbox drops what a blocked actor or
domain sends (answering 202 as if stored, so the blocked side learns nothing
and does not retry — Mastodon does the same), `follower_inboxes` skips their
inboxes, and adding a block forgets the follows both ways. Blocking one actor
also sends it a `Block` activity, as Mastodon does, from each local actor that
had a relation with it (else from the instance actor), so its server drops
the follows on its side too; removing the block sends an `Undo` of each. A
domain block sends nothing: there is no one actor to address.

The inbox asks on every request, so the blocked set is cached in memory; a
change made by this process clears it at once, one made by another process
(an external worker, a second web process) is seen within `CACHE_SECONDS`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from .actors import INSTANCE_ACTOR_USERNAME, get_local_actor
from .context import FederationContext
from .delivery import enqueue_activity, new_activity_id
from .errors import FederationError, InvalidActivity, NotFound
from .models import Block, Follower, Following, LocalActor, OutgoingActivity, RemoteActor
from .remote_actors import RemoteActors, host_of
from .vocab import AS2_CONTEXT
from .webfinger import parse_handle

__all__ = ["BlockConflict", "BlockList", "BlockView", "claimed_actor", "normalize_domain"]

log = logging.getLogger(__name__)

CACHE_SECONDS = 10.0


class BlockConflict(FederationError):
    """The actor or domain is blocked already."""


@dataclass(frozen=True)
class BlockView:
    id: int
    actor_id: str | None
    domain: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "actor_id": self.actor_id, "domain": self.domain,
                "created_at": self.created_at.isoformat()}


def normalize_domain(text: str) -> str:
    """`Example.org`, `*.example.org`, `https://example.org/x` → `example.org` (a port is kept)."""
    text = text.strip().lower()
    if text.startswith(("http://", "https://")):
        text = urlsplit(text).netloc
    text = text.removeprefix("*.").removeprefix(".").rsplit("@", 1)[-1].strip("/")
    if not text or any(c in text for c in " /?#\\") or len(text) > 255 or "." not in text and ":" not in text:
        raise InvalidActivity(f"domain: {text or 'an empty value'!r} is not a domain like example.org")
    return text


def _domain_matches(host: str, domains: frozenset[str]) -> bool:
    if host in domains:
        return True
    bare = host.split(":", 1)[0]
    if bare in domains:
        return True
    # A block of example.org covers social.example.org.
    parts = bare.split(".")
    return any(".".join(parts[i:]) in domains for i in range(1, len(parts) - 1))


def claimed_actor(body: bytes) -> str | None:
    """The `actor` a body claims, unverified; enough to drop it (a false claim only drops itself)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    actor = data.get("actor") if isinstance(data, dict) else None
    if isinstance(actor, dict):
        actor = actor.get("id")
    return actor if isinstance(actor, str) else None


class BlockList:
    """Adding, removing and checking blocks, per instance."""

    def __init__(self, ctx: FederationContext, actors: RemoteActors) -> None:
        self.ctx = ctx
        self.actors = actors
        self._cache: tuple[float, frozenset[str], frozenset[str]] | None = None

    # --- checking (the inbox's hot path) ---

    async def _sets(self) -> tuple[frozenset[str], frozenset[str]]:
        cached = self._cache
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1], cached[2]
        async with self.ctx.db.sessions() as session:
            rows = (await session.execute(select(Block.actor_id, Block.domain))).all()
        actors = frozenset(a for a, _ in rows if a)
        domains = frozenset(d for _, d in rows if d)
        self._cache = (time.monotonic(), actors, domains)
        return actors, domains

    async def is_blocked(self, actor_id: str) -> bool:
        actors, domains = await self._sets()
        if not actors and not domains:
            return False
        return actor_id in actors or _domain_matches(host_of(actor_id), domains)

    async def blocks_body(self, body: bytes) -> bool:
        """Whether an inbox body comes from a blocked actor; parses nothing while no block exists."""
        actors, domains = await self._sets()
        if not actors and not domains:
            return False
        actor = claimed_actor(body)
        return actor is not None and await self.is_blocked(actor)

    # --- listing and changing ---

    async def list(self) -> list[BlockView]:
        async with self.ctx.db.sessions() as session:
            rows = (await session.scalars(select(Block).order_by(Block.id.desc()))).all()
        return [BlockView(r.id, r.actor_id, r.domain, r.created_at) for r in rows]

    async def block_domain(self, text: str) -> BlockView:
        domain = normalize_domain(text)
        if domain == self.ctx.urls.domain.lower():
            raise InvalidActivity("domain: this is the domain of this instance")
        async with self.ctx.db.transaction() as session:
            row = await self._insert(session, Block(domain=domain, created_at=self.ctx.clock.now()))
            remote_ids = select(RemoteActor.id).where(
                or_(RemoteActor.domain == domain, RemoteActor.domain.like(f"%.{domain}")))
            await session.execute(delete(Follower).where(Follower.remote_actor_id.in_(remote_ids)))
            await session.execute(delete(Following).where(Following.remote_actor_id.in_(remote_ids)))
        self._cache = None
        log.info("blocked domain %s", domain)
        return row

    async def block_actor(self, target: str) -> BlockView:
        """`@user@host` or an actor URL. An unresolvable URL is blocked all the same (nothing to notify)."""
        target = target.strip()
        remote: RemoteActor | None = None
        try:
            remote = await self.actors.resolve(target)
        except FederationError as exc:
            if parse_handle(target) is not None or not target.startswith(("http://", "https://")):
                raise InvalidActivity(f"actor: {target} could not be found ({exc})") from None
            log.info("blocking %s without notifying it: %s", target, exc)
        actor_id = remote.ap_id if remote is not None else target
        if self.ctx.urls.is_local(actor_id):
            raise InvalidActivity("actor: this actor is on this instance")
        async with self.ctx.db.transaction() as session:
            row = await self._insert(session, Block(actor_id=actor_id, created_at=self.ctx.clock.now()))
            if remote is not None:
                remote = await session.get(RemoteActor, remote.id)
            if remote is not None:
                await self._notify_and_drop(session, remote)
        self._cache = None
        log.info("blocked actor %s", actor_id)
        return row

    async def _insert(self, session: AsyncSession, block: Block) -> BlockView:
        existing = await session.scalar(select(Block.id).where(
            Block.actor_id == block.actor_id if block.actor_id else Block.domain == block.domain))
        if existing is not None:
            raise BlockConflict(f"{block.actor_id or block.domain} is blocked already")
        session.add(block)
        try:
            await session.flush()
        except IntegrityError:  # blocked at the same moment by another request
            raise BlockConflict(f"{block.actor_id or block.domain} is blocked already") from None
        return BlockView(block.id, block.actor_id, block.domain, block.created_at)

    async def _notify_and_drop(self, session: AsyncSession, remote: RemoteActor) -> None:
        related = set(await session.scalars(
            select(Follower.local_actor_id).where(Follower.remote_actor_id == remote.id)))
        related |= set(await session.scalars(
            select(Following.local_actor_id).where(Following.remote_actor_id == remote.id)))
        senders: list[LocalActor] = []
        for local_id in sorted(related):
            local = await session.get(LocalActor, local_id)
            if local is not None and local.deleted_at is None:
                senders.append(local)
        if not senders:
            instance = await get_local_actor(session, INSTANCE_ACTOR_USERNAME)
            senders = [instance] if instance is not None else []
        for local in senders:
            activity = {"@context": AS2_CONTEXT, "id": new_activity_id(self.ctx, local.username), "type": "Block",
                        "actor": self.ctx.urls.actor(local.username), "object": remote.ap_id, "to": [remote.ap_id]}
            await enqueue_activity(session, self.ctx, actor=local, activity=activity, inboxes=[remote.inbox],
                                   in_outbox=False)
        await session.execute(delete(Follower).where(Follower.remote_actor_id == remote.id))
        await session.execute(delete(Following).where(Following.remote_actor_id == remote.id))

    async def unblock(self, block_id: int) -> None:
        async with self.ctx.db.transaction() as session:
            row = await session.get(Block, block_id)
            if row is None:
                raise NotFound(f"no block {block_id}")
            if row.actor_id is not None:
                await self._undo_blocks_sent(session, row.actor_id)
            await session.delete(row)
        self._cache = None

    async def _undo_blocks_sent(self, session: AsyncSession, actor_id: str) -> None:
        """Undo every `Block` sent to the actor, from the actor that sent it (Mastodon does the same on
        unblock, and clears its "blocked by" mark when the Undo comes)."""
        remote = await session.scalar(select(RemoteActor).where(RemoteActor.ap_id == actor_id))
        if remote is None or remote.gone_at is not None or not remote.inbox:
            return
        sent = (await session.execute(
            select(OutgoingActivity.body, LocalActor)
            .join(LocalActor, LocalActor.id == OutgoingActivity.local_actor_id)
            .where(OutgoingActivity.activity_type == "Block", OutgoingActivity.object_id == actor_id)
            .order_by(OutgoingActivity.id)
        )).all()
        for body, local in sent:
            if local.deleted_at is not None:
                continue
            block = orjson.loads(body)
            block.pop("@context", None)
            activity = {"@context": AS2_CONTEXT, "id": new_activity_id(self.ctx, local.username), "type": "Undo",
                        "actor": self.ctx.urls.actor(local.username), "object": block, "to": [actor_id]}
            await enqueue_activity(session, self.ctx, actor=local, activity=activity, inboxes=[remote.inbox],
                                   in_outbox=False)
            log.info("sent Undo(Block) of %s from %s", actor_id, local.username)

