"""A space's news posts (``Note``s): publish, edit, delete, read, list.

Mentions are resolved before the transaction (WebFinger and an actor fetch are
network I/O); a mention that cannot be resolved stays plain text, as on Mastodon.
A resolved one is linked, tagged, addressed and delivered to; a space of this
instance is resolved locally and gets its copy without a delivery
(``directory.note_publishing``)."""

from __future__ import annotations

import builtins
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol

import pydantic
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import get_local_actor
from federation.context import FederationContext
from federation.delivery import DeliveryCounts, delivery_counts
from federation.errors import FederationError
from federation.models import RemoteActor

from .errors import Gone, NotFound, ValidationFailed
from .event_document import tombstone
from .event_models import NoteRecord
from .events import ObjectDocument
from .models import SpaceRecord
from .note_document import MENTION_RE, Mention
from .note_publishing import delete_note, note_as_document, publish_note, update_note
from .object_urls import ObjectUrls
from .space_schema import MODEL_CONFIG, validation_errors
from .spaces import SpaceService

__all__ = ["ActorResolver", "PostInput", "PostService", "PostView", "parse_post"]

log = logging.getLogger(__name__)
PAGE_SIZE = 50
MAX_MENTIONS = 20


class PostInput(BaseModel):
    model_config = MODEL_CONFIG
    content: Annotated[str, Field(min_length=1, max_length=5000)]


def parse_post(data: object) -> PostInput:
    try:
        return PostInput.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(validation_errors(exc)) from None


class ActorResolver(Protocol):
    """``federation.remote_actors.RemoteActors``: ``@user@host`` → the stored actor."""

    async def resolve(self, target: str) -> RemoteActor: ...


@dataclass(frozen=True)
class PostView:
    id: int
    username: str
    markdown: str
    content_html: str
    object_id: str
    page_url: str
    mentions: list[dict[str, Any]]
    created_at: datetime
    delivery: DeliveryCounts | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "content": self.markdown,
            "content_html": self.content_html,
            "object_id": self.object_id,
            "page_url": self.page_url,
            "mentions": [{"name": m["name"], "actor_id": m["href"]} for m in self.mentions],
            "created_at": self.created_at.isoformat(),
        }
        if self.delivery is not None:
            data["delivery"] = self.delivery.as_dict()
        return data


