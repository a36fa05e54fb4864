"""An actor's collections (`followers`, `following`, `outbox`, `featured`) as Mastodon serves them.

The collection itself carries `totalItems` and a link to its `first` page
(`?page=true`); pages are `OrderedCollectionPage`s, newest first, with
`partOf`, `orderedItems` and `next` (`&max_id=`, keyset paging so a page stays
cheap however deep it is). `featured` is small and inline, as Mastodon's is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .actors import get_local_actor
from .context import FederationContext
from .errors import NotFound
from .models import Follower, Following, LocalActor, OutgoingActivity, RemoteActor
from .vocab import AS2_CONTEXT

__all__ = ["COLLECTIONS", "CollectionResult", "collection_document"]

PAGE_SIZE = 20


@dataclass(frozen=True)
class CollectionResult:
    status: int  # 200, or 410 when the actor was deleted
    document: dict[str, Any]


@dataclass(frozen=True)
class _Source:
    """The rows of one collection: an id to page by and the text each row's item is made from."""

    query: Callable[[LocalActor], Select[int, str]]
    item: Callable[[str], Any]


def _followers(local: LocalActor) -> Select[int, str]:
    return (select(Follower.id, RemoteActor.ap_id).join(RemoteActor, RemoteActor.id == Follower.remote_actor_id)
            .where(Follower.local_actor_id == local.id, Follower.state == "accepted", RemoteActor.gone_at.is_(None)))


def _following(local: LocalActor) -> Select[int, str]:
    return (select(Following.id, RemoteActor.ap_id).join(RemoteActor, RemoteActor.id == Following.remote_actor_id)
            .where(Following.local_actor_id == local.id, Following.state == "accepted", RemoteActor.gone_at.is_(None)))


def _outbox(local: LocalActor) -> Select[int, str]:
    return select(OutgoingActivity.id, OutgoingActivity.body).where(
        OutgoingActivity.local_actor_id == local.id, OutgoingActivity.in_outbox.is_(True)
    )


def _outbox_item(body: str) -> Any:
    item = orjson.loads(body)
    if isinstance(item, dict):
        item.pop("@context", None)  # the page's context covers it
    return item


COLLECTIONS: dict[str, _Source] = {
    "followers": _Source(_followers, lambda value: value),
    "following": _Source(_following, lambda value: value),
    "outbox": _Source(_outbox, _outbox_item),
}

# Other layers may fill `featured` (pinned events); by default it is empty.
FeaturedItems = Callable[[AsyncSession, LocalActor], Awaitable[list[Any]]]


async def _no_featured(session: AsyncSession, local: LocalActor) -> list[Any]:
    return []


async def collection_document(
    ctx: FederationContext,
    username: str,
    name: str,
    *,
    page: bool,
    max_id: int | None,
    featured_items: FeaturedItems = _no_featured,
) -> CollectionResult:
    async with ctx.db.sessions() as session:
        local = await get_local_actor(session, username, include_deleted=True)
        if local is None:
            raise NotFound(f"no actor named {username!r}")
        collection_id = _collection_id(ctx, username, name)
        if local.deleted_at is not None:
            return CollectionResult(410, {"@context": AS2_CONTEXT, "id": collection_id, "type": "Tombstone"})
        if name == "featured":
            items = await featured_items(session, local)
            return CollectionResult(200, {"@context": AS2_CONTEXT, "id": collection_id, "type": "OrderedCollection",
                                          "totalItems": len(items), "orderedItems": items})
        source = COLLECTIONS.get(name)
        if source is None:
            raise NotFound(f"no collection {name!r}")
        query = source.query(local)
        if not page:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            return CollectionResult(200, {
                "@context": AS2_CONTEXT, "id": collection_id, "type": "OrderedCollection",
                "totalItems": int(total or 0), "first": f"{collection_id}?page=true",
            })
        first_column = query.selected_columns[0]
        if max_id is not None:
            query = query.where(first_column < max_id)
        rows = (await session.execute(query.order_by(first_column.desc()).limit(PAGE_SIZE + 1))).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    page_id = f"{collection_id}?page=true" + (f"&max_id={max_id}" if max_id is not None else "")
    document: dict[str, Any] = {
        "@context": AS2_CONTEXT, "id": page_id, "type": "OrderedCollectionPage", "partOf": collection_id,
        "orderedItems": [source.item(row[1]) for row in rows],
    }
    if more:
        document["next"] = f"{collection_id}?page=true&max_id={rows[-1][0]}"
    return CollectionResult(200, document)


def _collection_id(ctx: FederationContext, username: str, name: str) -> str:
    urls = ctx.urls
    builders = {"followers": urls.followers, "following": urls.following, "outbox": urls.outbox,
                "featured": urls.featured}
    build = builders.get(name)
    return build(username) if build is not None else f"{urls.actor(username)}/{name}"
