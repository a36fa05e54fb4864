"""Wrapping a space's object in an activity and queuing it for its audience.

Called inside the transaction that changed the object, so the change and its
deliveries commit together (``federation.delivery.enqueue_activity``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from federation.context import FederationContext
from federation.delivery import enqueue_activity, follower_inboxes, new_activity_id
from federation.models import LocalActor

from .event_document import OBJECT_CONTEXT, iso_utc

__all__ = ["publish_activity"]


async def publish_activity(
    session: AsyncSession,
    ctx: FederationContext,
    *,
    actor: LocalActor,
    kind: str,
    obj: dict[str, Any],
    extra_inboxes: Iterable[str] = (),
) -> dict[str, Any]:
    """Queue ``kind`` (Create, Update, Delete) of ``obj`` to the actor's followers and ``extra_inboxes``.

    The activity is addressed like its object (``to``/``cc``), as Mastodon expects."""
    body = {key: value for key, value in obj.items() if key != "@context"}
    activity: dict[str, Any] = {
        "@context": list(OBJECT_CONTEXT),
        "id": new_activity_id(ctx, actor.username),
        "type": kind,
        "actor": ctx.urls.actor(actor.username),
        "published": iso_utc(ctx.clock.now()),
        "to": body.get("to", []),
        "cc": body.get("cc", []),
        "object": body,
    }
    inboxes = await follower_inboxes(session, actor.id) | set(extra_inboxes)
    await enqueue_activity(session, ctx, actor=actor, activity=activity, inboxes=inboxes)
    return activity