class PostService:
    # The method ``list`` shadows the builtin in this class's annotations, hence ``builtins.list``.
    def __init__(self, ctx: FederationContext, spaces: SpaceService, resolver: ActorResolver | None) -> None:
        self.ctx = ctx
        self.spaces = spaces
        self.resolver = resolver
        self.object_urls = ObjectUrls(ctx.urls)

    def view(self, username: str, record: NoteRecord, delivery: DeliveryCounts | None = None) -> PostView:
        return PostView(
            id=record.id, username=username, markdown=record.markdown, content_html=record.content_html,
            object_id=self.object_urls.note_id(username, record.id),
            page_url=self.object_urls.note_page(username, record.id),
            mentions=list(record.mentions), created_at=record.created_at, delivery=delivery,
        )

    def document(self, space: SpaceRecord, record: NoteRecord, *, with_context: bool = True) -> dict[str, Any]:
        return note_as_document(self.ctx, space, record, with_context=with_context)

    async def _mentions(self, markdown: str) -> list[Mention]:
        found: dict[str, Mention] = {}
        for match in MENTION_RE.finditer(markdown):
            name = f"@{match[1]}@{match[2]}".lower()
            if name in found or len(found) >= MAX_MENTIONS:
                continue
            if match[2].lower() == self.ctx.urls.domain.lower():
                local = await self._local_mention(name, match[1])
                if local is not None:
                    found[name] = local
                continue
            if self.resolver is None:
                continue
            try:
                actor = await self.resolver.resolve(name)
            except FederationError as exc:
                log.info("mention %s not resolved: %s", name, exc)
                continue
            profile = actor.document.get("url") if isinstance(actor.document, dict) else None
            found[name] = Mention(name=name, href=actor.ap_id, url=profile if isinstance(profile, str) else actor.ap_id,
                                  inbox=actor.shared_inbox or actor.inbox)
        return list(found.values())

    async def _local_mention(self, name: str, username: str) -> Mention | None:
        """A space of this instance: no WebFinger round trip to ourselves, no remote-actor row."""
        async with self.ctx.db.sessions() as session:
            actor = await get_local_actor(session, username)
        if actor is None:
            return None
        urls = self.ctx.urls
        return Mention(name=name, href=urls.actor(actor.username), url=urls.profile(actor.username),
                       inbox=urls.inbox(actor.username))

    async def create(self, username: str, post: PostInput) -> PostView:
        async with self.ctx.db.sessions() as session:
            await self.spaces.get_record(session, username)  # 404/410 before any remote lookup
        mentions = await self._mentions(post.content)
        async with self.ctx.db.transaction() as session:
            space = await self.spaces.get_record(session, username)
            record = await publish_note(session, self.ctx, space, post.content, mentions)
            return self.view(username, record, DeliveryCounts())

    async def _live_record(self, session: AsyncSession, username: str, note_id: int) -> tuple[SpaceRecord, NoteRecord]:
        await self.spaces.get_record(session, username)
        found = await self._find(session, username, note_id)
        if found is None:
            raise NotFound(f"no post {note_id} in space {username!r}")
        if found[1].deleted_at is not None:
            raise Gone(f"post {note_id} was deleted")
        return found

    async def update(self, username: str, note_id: int, post: PostInput) -> PostView:
        """New text; federates ``Update(Note)`` (Mastodon shows the post as edited)."""
        async with self.ctx.db.sessions() as session:
            await self._live_record(session, username, note_id)  # 404/410 before any remote lookup
        mentions = await self._mentions(post.content)
        async with self.ctx.db.transaction() as session:
            space, record = await self._live_record(session, username, note_id)
            await update_note(session, self.ctx, space, record, post.content, mentions)
            counts = await delivery_counts(session, object_id=self.object_urls.note_id(username, note_id))
            return self.view(username, record, counts)

    async def delete(self, username: str, note_id: int) -> None:
        """Federates ``Delete``; the post's id then answers 410 with a ``Tombstone``."""
        async with self.ctx.db.transaction() as session:
            space, record = await self._live_record(session, username, note_id)
            await delete_note(session, self.ctx, space, record)

    async def _find(self, session: AsyncSession, username: str, note_id: int) -> tuple[SpaceRecord, NoteRecord] | None:
        row = (await session.execute(
            select(SpaceRecord, NoteRecord).join(NoteRecord, NoteRecord.space_id == SpaceRecord.id)
            .where(SpaceRecord.username == username, NoteRecord.id == note_id)
        )).first()
        return (row[0], row[1]) if row is not None else None

    async def get(self, username: str, note_id: int) -> PostView:
        async with self.ctx.db.sessions() as session:
            _, record = await self._live_record(session, username, note_id)
            counts = await delivery_counts(session, object_id=self.object_urls.note_id(username, note_id))
            return self.view(username, record, counts)

    async def list(self, username: str, *, cursor: int | None = None, limit: int = PAGE_SIZE) -> tuple[builtins.list[PostView], int | None]:
        async with self.ctx.db.sessions() as session:
            space = await self.spaces.get_record(session, username)
            query = select(NoteRecord).where(NoteRecord.space_id == space.id, NoteRecord.deleted_at.is_(None))
            if cursor is not None:
                query = query.where(NoteRecord.id < cursor)
            rows = list((await session.scalars(query.order_by(NoteRecord.id.desc()).limit(limit + 1))).all())
            views = []
            for record in rows[:limit]:
                counts = await delivery_counts(session, object_id=self.object_urls.note_id(username, record.id))
                views.append(self.view(username, record, counts))
            return views, (rows[limit - 1].id if len(rows) > limit else None)

    async def recent(self, username: str, *, limit: int = 20) -> builtins.list[PostView]:
        views, _ = await self.list(username, limit=limit)
        return views

    async def object_document(self, username: str, note_id: int) -> ObjectDocument | None:
        async with self.ctx.db.sessions() as session:
            found = await self._find(session, username, note_id)
            if found is None:
                return None
            space, record = found
            deleted = record.deleted_at or space.deleted_at
            if deleted is not None:
                return ObjectDocument(410, tombstone(self.object_urls.note_id(username, note_id),
                                                     former_type="Note", deleted=deleted))
            return ObjectDocument(200, self.document(space, record))
