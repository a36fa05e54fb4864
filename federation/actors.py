"""Local actors: creation with their key pairs, lookup, deletion; and the
instance actor (FEP-2677) that signs this server's own fetches."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import keys
from .clock import Clock
from .models import LocalActor

__all__ = [
    "INSTANCE_ACTOR_USERNAME",
    "create_local_actor",
    "ensure_instance_actor",
    "get_local_actor",
]

# Reserved in every namespace of usernames the domain layers accept.
INSTANCE_ACTOR_USERNAME = "instance"


async def create_local_actor(
    session: AsyncSession,
    *,
    username: str,
    actor_type: str,
    clock: Clock,
    manually_approves_followers: bool = False,
) -> LocalActor:
    """Add a local actor with a fresh RSA-2048 key (HTTP signatures) and Ed25519 key (FEP-8b32)."""
    rsa_key = keys.generate_rsa_key()
    ed_key = keys.generate_ed25519_key()
    now = clock.now()
    actor = LocalActor(
        username=username,
        actor_type=actor_type,
        rsa_private_pem=keys.private_key_to_pem(rsa_key),
        rsa_public_pem=keys.public_key_to_pem(rsa_key.public_key()),
        ed25519_private_pem=keys.private_key_to_pem(ed_key),
        ed25519_public_multibase=keys.ed25519_public_key_to_multibase(ed_key.public_key()),
        manually_approves_followers=manually_approves_followers,
        created_at=now,
        updated_at=now,
    )
    session.add(actor)
    await session.flush()
    return actor


async def get_local_actor(session: AsyncSession, username: str, *, include_deleted: bool = False) -> LocalActor | None:
    query = select(LocalActor).where(LocalActor.username == username)
    if not include_deleted:
        query = query.where(LocalActor.deleted_at.is_(None))
    return (await session.execute(query)).scalar_one_or_none()


async def ensure_instance_actor(session: AsyncSession, clock: Clock) -> LocalActor:
    """The instance's own `Application` actor, created on first use."""
    actor = await get_local_actor(session, INSTANCE_ACTOR_USERNAME)
    if actor is None:
        actor = await create_local_actor(
            session, username=INSTANCE_ACTOR_USERNAME, actor_type="Application", clock=clock
        )
    return actor
