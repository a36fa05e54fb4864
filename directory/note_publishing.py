"""The one code path by which a space's ``Note`` is created, changed or deleted and federated.

Used by news posts (``directory.posts``) and by the notices an event change causes
(``directory.event_news``), inside the caller's transaction so the note and its
deliveries commit together.

Mentioned spaces of this instance are not delivered to (delivery skips local
inboxes); their copy in ``received`` is written here directly, in the same
transaction, as the inbox would have stored it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.context import FederationContext
from federation.models import LocalActor
from federation.vocab import PUBLIC

from .event_document import tombstone
from .event_models import NoteRecord, ReceivedObject
from .event_text import language_of
from .models import SpaceRecord
from .note_document import Mention, NoteIds, linked_html, note_document
from .object_urls import ObjectUrls
from .publishing import publish_activity
from .received_copies import store_copy
from .remote_objects import parse_remote_object
from .space_schema import Space

__all__ = ["delete_note", "note_as_document", "publish_note", "update_note"]


def note_as_document(ctx: FederationContext, space: SpaceRecord, record: NoteRecord, *,
                     with_context: bool = True) -> dict[str, Any]:
    username = space.username
    object_urls = ObjectUrls(ctx.urls)
    ids = NoteIds(id=object_urls.note_id(username, record.id), url=object_urls.note_page(username, record.id),
                  actor_id=ctx.urls.actor(username), followers=ctx.urls.followers(username),
                  profile_url=ctx.urls.profile(username))
    language = language_of(Space.model_validate(space.profile).languages)
    return note_document(ids=ids, content_html=record.content_html, hashtags=list(record.hashtags),
                         mentions=list(record.mentions), language=language, published=record.created_at,
                         updated=record.updated_at, with_context=with_context)


def _mention_rows(mentions: Sequence[Mention]) -> list[dict[str, str]]:
    return [{"name": m.name, "href": m.href, "inbox": m.inbox} for m in mentions]


def _inboxes(*mention_lists: Iterable[dict[str, Any]]) -> set[str]:
    return {str(m["inbox"]) for mentions in mention_lists for m in mentions if m.get("inbox")}


async def publish_note(session: AsyncSession, ctx: FederationContext, space: SpaceRecord, markdown: str,
                       mentions: Sequence[Mention] = ()) -> NoteRecord:
    """Store the note, queue ``Create(Note)`` to followers and the mentioned, copy it to mentioned local spaces."""
    content_html, hashtags = linked_html(markdown, list(mentions), ctx.urls.profile(space.username))
    now = ctx.clock.now()
    record = NoteRecord(space_id=space.id, markdown=markdown, content_html=content_html, hashtags=hashtags,
                        mentions=_mention_rows(mentions), created_at=now, updated_at=now)
    session.add(record)
    await session.flush()
    document = note_as_document(ctx, space, record)
    await publish_activity(session, ctx, actor=space.actor, kind="Create", obj=document,
                           extra_inboxes=_inboxes(record.mentions))
    await _copy_to_local_mentions(session, ctx, document, now)
    return record


async def update_note(session: AsyncSession, ctx: FederationContext, space: SpaceRecord, record: NoteRecord,
                      markdown: str, mentions: Sequence[Mention]) -> None:
    """Change the note and queue ``Update(Note)``: Mastodon edits the status in place."""
    before = list(record.mentions)
    record.content_html, record.hashtags = linked_html(markdown, list(mentions), ctx.urls.profile(space.username))
    record.markdown = markdown
    record.mentions = _mention_rows(mentions)
    now = ctx.clock.now()
    record.updated_at = now
    await session.flush()
    document = note_as_document(ctx, space, record)
    # Whoever was mentioned before holds a copy too and should see the edit.
    await publish_activity(session, ctx, actor=space.actor, kind="Update", obj=document,
                           extra_inboxes=_inboxes(before, record.mentions))
    await _copy_to_local_mentions(session, ctx, document, now)


async def delete_note(session: AsyncSession, ctx: FederationContext, space: SpaceRecord, record: NoteRecord) -> None:
    """Mark the note deleted (its id then answers 410 with a Tombstone) and queue ``Delete``."""
    now = ctx.clock.now()
    record.deleted_at = now
    record.updated_at = now
    object_id = ObjectUrls(ctx.urls).note_id(space.username, record.id)
    gone = tombstone(object_id, former_type="Note", deleted=now)
    gone |= {"to": [PUBLIC], "cc": [ctx.urls.followers(space.username), *(m["href"] for m in record.mentions)]}
    await publish_activity(session, ctx, actor=space.actor, kind="Delete", obj=gone,
                           extra_inboxes=_inboxes(record.mentions))
    await session.execute(delete(ReceivedObject).where(ReceivedObject.object_id == object_id))


async def _copy_to_local_mentions(session: AsyncSession, ctx: FederationContext, document: dict[str, Any],
                                  now: datetime) -> None:
    parsed = parse_remote_object(document)
    if parsed is None:
        return
    usernames = {name for name in (ctx.urls.username_of(url) for url in parsed.mentions) if name}
    usernames.discard(ctx.urls.username_of(str(document["attributedTo"])) or "")
    if not usernames:
        return
    actor_ids = (await session.scalars(select(LocalActor.id).where(
        LocalActor.username.in_(usernames), LocalActor.deleted_at.is_(None)))).all()
    for local_actor_id in actor_ids:
        await store_copy(session, local_actor_id, parsed, str(document["attributedTo"]), now)
