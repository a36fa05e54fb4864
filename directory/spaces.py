"""Local coworking spaces: create, read, update, delete, list.

Each space is a local `Organization` actor; this module keeps its profile and
hands federation the work a change causes (see `directory.publishing`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pydantic
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import create_local_actor
from federation.context import FederationContext
from federation.delivery import enqueue_activity, follower_inboxes, new_activity_id
from federation.models import Following, LocalActor, RemoteActor
from federation.vocab import AS2_CONTEXT, PUBLIC

from .errors import Conflict, Gone, NotFound, ValidationFailed
from .indexing import index_local_space, remove_listing
from .actor_documents import space_document
from .models import SpaceRecord
from .space_schema import Space, SpacePatch, apply_space_patch, validation_errors

__all__ = ["SpaceService", "SpaceView", "parse_space", "parse_space_patch"]


@dataclass(frozen=True)
class SpaceView:
    """A space as the API and pages show it."""

    space: Space
    actor_id: str
    handle: str
    profile_url: str
    created_at: datetime
    updated_at: datetime
    icon: dict[str, str] | None
    image: dict[str, str] | None

    def to_json(self) -> dict[str, object]:
        data = self.space.model_dump(mode="json")
        data.update(
            actor_id=self.actor_id,
            handle=self.handle,
            url=self.profile_url,
            icon=self.icon,
            image=self.image,
            created_at=self.created_at.isoformat(),
            updated_at=self.updated_at.isoformat(),
        )
        return data


def parse_space(data: object) -> Space:
    try:
        return Space.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(validation_errors(exc)) from None


def parse_space_patch(data: object) -> SpacePatch:
    try:
        return SpacePatch.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(validation_errors(exc)) from None


class SpaceService:
    def __init__(self, ctx: FederationContext) -> None:
        self.ctx = ctx

    def view(self, record: SpaceRecord) -> SpaceView:
        urls = self.ctx.urls
        return SpaceView(
            space=Space.model_validate(record.profile),
            actor_id=urls.actor(record.username),
            handle=f"@{record.username}@{urls.domain}",
            profile_url=urls.profile(record.username),
            created_at=record.created_at,
            updated_at=record.updated_at,
            icon=record.icon,
            image=record.image,
        )

    async def create(self, space: Space) -> SpaceView:
        async with self.ctx.db.transaction() as session:
            if await _username_taken(session, space.username):
                raise Conflict(f"username: {space.username!r} is taken (usernames of deleted spaces are never reused)")
            actor = await create_local_actor(
                session,
                username=space.username,
                actor_type="Organization",
                clock=self.ctx.clock,
                manually_approves_followers=space.manually_approves_followers,
            )
            now = self.ctx.clock.now()
            record = SpaceRecord(
                local_actor_id=actor.id,
                username=space.username,
                profile=space.model_dump(mode="json"),
                created_at=now,
                updated_at=now,
            )
            session.add(record)
            await session.flush()
            await self._index(session, record, space)
            return self.view(record)

    async def _index(self, session: AsyncSession, record: SpaceRecord, space: Space) -> None:
        # Same transaction as the profile change, so the directory never lists a stale profile.
        urls = self.ctx.urls
        await index_local_space(
            session, space, actor_id=urls.actor(record.username), handle=f"@{record.username}@{urls.domain}",
            url=urls.profile(record.username), icon_url=(record.icon or {}).get("url"), now=self.ctx.clock.now(),
        )

    async def get_record(self, session: AsyncSession, username: str) -> SpaceRecord:
        record = (
            await session.execute(select(SpaceRecord).where(SpaceRecord.username == username))
        ).scalar_one_or_none()
        if record is None:
            raise NotFound(f"no space named {username!r}")
        if record.deleted_at is not None:
            raise Gone(f"the space {username!r} was deleted")
        return record

    async def get(self, username: str) -> SpaceView:
        async with self.ctx.db.sessions() as session:
            return self.view(await self.get_record(session, username))

    async def update(self, username: str, patch: SpacePatch) -> SpaceView:
        async with self.ctx.db.transaction() as session:
            record = await self.get_record(session, username)
            space = apply_space_patch(Space.model_validate(record.profile), patch)
            now = self.ctx.clock.now()
            record.profile = space.model_dump(mode="json")
            record.updated_at = now
            record.actor.manually_approves_followers = space.manually_approves_followers
            record.actor.updated_at = now
            await _federate_actor_change(session, self.ctx, record, "Update")
            await session.flush()
            await self._index(session, record, space)
            return self.view(record)

    async def delete(self, username: str) -> None:
        async with self.ctx.db.transaction() as session:
            record = await self.get_record(session, username)
            now = self.ctx.clock.now()
            record.deleted_at = now
            record.actor.deleted_at = now
            record.actor.updated_at = now
            await _federate_actor_change(session, self.ctx, record, "Delete")
            await remove_listing(session, self.ctx.urls.actor(username))

    async def list(self) -> list[SpaceView]:
        async with self.ctx.db.sessions() as session:
            rows = await session.execute(
                select(SpaceRecord).where(SpaceRecord.deleted_at.is_(None)).order_by(SpaceRecord.username)
            )
            return [self.view(record) for record in rows.scalars()]

    async def count(self) -> int:
        async with self.ctx.db.sessions() as session:
            total = await session.scalar(
                select(func.count()).select_from(SpaceRecord).where(SpaceRecord.deleted_at.is_(None))
            )
            return int(total or 0)


async def _username_taken(session: AsyncSession, username: str) -> bool:
    found = await session.scalar(select(LocalActor.id).where(LocalActor.username == username))
    return found is not None


async def _federate_actor_change(session: AsyncSession, ctx: FederationContext, record: SpaceRecord, kind: str) -> None:
    """`Update(actor)` to the followers, or `Delete(actor)` to everyone who knows the space, in the same transaction.

    A Delete also goes to the actors the space follows: they list it as a follower."""
    actor = record.actor
    actor_id = ctx.urls.actor(record.username)
    inboxes = await follower_inboxes(session, actor.id)
    obj: str | dict[str, object]
    context: object
    if kind == "Delete":
        obj, context = actor_id, AS2_CONTEXT
        followed = await session.scalars(
            select(func.coalesce(RemoteActor.shared_inbox, RemoteActor.inbox))
            .join(Following, Following.remote_actor_id == RemoteActor.id)
            .where(Following.local_actor_id == actor.id, Following.state.in_(("pending", "accepted")))
        )
        inboxes |= {url for url in followed if url}
    else:
        obj = space_document(ctx, actor, record)
        context = obj.pop("@context")  # the activity carries it; the embedded actor does not repeat it
    activity = {
        "@context": context,
        "id": new_activity_id(ctx, record.username),
        "type": kind,
        "actor": actor_id,
        "object": obj,
        "to": [PUBLIC],
        "cc": [ctx.urls.followers(record.username)],
    }
    await enqueue_activity(session, ctx, actor=actor, activity=activity, inboxes=inboxes)

