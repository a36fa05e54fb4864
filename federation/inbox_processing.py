"""What the worker does with a stored inbox activity (`InboxProcessor` is its `inbox_handler`).

The activity was verified and checked for origin when it arrived; here it
is applied. Types nobody handles are accepted and ignored. Other layers add
handlers (`register`) for what they care about (`Create`, `Announce`, ...).
Raising makes the worker retry the row later; returning marks it done.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .actors import get_local_actor
from .context import FederationContext
from .errors import InvalidActivity, RemoteGone
from .follows import drop_relations, record_incoming_follow
from .models import Follower, Following, InboxActivity, LocalActor, RemoteActor
from .remote_actors import ACTOR_TYPES, RemoteActors, parse_actor

__all__ = ["InboxProcessor", "ReceivedActivity"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceivedActivity:
    """A stored activity, decoded: what handlers get."""

    row_id: int
    id: str | None
    type: str
    actor: str
    recipient: str | None
    document: dict[str, Any]

    @property
    def object(self) -> Any:
        return self.document.get("object")

    @property
    def object_id(self) -> str | None:
        obj = self.object
        if isinstance(obj, dict):
            obj = obj.get("id")
        return obj if isinstance(obj, str) else None

    @property
    def object_type(self) -> str | None:
        obj = self.object
        kind = obj.get("type") if isinstance(obj, dict) else None
        return kind if isinstance(kind, str) else None


Handler = Callable[[ReceivedActivity], Awaitable[None]]


class InboxProcessor:
    def __init__(self, ctx: FederationContext, actors: RemoteActors) -> None:
        self.ctx = ctx
        self.actors = actors
        self._handlers: dict[str, list[Handler]] = {}
        for kind, handler in (
            ("Follow", self._follow),
            ("Undo", self._undo),
            ("Accept", self._accept),
            ("Reject", self._reject),
            ("Update", self._update),
            ("Delete", self._delete),
            ("Block", self._block),
        ):
            self.register(kind, handler)

    def register(self, activity_type: str, handler: Handler) -> None:
        self._handlers.setdefault(activity_type, []).append(handler)

    async def __call__(self, row: InboxActivity) -> None:
        activity = ReceivedActivity(
            row_id=row.id, id=row.activity_id, type=row.activity_type, actor=row.actor_id,
            recipient=row.recipient_username, document=orjson.loads(row.body),
        )
        handlers = self._handlers.get(activity.type, [])
        if not handlers:
            log.debug("ignored %s %s", activity.type, activity.id)
        for handler in handlers:
            await handler(activity)

    # ---- helpers ----
    async def _local_target(self, session: AsyncSession, actor_id: str | None) -> LocalActor | None:
        username = self.ctx.urls.username_of(actor_id) if actor_id else None
        return await get_local_actor(session, username) if username else None

    async def _known(self, session: AsyncSession, actor_id: str) -> RemoteActor | None:
        return (await session.execute(select(RemoteActor).where(RemoteActor.ap_id == actor_id))).scalar_one_or_none()

    # ---- handlers ----
    async def _follow(self, activity: ReceivedActivity) -> None:
        if activity.id is None:
            raise InvalidActivity("a Follow without an id cannot be accepted (the Accept must name it)")
        try:
            remote = await self.actors.get(activity.actor)
        except RemoteGone:
            return
        async with self.ctx.db.transaction() as session:
            local = await self._local_target(session, activity.object_id)
            if local is None:
                log.info("Follow %s names no local actor (%s)", activity.id, activity.object_id)
                return
            remote = await session.get(RemoteActor, remote.id)
            if remote is None:
                return
            await record_incoming_follow(session, self.ctx, local, remote, activity.id)

    async def _undo(self, activity: ReceivedActivity) -> None:
        if activity.object_type == "Block":
            async with self.ctx.db.transaction() as session:
                await session.execute(
                    update(RemoteActor).where(RemoteActor.ap_id == activity.actor).values(blocked_us_at=None)
                )
            return
        if activity.object_type not in (None, "Follow"):
            return
        follow_id = activity.object_id
        async with self.ctx.db.transaction() as session:
            remote = await self._known(session, activity.actor)
            if remote is None:
                return
            query = select(Follower).where(Follower.remote_actor_id == remote.id)
            obj = activity.object
            local = await self._local_target(session, obj.get("object") if isinstance(obj, dict) else None)
            if local is not None:
                query = query.where(Follower.local_actor_id == local.id)
            elif follow_id is not None:
                query = query.where(Follower.follow_activity_id == follow_id)
            else:
                return
            for row in list((await session.execute(query)).scalars()):
                await session.delete(row)

    async def _our_follow(self, session: AsyncSession, activity: ReceivedActivity) -> Following | None:
        """The Following an Accept/Reject answers: by our Follow's id, else by who follows whom."""
        remote = await self._known(session, activity.actor)
        if remote is None:
            return None
        query = select(Following).where(Following.remote_actor_id == remote.id)
        follow_id = activity.object_id
        if follow_id is not None and self.ctx.urls.is_local(follow_id):
            return (await session.execute(query.where(Following.follow_activity_id == follow_id))).scalar_one_or_none()
        obj = activity.object
        local = await self._local_target(session, obj.get("actor") if isinstance(obj, dict) else None)
        if local is None:
            return None
        return (await session.execute(query.where(Following.local_actor_id == local.id))).scalars().first()

    async def _accept(self, activity: ReceivedActivity) -> None:
        await self._answer(activity, "accepted")

    async def _reject(self, activity: ReceivedActivity) -> None:
        await self._answer(activity, "rejected")

    async def _answer(self, activity: ReceivedActivity, state: str) -> None:
        async with self.ctx.db.transaction() as session:
            row = await self._our_follow(session, activity)
            if row is None:
                log.info("%s %s answers no follow of ours", activity.type, activity.id)
                return
            row.state = state
            row.error = None
            row.updated_at = self.ctx.clock.now()

    async def _update(self, activity: ReceivedActivity) -> None:
        obj = activity.object
        if not (isinstance(obj, dict) and activity.object_id == activity.actor and obj.get("type") in ACTOR_TYPES):
            return
        # The embedded actor is on the signer's own host and is the signer: trusted as is.
        try:
            parsed = parse_actor(obj, fetched_from=activity.actor)
        except InvalidActivity as exc:
            log.info("Update of %s ignored: %s", activity.actor, exc)
            return
        async with self.ctx.db.sessions() as session:
            known = await self._known(session, activity.actor)
        if known is None:
            return  # nobody here cares about this actor
        self.actors.forget_key(known.public_key_id)
        await self.actors.store(parsed)

    async def _delete(self, activity: ReceivedActivity) -> None:
        if activity.object_id != activity.actor:
            return  # a deleted post: not ours to handle here
        async with self.ctx.db.transaction() as session:
            remote = await self._known(session, activity.actor)
            if remote is None:
                return
            await drop_relations(session, remote.id)
            self.actors.forget_key(remote.public_key_id)
            await session.execute(
                update(RemoteActor).where(RemoteActor.id == remote.id).values(gone_at=self.ctx.clock.now())
            )

    async def _block(self, activity: ReceivedActivity) -> None:
        async with self.ctx.db.transaction() as session:
            local = await self._local_target(session, activity.object_id)
            remote = await self._known(session, activity.actor)
            if local is None or remote is None:
                return
            # Both ways: they no longer follow us, and we no longer follow (or deliver to) them.
            await drop_relations(session, remote.id, local_actor_id=local.id)
            remote.blocked_us_at = self.ctx.clock.now()
