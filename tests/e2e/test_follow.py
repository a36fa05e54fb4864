"""Spaces on three real instances follow each other, as a protocol transcript."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from federation.db import Database
from federation.models import RemoteActor

from ..servers import Instance, drain, run_instance

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AP = {"Accept": "application/activity+json"}


@pytest.fixture
async def trio(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance, Instance]]:
    # Only drain() works the queues, so each step finishes before the next begins.
    async with (
        run_instance(tmp_path, "a", worker="external") as a,
        run_instance(tmp_path, "b", worker="external") as b,
        run_instance(tmp_path, "c", worker="external") as c,
    ):
        yield a, b, c


async def _items(instance: Instance, path: str) -> list[dict[str, Any]]:
    response = await instance.client.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "next"}
    items: list[dict[str, Any]] = body["items"]
    return items


async def _follow(instance: Instance, username: str, target: str) -> dict[str, Any]:
    response = await instance.client.post(f"/api/v1/spaces/{username}/following", json={"target": target})
    assert response.status_code == 202, response.text
    item: dict[str, Any] = response.json()
    return item


async def _collection(instance: Instance, username: str, name: str) -> tuple[int, list[Any]]:
    async with httpx.AsyncClient(headers=AP) as client:
        collection = (await client.get(f"{instance.base_url}/users/{username}/{name}")).json()
        assert collection["type"] == "OrderedCollection"
        page = (await client.get(collection["first"])).json()
    assert page["type"] == "OrderedCollectionPage" and page["partOf"] == collection["id"]
    return collection["totalItems"], page["orderedItems"]


async def _remote_actor(instance: Instance, actor_id: str) -> RemoteActor | None:
    db = Database(instance.settings.database_url)
    try:
        async with db.sessions() as session:
            return (await session.execute(select(RemoteActor).where(RemoteActor.ap_id == actor_id))).scalar_one_or_none()
    finally:
        await db.dispose()


async def test_follow__by_handle_and_by_url_then_unfollow(trio: tuple[Instance, Instance, Instance]) -> None:
    a, b, c = trio
    for instance, name in ((a, "anna"), (b, "bice"), (c, "carla")):
        await instance.create_space(name)
    bice = f"{b.base_url}/users/bice"

    first = await _follow(a, "anna", f"@bice@{b.domain}")
    assert (first["state"], first["actor_id"], first["error"]) == ("pending", bice, None)
    second = await _follow(c, "carla", bice)
    assert second["handle"] == f"@bice@{b.domain}"
    await drain(a, b, c)

    assert [(i["actor_id"], i["state"]) for i in await _items(a, "/api/v1/spaces/anna/following")] == [(bice, "accepted")]
    assert [(i["actor_id"], i["state"]) for i in await _items(c, "/api/v1/spaces/carla/following")] == [(bice, "accepted")]
    followers = await _items(b, "/api/v1/spaces/bice/followers")
    assert {(i["actor_id"], i["handle"], i["state"]) for i in followers} == {
        (f"{a.base_url}/users/anna", f"@anna@{a.domain}", "accepted"),
        (f"{c.base_url}/users/carla", f"@carla@{c.domain}", "accepted"),
    }
    total, items = await _collection(b, "bice", "followers")
    assert total == 2 and set(items) == {f"{a.base_url}/users/anna", f"{c.base_url}/users/carla"}
    assert await _collection(a, "anna", "following") == (1, [bice])

    response = await a.client.delete("/api/v1/spaces/anna/following", params={"target": f"@bice@{b.domain}"})
    assert response.status_code == 202
    await drain(a, b, c)
    assert await _items(a, "/api/v1/spaces/anna/following") == []
    assert await _collection(b, "bice", "followers") == (1, [f"{c.base_url}/users/carla"])


async def test_follow__manual_approval_accept_and_reject(trio: tuple[Instance, Instance, Instance]) -> None:
    a, b, c = trio
    await a.create_space("anna")
    await c.create_space("carla")
    await b.create_space("bice", manually_approves_followers=True)
    await _follow(a, "anna", f"@bice@{b.domain}")
    await _follow(c, "carla", f"@bice@{b.domain}")
    await drain(a, b, c)

    requests = await _items(b, "/api/v1/spaces/bice/follow-requests")
    assert {(i["actor_id"], i["state"]) for i in requests} == {
        (f"{a.base_url}/users/anna", "pending"), (f"{c.base_url}/users/carla", "pending")}
    assert [i["state"] for i in await _items(a, "/api/v1/spaces/anna/following")] == ["pending"]
    assert (await _collection(b, "bice", "followers"))[0] == 0

    by_actor = {i["actor_id"]: i["id"] for i in requests}
    accepted = await b.client.post(f"/api/v1/spaces/bice/follow-requests/{by_actor[f'{a.base_url}/users/anna']}/accept")
    rejected = await b.client.post(f"/api/v1/spaces/bice/follow-requests/{by_actor[f'{c.base_url}/users/carla']}/reject")
    assert (accepted.json()["state"], rejected.json()["state"]) == ("accepted", "rejected")
    await drain(a, b, c)

    assert [i["state"] for i in await _items(a, "/api/v1/spaces/anna/following")] == ["accepted"]
    assert [i["state"] for i in await _items(c, "/api/v1/spaces/carla/following")] == ["rejected"]
    assert await _items(b, "/api/v1/spaces/bice/follow-requests") == []
    assert await _collection(b, "bice", "followers") == (1, [f"{a.base_url}/users/anna"])


async def test_follow__update_and_delete_of_a_space_reach_the_other_side(trio: tuple[Instance, Instance, Instance]) -> None:
    a, b, c = trio
    await a.create_space("anna")
    await b.create_space("bice", name="Bice Coworking")
    await c.create_space("carla")
    bice = f"{b.base_url}/users/bice"
    await _follow(a, "anna", bice)
    await drain(a, b, c)
    # bice follows carla too: carla must learn of the Delete although she does not follow bice.
    await _follow(b, "bice", f"@carla@{c.domain}")
    await drain(a, b, c)
    assert [i["state"] for i in await _items(b, "/api/v1/spaces/bice/following")] == ["accepted"]

    response = await b.client.patch("/api/v1/spaces/bice", json={"name": "Bice Cowork & Caffè"})
    assert response.status_code == 200, response.text
    await drain(a, b, c)
    cached = await _remote_actor(a, bice)
    assert cached is not None and cached.name == "Bice Cowork & Caffè"

    assert (await b.client.delete("/api/v1/spaces/bice")).status_code == 204
    await drain(a, b, c)
    async with httpx.AsyncClient(headers=AP) as client:
        assert (await client.get(bice)).status_code == 410
    assert await _items(a, "/api/v1/spaces/anna/following") == []
    assert await _items(c, "/api/v1/spaces/carla/followers") == []
    gone = await _remote_actor(c, bice)
    assert gone is not None and gone.gone_at is not None


async def test_follow__unreachable_or_refused_target_ends_failed(tmp_path: Path) -> None:
    async with run_instance(tmp_path, "a", allow_private_addresses=False) as a, run_instance(tmp_path, "b") as b:
        await a.create_space("anna")
        await b.create_space("bice")
        item = await _follow(a, "anna", f"{b.base_url}/users/bice")
        assert item["state"] == "failed"
        assert "public address" in item["error"]
        (listed,) = await _items(a, "/api/v1/spaces/anna/following")
        assert (listed["state"], listed["error"]) == ("failed", item["error"])


async def test_follow__lists_page_with_cursor(trio: tuple[Instance, Instance, Instance]) -> None:
    a, b, _ = trio
    await a.create_space("anna")
    await b.create_space("bice")
    for port in (1, 2, 3):
        await _follow(a, "anna", f"@nobody{port}@127.0.0.1:{port}")
    first = (await a.client.get("/api/v1/spaces/anna/following", params={"limit": 2})).json()
    assert [i["target"] for i in first["items"]] == ["@nobody1@127.0.0.1:1", "@nobody2@127.0.0.1:2"]
    assert all(i["state"] == "failed" and i["error"] for i in first["items"])
    assert first["next"] is not None
    second = (await a.client.get(first["next"])).json()
    assert [i["target"] for i in second["items"]] == ["@nobody3@127.0.0.1:3"]
    assert second["next"] is None
