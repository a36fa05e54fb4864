"""The ActivityStreams document of any local actor, by username: a space's
`Organization`, or the instance's `Application`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from federation.actor_documents import service_actor_document, tombstone_document
from federation.actors import get_local_actor
from federation.context import FederationContext
from federation.models import LocalActor

from .hub import HUB_USERNAME, hub_document_fields
from .models import SpaceRecord
from .space_actor import ActorUrls, MediaRef, space_actor_document
from .space_schema import Space

__all__ = ["LocalActorDocument", "actor_urls", "local_actor_document", "space_document"]


@dataclass(frozen=True)
class LocalActorDocument:
    status: int  # 200, or 410 for a deleted actor
    document: dict[str, Any]


def actor_urls(ctx: FederationContext, username: str) -> ActorUrls:
    urls = ctx.urls
    return ActorUrls(
        id=urls.actor(username),
        inbox=urls.inbox(username),
        outbox=urls.outbox(username),
        followers=urls.followers(username),
        following=urls.following(username),
        featured=urls.featured(username),
        shared_inbox=urls.shared_inbox,
        profile_url=urls.profile(username),
        key_id=urls.key_id(username),
        ed25519_key_id=urls.ed25519_key_id(username),
    )


async def local_actor_document(ctx: FederationContext, username: str) -> LocalActorDocument | None:
    """None when no such actor ever existed here."""
    async with ctx.db.sessions() as session:
        actor = await get_local_actor(session, username, include_deleted=True)
        if actor is None:
            return None
        if actor.deleted_at is not None:
            return LocalActorDocument(
                410, tombstone_document(ctx.urls.actor(username), former_type=actor.actor_type, deleted=actor.deleted_at)
            )
        record = (
            await session.execute(select(SpaceRecord).where(SpaceRecord.local_actor_id == actor.id))
        ).scalar_one_or_none()
    if record is None:
        return LocalActorDocument(200, _service_document(ctx, actor))
    return LocalActorDocument(200, space_document(ctx, actor, record))


def space_document(ctx: FederationContext, actor: LocalActor, record: SpaceRecord) -> dict[str, Any]:
    """The space's ``Organization``; ``actor`` is passed apart because ``record.actor`` may not be loaded."""
    return space_actor_document(
        Space.model_validate(record.profile),
        urls=actor_urls(ctx, actor.username),
        rsa_public_pem=actor.rsa_public_pem,
        ed25519_multibase=actor.ed25519_public_multibase,
        published=record.created_at,
        updated=record.updated_at,
        icon=_media(record.icon),
        image=_media(record.image),
    )


def _media(data: dict[str, Any] | None) -> MediaRef | None:
    if not data:
        return None
    return MediaRef(url=str(data["url"]), media_type=str(data["media_type"]))


def _service_document(ctx: FederationContext, actor: LocalActor) -> dict[str, Any]:
    domain = ctx.urls.domain
    if actor.actor_type == "Application":
        name, summary = domain, f"The instance actor of {domain}: it signs this server's requests."
    else:
        name, summary = f"Directory of {domain}", "A directory of coworking spaces on the fediverse."
    document = service_actor_document(actor, ctx.urls, name=name, summary=summary)
    if actor.username == HUB_USERNAME:
        # Partner hubs read the listed spaces from here (declared inline: strict JSON-LD readers drop undeclared terms).
        terms, fields = hub_document_fields(ctx)
        document["@context"] = [*document["@context"][:-1], {**document["@context"][-1], **terms}]
        document.update(fields)
    return document
