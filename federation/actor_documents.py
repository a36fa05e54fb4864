"""ActivityStreams documents of local actors that are not spaces (the
instance actor, a directory actor), and the Tombstone of a deleted actor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import LocalActor
from .urls import LocalUrls
from .vocab import AS2_CONTEXT, MASTODON_TERMS, MULTIKEY_CONTEXT, SECURITY_CONTEXT

__all__ = ["ACTOR_CONTEXT", "service_actor_document", "tombstone_document"]

ACTOR_CONTEXT: list[Any] = [AS2_CONTEXT, SECURITY_CONTEXT, MULTIKEY_CONTEXT, dict(MASTODON_TERMS)]


def key_fields(actor: LocalActor, urls: LocalUrls) -> dict[str, Any]:
    """`publicKey` (HTTP signatures) and FEP-521a `assertionMethod` (Ed25519)."""
    actor_id = urls.actor(actor.username)
    return {
        "publicKey": {"id": urls.key_id(actor.username), "owner": actor_id, "publicKeyPem": actor.rsa_public_pem},
        "assertionMethod": [
            {
                "id": urls.ed25519_key_id(actor.username),
                "type": "Multikey",
                "controller": actor_id,
                "publicKeyMultibase": actor.ed25519_public_multibase,
            }
        ],
    }


def service_actor_document(actor: LocalActor, urls: LocalUrls, *, name: str, summary: str) -> dict[str, Any]:
    """An `Application` or `Service` actor: the instance actor or a directory hub."""
    username = actor.username
    document: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": urls.actor(username),
        "type": actor.actor_type,
        "preferredUsername": username,
        "name": name,
        "summary": summary,
        "url": urls.profile(username),
        "inbox": urls.inbox(username),
        "outbox": urls.outbox(username),
        "followers": urls.followers(username),
        "following": urls.following(username),
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": actor.manually_approves_followers,
        "discoverable": False,
        "indexable": False,
        "published": _iso(actor.created_at),
    }
    document.update(key_fields(actor, urls))
    return document


def tombstone_document(actor_id: str, *, former_type: str, deleted: datetime) -> dict[str, Any]:
    return {
        "@context": AS2_CONTEXT,
        "id": actor_id,
        "type": "Tombstone",
        "formerType": former_type,
        "deleted": _iso(deleted),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
