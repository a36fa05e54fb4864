"""Follows with Fedify 2, an independent implementation: both directions, both signature schemes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from federation.db import Database
from federation.models import HostState
from tests.interop.fedify_peer import FedifyPeer

from ..servers import Instance, eventually, run_instance

pytestmark = [pytest.mark.interop, pytest.mark.slow]

CAVAGE = "draft-cavage-http-signatures-12"


@pytest.fixture
def peer() -> Iterator[FedifyPeer]:
    with FedifyPeer.start() as running:
        yield running


@pytest.fixture
async def ours(tmp_path: Path) -> AsyncIterator[Instance]:
    async with run_instance(tmp_path, "a", worker="external") as running:
        await running.create_space("racale", name="Coworking Racale",
                                   geo={"lat": 39.9608, "lon": 18.0937},
                                   address={"street": "Via Roma 1", "locality": "Racale", "country": "IT"})
        yield running


async def _following(ours: Instance) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await ours.client.get("/api/v1/spaces/racale/following")).json()["items"]
    return items


async def test_fedify__reads_our_space_actor(ours: Instance, peer: FedifyPeer) -> None:
    actor_id = f"{ours.base_url}/users/racale"
    info = await asyncio.to_thread(peer.lookup, actor_id)
    assert info["type"] == "Organization" and info["id"] == actor_id
    assert info["publicKeyId"] == f"{actor_id}#main-key" and "BEGIN PUBLIC KEY" in info["publicKeyPem"]
    assert info["inbox"] == f"{actor_id}/inbox" and info["sharedInbox"] == f"{ours.base_url}/inbox"
    assert info["location"]["type"] == "Place"
    assert not info["errors"]


@pytest.mark.parametrize("scheme", ["rfc9421", CAVAGE])
async def test_fedify__follows_our_space_and_gets_our_signed_accept(ours: Instance, peer: FedifyPeer,
                                                                    scheme: str) -> None:
    actor_id = f"{ours.base_url}/users/racale"
    await asyncio.to_thread(peer.set_signing, scheme, fallback=False)  # type: ignore[arg-type]
    follow = await asyncio.to_thread(peer.follow, actor_id)

    accept = await eventually(lambda: next((a for a in peer.received() if a["type"] == "Accept"), None), ours)
    assert accept["verified"] and accept["httpSignature"]["verified"], accept
    assert accept["actor"] == actor_id and accept["objectId"] == follow["followId"]
    # Fedify's Follow reached our inbox with exactly the scheme chosen, and we took it (202).
    posts = [s for s in peer.sent() if s["method"] == "POST" and s["url"].startswith(ours.base_url)]
    assert posts and {p["scheme"] for p in posts} == {scheme} and all(p["status"] == 202 for p in posts), posts
    followers = (await ours.client.get("/api/v1/spaces/racale/followers")).json()["items"]
    assert [(f["actor_id"], f["state"]) for f in followers] == [(peer.actor_url, "accepted")]


@pytest.mark.parametrize("our_scheme", ["rfc9421", "cavage"])
async def test_fedify__our_space_follows_fedify_and_records_the_accept(ours: Instance, peer: FedifyPeer,
                                                                        our_scheme: str) -> None:
    db = Database(ours.settings.database_url)
    try:
        async with db.transaction() as session:
            # Pin the scheme our deliveries use for the peer (otherwise RFC 9421 first, learned per host).
            await session.execute(delete(HostState).where(HostState.host == f"127.0.0.1:{peer.port}"))
            session.add(HostState(host=f"127.0.0.1:{peer.port}", signature_scheme=our_scheme, consecutive_failures=0))
    finally:
        await db.dispose()
    response = await ours.client.post("/api/v1/spaces/racale/following", json={"target": peer.actor_url})
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "pending"

    items = await eventually(lambda: _accepted(ours), ours)
    assert [(i["actor_id"], i["state"]) for i in items] == [(peer.actor_url, "accepted")]
    follow = next(a for a in peer.received() if a["type"] == "Follow")
    assert follow["verified"] and follow["httpSignature"]["verified"], follow
    expected = "rfc9421" if our_scheme == "rfc9421" else CAVAGE
    assert follow["signatureScheme"] == expected
    assert peer.followers() == [f"{ours.base_url}/users/racale"]


async def _accepted(ours: Instance) -> list[dict[str, Any]] | None:
    items = await _following(ours)
    return items if items and items[0]["state"] == "accepted" else None
