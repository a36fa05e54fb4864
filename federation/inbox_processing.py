"""What the worker does with a stored inbox activity (`InboxProcessor` is its `inbox_handler`).

The activity was verified and checked for origin when it arrived; here it
is applied. Types nobody handles are accepted and ignored. Other layers add
handlers (`register`) for what they care about (`Create`, `Announce`, ...).
Raising makes the worker retry the row later; returning marks it done.

Batches (`process_batch`, what the worker calls): the rows of one claim are
applied in the order they arrived, so an `Undo` never overtakes its `Follow`.
Consecutive `Follow`/`Undo`/`Accept`/`Reject` rows (when nobody registered
extra handlers for them) share one transaction instead of one each, with the
batch's remote actors looked up in one query; any other row runs alone, in its
place. If a row of a shared transaction fails, the whole transaction is
rolled back and its rows are run one at a time, so only the failing one is
retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .actors import get_local_actor
from .context import FederationContext
from .errors import InvalidActivity, RemoteGone
from .follow_batches import FollowingActor, IncomingFollow, record_incoming_follows
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
# The types whose built-in handling can share a transaction with its neighbours.
_BATCHED = frozenset({"Follow", "Undo", "Accept", "Reject"})


@dataclass
class _Batch:
    """What one shared transaction has looked up already."""

    remotes: dict[str, FollowingActor] = field(default_factory=dict)  # by ap_id; gone ones left out
    locals: dict[str, LocalActor | None] = field(default_factory=dict)  # by actor URL


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
        await self._run_one(_received(row))

    async def _run_one(self, activity: ReceivedActivity) -> None:
        handlers = self._handlers.get(activity.type, [])
        if not handlers:
            log.debug("ignored %s %s", activity.type, activity.id)
        for handler in handlers:
            await handler(activity)

    # ---- batches ----
    async def process_batch(self, rows: Sequence[InboxActivity]) -> list[Exception | None]:
        """Apply ``rows`` in order; for each, None (done) or the exception that makes the worker retry it."""
        results: list[Exception | None] = [None] * len(rows)
        decoded: list[ReceivedActivity | None] = []
        for n, row in enumerate(rows):
            try:
                decoded.append(_received(row))
            except Exception as exc:  # the worker boundary: a row that cannot be read is retried, then failed
                decoded.append(None)
                results[n] = exc
        start = 0
        while start < len(rows):
            activity = decoded[start]
            if activity is None:
                start += 1
            elif not self._batchable(activity):
                results[start] = await _outcome(self._run_one(activity))
                start += 1
            else:
                end = start + 1
                while end < len(rows) and (following := decoded[end]) is not None and self._batchable(following):
                    end += 1
                segment = [a for a in decoded[start:end] if a is not None]
                results[start:end] = await self._run_segment(segment)
                start = end
        return results

    def _batchable(self, activity: ReceivedActivity) -> bool:
        return activity.type in _BATCHED and len(self._handlers.get(activity.type, ())) == 1

    async def _run_segment(self, segment: list[ReceivedActivity]) -> list[Exception | None]:
        if len(segment) > 1:
            try:
                batch = await self._prepare(segment)
                async with self.ctx.db.transaction() as session:
                    follows: list[IncomingFollow] = []  # a run of consecutive Follows, applied in bulk
                    for activity in segment:
                        if activity.type == "Follow":
                            follow = await self._incoming_follow(session, activity, batch)
                            if follow is not None:
                                follows.append(follow)
                            continue
                        await record_incoming_follows(session, self.ctx, follows)
                        follows = []
                        await self._apply(session, activity, batch)
                    await record_incoming_follows(session, self.ctx, follows)
                return [None] * len(segment)
            except Exception as exc:  # rolled back: find the culprit one row at a time
                log.info("inbox batch of %d rolled back (%s); running its rows one by one", len(segment), exc)
        return [await _outcome(self._run_one(activity)) for activity in segment]

    async def _prepare(self, segment: list[ReceivedActivity]) -> _Batch:
        """The Follows' actors, from the database in one query, else fetched (outside any transaction)."""
        batch = _Batch()
        wanted = {a.actor for a in segment if a.type == "Follow"}
        if not wanted:
            return batch
        # Only what IncomingFollow reads, as plain rows: neither the stored documents (JSON, kilobytes
        # each) nor an ORM object per actor (a run of 150 Follows spent more on those than on its query).
        async with self.ctx.db.read_engine.connect() as connection:
            found = (await connection.execute(
                select(RemoteActor.id, RemoteActor.ap_id, RemoteActor.inbox)
                .where(RemoteActor.ap_id.in_(wanted), RemoteActor.gone_at.is_(None))
            )).all()
        batch.remotes = {row.ap_id: FollowingActor(row.id, row.ap_id, row.inbox) for row in found}
        for actor_id in sorted(wanted - batch.remotes.keys()):
            try:
                batch.remotes[actor_id] = FollowingActor.of(await self.actors.get(actor_id))
            except RemoteGone:
                pass  # its Follow is dropped, as when handled alone
        return batch

    async def _incoming_follow(self, session: AsyncSession, activity: ReceivedActivity,
                               batch: _Batch) -> IncomingFollow | None:
        """What `_apply_follow` checks, for the bulk path (`federation.follow_batches`)."""
        if activity.id is None:
            raise InvalidActivity("a Follow without an id cannot be accepted (the Accept must name it)")
        remote = batch.remotes.get(activity.actor)
        if remote is None:
            return None
        local = await self._local_target(session, activity.object_id, batch.locals)
        if local is None:
            log.info("Follow %s names no local actor (%s)", activity.id, activity.object_id)
            return None
        return IncomingFollow(activity.id, local, remote)

    async def _apply(self, session: AsyncSession, activity: ReceivedActivity, batch: _Batch) -> None:
        if activity.type == "Undo":
            await self._apply_undo(session, activity)
        else:
            await self._apply_answer(session, activity, "accepted" if activity.type == "Accept" else "rejected")

    # ---- helpers ----
    async def _local_target(self, session: AsyncSession, actor_id: str | None,
                            cache: dict[str, LocalActor | None] | None = None) -> LocalActor | None:
        if cache is not None and actor_id in cache:
            return cache[actor_id]
        username = self.ctx.urls.username_of(actor_id) if actor_id else None
        local = await get_local_actor(session, username) if username else None
        if cache is not None and actor_id is not None:
            cache[actor_id] = local
        return local

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
            await self._apply_follow(session, activity, remote.id, None)

    async def _apply_follow(self, session: AsyncSession, activity: ReceivedActivity, remote_id: int,
                            locals_: dict[str, LocalActor | None] | None) -> None:
        if activity.id is None:
            raise InvalidActivity("a Follow without an id cannot be accepted (the Accept must name it)")
        local = await self._local_target(session, activity.object_id, locals_)
        if local is None:
            log.info("Follow %s names no local actor (%s)", activity.id, activity.object_id)
            return
        remote = await session.get(RemoteActor, remote_id)
        if remote is None or remote.gone_at is not None:
            return
        await record_incoming_follow(session, self.ctx, local, remote, activity.id)

    async def _undo(self, activity: ReceivedActivity) -> None:
        async with self.ctx.db.transaction() as session:
            await self._apply_undo(session, activity)

    async def _apply_undo(self, session: AsyncSession, activity: ReceivedActivity) -> None:
        if activity.object_type == "Block":
            await session.execute(
                update(RemoteActor).where(RemoteActor.ap_id == activity.actor).values(blocked_us_at=None)
            )
            return
        if activity.object_type not in (None, "Follow"):
            return
        follow_id = activity.object_id
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
            await self._apply_answer(session, activity, state)

    async def _apply_answer(self, session: AsyncSession, activity: ReceivedActivity, state: str) -> None:
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


def _received(row: InboxActivity) -> ReceivedActivity:
    return ReceivedActivity(
        row_id=row.id, id=row.activity_id, type=row.activity_type, actor=row.actor_id,
        recipient=row.recipient_username, document=orjson.loads(row.body),
    )


async def _outcome(work: Awaitable[None]) -> Exception | None:
    try:
        await work
    except Exception as exc:  # the worker boundary: the error goes on the row
        return exc
    return None
