"""Blocks through the admin page and the JSON API, against two real instances:
a blocked domain's follows are dropped and what it sends next is not stored;
a blocked actor is sent a `Block`, and an `Undo` of it when the block is removed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select

from federation.db import Database
from federation.models import Delivery, InboxActivity, OutgoingActivity, RemoteActor
from tests.servers import Instance

from .admin_flow import new_browser
from .admin_pair import post_form, running_pair


@asynccontextmanager
async def database_of(instance: Instance) -> AsyncIterator[Database]:
    # Our own engine on the test's event loop; the server's belongs to its thread.
    db = Database(instance.settings.database_url)
    try:
        yield db
    finally:
        await db.dispose()


async def _stored_from(instance: Instance, other: Instance) -> int:
    async with database_of(instance) as db, db.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(InboxActivity)
                                     .where(InboxActivity.actor_id.like(f"{other.base_url}/%")))
        return int(count or 0)


async def _blocked_us_at(instance: Instance, actor_id: str) -> object:
    async with database_of(instance) as db, db.sessions() as session:
        return await session.scalar(select(RemoteActor.blocked_us_at).where(RemoteActor.ap_id == actor_id))


async def test_admin_blocks__a_blocked_domain_is_unfollowed_and_ignored(tmp_path: Path) -> None:
    async with running_pair(tmp_path, lecce_follows=True) as pair:
        a, b = pair.a, pair.b
        assert len((await a.client.get("/api/v1/spaces/racale/followers")).json()["items"]) == 1
        added = await post_form(pair.manager, "/admin/blocks", "/admin/blocks", {"domain": f"http://{b.domain}/"})
        assert added.status_code == 303 and added.headers["location"] == "/admin/blocks?done=added#done"
        page = await pair.manager.get("/admin/blocks")
        assert f"Server {b.domain}" in page.text
        assert (await a.client.get("/api/v1/spaces/racale/followers")).json()["items"] == []

        stored = await _stored_from(a, b)
        await b.create_space("bari", name="Bari Hub")
        asked = await b.client.post("/api/v1/spaces/bari/following", json={"target": f"{a.base_url}/users/racale"})
        assert asked.status_code == 202, asked.text
        await pair.drain()
        assert await _stored_from(a, b) == stored  # answered 202, stored nothing
        assert (await a.client.get("/api/v1/spaces/racale/followers")).json()["items"] == []
        [bari_follows] = (await b.client.get("/api/v1/spaces/bari/following")).json()["items"]
        assert bari_follows["state"] == "pending"  # no Accept ever comes back

        # Events are not sent there either.
        created = await a.client.post("/api/v1/spaces/racale/events",
                                      json={"title": "Open day", "starts_at": "2031-05-01T10:00:00+02:00"})
        assert created.json()["delivery"] == {"delivered": 0, "pending": 0, "failed": 0}

        again = await post_form(pair.manager, "/admin/blocks", "/admin/blocks", {"domain": b.domain})
        assert again.status_code == 422 and "This is blocked already." in again.text
        [block] = (await a.client.get("/api/v1/blocks")).json()["items"]
        removed = await post_form(pair.manager, "/admin/blocks", f"/admin/blocks/{block['id']}/remove", {})
        assert removed.status_code == 303
        assert (await a.client.get("/api/v1/blocks")).json()["items"] == []


async def test_api_blocks__block_an_actor_sends_block_and_drops_the_follow(tmp_path: Path) -> None:
    async with running_pair(tmp_path, lecce_follows=True) as pair:
        a, b = pair.a, pair.b
        lecce = f"{b.base_url}/users/lecce"
        created = await a.client.post("/api/v1/blocks", json={"actor": f"@lecce@{b.domain}"})
        assert created.status_code == 201, created.text
        assert created.json()["actor_id"] == lecce and created.json()["domain"] is None
        assert created.headers["location"] == f"/api/v1/blocks/{created.json()['id']}"
        assert (await a.client.get("/api/v1/spaces/racale/followers")).json()["items"] == []
        await pair.drain()
        async with database_of(a) as db, db.sessions() as session:
            states = (await session.execute(
                select(OutgoingActivity.local_actor_id, Delivery.state, Delivery.inbox_url)
                .join(Delivery, Delivery.activity_id == OutgoingActivity.id)
                .where(OutgoingActivity.activity_type == "Block"))).all()
        assert [(state, inbox) for _, state, inbox in states] == [("delivered", f"{lecce}/inbox")]
        racale = f"{a.base_url}/users/racale"
        assert await _blocked_us_at(b, racale) is not None  # lecce's server knows racale blocked it

        duplicate = await a.client.post("/api/v1/blocks", json={"actor": lecce})
        assert duplicate.status_code == 409 and duplicate.json()["error"] == "conflict"
        for body in ({}, {"actor": lecce, "domain": b.domain}, {"domain": "not a domain"},
                     {"actor": f"@nobody@{b.domain}"}, {"domain": a.domain}):
            refused = await a.client.post("/api/v1/blocks", json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["error"] == "invalid" and refused.json()["fields"]
        block_id = created.json()["id"]
        assert (await a.client.delete(f"/api/v1/blocks/{block_id}")).status_code == 204
        assert (await a.client.delete(f"/api/v1/blocks/{block_id}")).status_code == 404
        await pair.drain()  # the unblock sends Undo(Block), and lecce's server clears its mark
        async with database_of(a) as db, db.sessions() as session:
            undo = (await session.scalars(select(OutgoingActivity.body)
                                          .where(OutgoingActivity.activity_type == "Undo"))).one()
        assert json.loads(undo)["object"]["type"] == "Block" and json.loads(undo)["object"]["object"] == lecce
        assert await _blocked_us_at(b, racale) is None
        async with new_browser(a.base_url) as anonymous:
            assert (await anonymous.get("/api/v1/blocks")).status_code == 401
            assert (await anonymous.post("/api/v1/blocks", json={"domain": "x.example"})).status_code == 401

