"""Follow relations both ways, and the activities that change them.

Incoming (`Follower`): a remote actor follows a local one; accepted at once
or kept pending until the operator decides. Outgoing (`Following`): a local
actor follows a remote one; pending until its `Accept` or `Reject` arrives,
`failed` (with the reason) when the target cannot be resolved.

Mastodon matches an `Accept` to its `Follow` by the Follow's id, so the
Accept we send embeds the original Follow with its id; we match theirs the
same way, by the id we gave our Follow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .actors import get_local_actor
from .context import FederationContext
from .delivery import enqueue_activity, new_activity_id
from .errors import FederationError, InvalidActivity, NotFound
from .models import Follower, Following, LocalActor, RemoteActor
from .remote_actors import RemoteActors, handle_of
from .vocab import AS2_CONTEXT

__all__ = [
    "FollowService",
    "Page",
    "accept_follower",
    "record_incoming_follow",
    "reject_follower",
]

log = logging.getLogger(__name__)

PENDING, ACCEPTED, REJECTED, FAILED = "pending", "accepted", "rejected", "failed"
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: int | None


def follow_object(follow_id: str, follower: str, followed: str) -> dict[str, Any]:
    return {"id": follow_id, "type": "Follow", "actor": follower, "object": followed}


def _activity(ctx: FederationContext, local: LocalActor, kind: str, obj: Any, to: str) -> dict[str, Any]:
    return {
        "@context": AS2_CONTEXT,
        "id": new_activity_id(ctx, local.username),
        "type": kind,
        "actor": ctx.urls.actor(local.username),
        "object": obj,
        "to": [to],
    }


async def _answer_follow(session: AsyncSession, ctx: FederationContext, local: LocalActor, row: Follower,
                         kind: str) -> None:
    remote = row.remote_actor
    follow = follow_object(row.follow_activity_id, remote.ap_id, ctx.urls.actor(local.username))
    activity = _activity(ctx, local, kind, follow, remote.ap_id)
    await enqueue_activity(session, ctx, actor=local, activity=activity, inboxes=[remote.inbox], in_outbox=False)


async def record_incoming_follow(session: AsyncSession, ctx: FederationContext, local: LocalActor,
                                 remote: RemoteActor, follow_id: str) -> Follower:
    """Store a `Follow` and, unless the local actor approves by hand, accept it."""
    now = ctx.clock.now()
    row = (await session.execute(
        select(Follower).where(Follower.local_actor_id == local.id, Follower.remote_actor_id == remote.id)
    )).scalar_one_or_none()
    if row is None:
        row = Follower(local_actor_id=local.id, remote_actor_id=remote.id, follow_activity_id=follow_id,
                       state=PENDING, created_at=now, updated_at=now)
        session.add(row)
    elif row.state == REJECTED or row.follow_activity_id != follow_id:
        # A new Follow after a reject or an unfollow elsewhere: ask again.
        row.follow_activity_id = follow_id
        row.state = ACCEPTED if row.state == ACCEPTED else PENDING
        row.updated_at = now
    row.remote_actor = remote
    await session.flush()
    if row.state == ACCEPTED or not local.manually_approves_followers:
        # Mastodon re-sends Follow when it lost our Accept: answering again is harmless.
        row.state = ACCEPTED
        await _answer_follow(session, ctx, local, row, "Accept")
    return row


async def accept_follower(session: AsyncSession, ctx: FederationContext, local: LocalActor, row: Follower) -> None:
    row.state = ACCEPTED
    row.updated_at = ctx.clock.now()
    await _answer_follow(session, ctx, local, row, "Accept")


async def reject_follower(session: AsyncSession, ctx: FederationContext, local: LocalActor, row: Follower) -> None:
    row.state = REJECTED
    row.updated_at = ctx.clock.now()
    await _answer_follow(session, ctx, local, row, "Reject")


def follower_item(row: Follower) -> dict[str, Any]:
    return {"id": row.id, "actor_id": row.remote_actor.ap_id, "handle": handle_of(row.remote_actor),
            "state": row.state, "error": None}


def following_item(row: Following) -> dict[str, Any]:
    remote = row.remote_actor
    return {"id": row.id, "actor_id": remote.ap_id if remote else None, "handle": handle_of(remote) if remote else None,
            "target": row.target, "state": row.state, "error": row.error}


class FollowService:
    """What the admin API asks of follow relations, per local username."""

    def __init__(self, ctx: FederationContext, actors: RemoteActors) -> None:
        self.ctx = ctx
        self.actors = actors

    async def _local(self, session: AsyncSession, username: str) -> LocalActor:
        local = await get_local_actor(session, username)
        if local is None:
            raise NotFound(f"no actor named {username!r}")
        return local

    async def follow(self, username: str, target: str) -> dict[str, Any]:
        """Resolve `target` and send a `Follow`; a failure is recorded on the row, not raised."""
        target = target.strip()
        if not target:
            raise InvalidActivity("target: an @user@host handle or an actor URL is required")
        async with self.ctx.db.sessions() as session:
            await self._local(session, username)
        try:
            remote: RemoteActor | None = await self.actors.resolve(target)
            error = None
        except FederationError as exc:
            remote, error = None, str(exc)
            log.info("follow of %s by %s failed: %s", target, username, error)
        async with self.ctx.db.transaction() as session:
            local = await self._local(session, username)
            if remote is not None:
                remote = await session.get(RemoteActor, remote.id)  # attached to this session
            if remote is not None and self.ctx.urls.is_local(remote.ap_id):
                remote, error = None, f"target: {target} is on this instance"
            row = await self._find(session, local, target, remote)
            now = self.ctx.clock.now()
            if row is None:
                row = Following(local_actor_id=local.id, target=target[:2048], created_at=now)
                session.add(row)
            elif row.state in (PENDING, ACCEPTED) and remote is not None and row.remote_actor_id == remote.id:
                return following_item(row)
            row.follow_activity_id = new_activity_id(self.ctx, username)
            row.remote_actor_id = remote.id if remote else None
            row.remote_actor = remote
            row.state = PENDING if remote else FAILED
            row.error = error
            row.updated_at = now
            await session.flush()
            if remote is not None:
                follow = follow_object(row.follow_activity_id, self.ctx.urls.actor(username), remote.ap_id)
                activity = {"@context": AS2_CONTEXT, **follow, "to": [remote.ap_id]}
                await enqueue_activity(session, self.ctx, actor=local, activity=activity, inboxes=[remote.inbox],
                                       in_outbox=False)
            return following_item(row)

    async def _find(self, session: AsyncSession, local: LocalActor, target: str,
                    remote: RemoteActor | None) -> Following | None:
        conditions = [Following.target == target]
        if remote is not None:
            conditions.append(Following.remote_actor_id == remote.id)
        else:
            known = await session.scalar(select(RemoteActor.id).where(RemoteActor.ap_id == target))
            if known is not None:
                conditions.append(Following.remote_actor_id == known)
        return (await session.execute(
            select(Following).where(Following.local_actor_id == local.id, or_(*conditions)).order_by(Following.id)
        )).scalars().first()

    async def unfollow(self, username: str, target: str) -> None:
        """`Undo(Follow)` to the followed actor, and forget the relation."""
        async with self.ctx.db.transaction() as session:
            local = await self._local(session, username)
            rows = await self._matching(session, local, target.strip())
            if not rows:
                raise NotFound(f"target: {username} does not follow {target!r}")
            for row in rows:
                remote = row.remote_actor
                if remote is not None and row.state in (PENDING, ACCEPTED) and remote.gone_at is None:
                    follow = follow_object(row.follow_activity_id, self.ctx.urls.actor(username), remote.ap_id)
                    activity = _activity(self.ctx, local, "Undo", follow, remote.ap_id)
                    await enqueue_activity(session, self.ctx, actor=local, activity=activity,
                                           inboxes=[remote.inbox], in_outbox=False)
                await session.delete(row)

    async def _matching(self, session: AsyncSession, local: LocalActor, target: str) -> list[Following]:
        rows = (await session.execute(select(Following).where(Following.local_actor_id == local.id))).scalars()
        wanted = target.lstrip("@").lower()
        return [
            row for row in rows
            if row.target == target
            or (row.remote_actor is not None and (
                row.remote_actor.ap_id == target or (handle_of(row.remote_actor) or "").lstrip("@").lower() == wanted))
        ]

    async def decide(self, username: str, follower_id: int, *, accept: bool) -> dict[str, Any]:
        async with self.ctx.db.transaction() as session:
            local = await self._local(session, username)
            row = await session.get(Follower, follower_id)
            if row is None or row.local_actor_id != local.id:
                raise NotFound(f"no follow request {follower_id} for {username}")
            if accept:
                await accept_follower(session, self.ctx, local, row)
            else:
                await reject_follower(session, self.ctx, local, row)
            return follower_item(row)

    async def followers(self, username: str, *, cursor: int | None, pending_only: bool = False,
                        limit: int = PAGE_SIZE) -> Page:
        async with self.ctx.db.sessions() as session:
            local = await self._local(session, username)
            query = select(Follower).where(Follower.local_actor_id == local.id)
            if pending_only:
                query = query.where(Follower.state == PENDING)
            if cursor is not None:
                query = query.where(Follower.id > cursor)
            rows = list((await session.execute(query.order_by(Follower.id).limit(limit + 1))).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([follower_item(r) for r in rows], rows[-1].id if more else None)

    async def following(self, username: str, *, cursor: int | None, limit: int = PAGE_SIZE) -> Page:
        async with self.ctx.db.sessions() as session:
            local = await self._local(session, username)
            query = select(Following).where(Following.local_actor_id == local.id)
            if cursor is not None:
                query = query.where(Following.id > cursor)
            rows = list((await session.execute(query.order_by(Following.id).limit(limit + 1))).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([following_item(r) for r in rows], rows[-1].id if more else None)


async def drop_relations(session: AsyncSession, remote_actor_id: int, *, local_actor_id: int | None = None) -> None:
    """Forget follows both ways with a remote actor (Delete, Block)."""
    followers = delete(Follower).where(Follower.remote_actor_id == remote_actor_id)
    followings = delete(Following).where(Following.remote_actor_id == remote_actor_id)
    if local_actor_id is not None:
        followers = followers.where(Follower.local_actor_id == local_actor_id)
        followings = followings.where(Following.local_actor_id == local_actor_id)
    await session.execute(followers)
    await session.execute(followings)
