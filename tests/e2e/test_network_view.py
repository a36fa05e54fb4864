"""Issue 5, part A: every instance lists its own spaces, the spaces they follow, and what those publish."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ..servers import Instance, drain, run_instance

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PLACE = {"address": {"country": "IT", "locality": "Racale", "street": "Via Roma 1"}, "geo": {"lat": 39.96, "lon": 18.09}}
HOURS = [{"days": ["mo", "tu"], "opens": "09:00", "closes": "18:00"}]


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    async with run_instance(tmp_path, "a") as a, run_instance(tmp_path, "b") as b:
        yield a, b


async def directory_items(instance: Instance, kind: str, **params: str) -> list[dict[str, Any]]:
    response = await instance.client.get(f"/api/v1/directory/{kind}", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_network_view__followed_space_its_events_updates_and_deletion(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    await a.create_space("anna", **PLACE)
    await b.create_space("bice", name="Bice Cowork", opening_hours=HOURS, **PLACE)
    bice = f"{b.base_url}/users/bice"

    response = await a.client.post("/api/v1/spaces/anna/following", json={"target": bice})
    assert response.status_code == 202, response.text
    await drain(a, b)

    listed = {item["actor_id"]: item for item in await directory_items(a, "spaces")}
    assert set(listed) == {f"{a.base_url}/users/anna", bice}
    assert listed[bice]["origin"] == {"instance": b.domain, "actor_id": bice, "listed_via": None}
    assert listed[bice]["opening_hours"] == HOURS

    event = {"title": "Aperitivo digitale", "starts_at": "2031-09-22T18:00:00+02:00", "timezone": "Europe/Rome"}
    response = await b.client.post("/api/v1/spaces/bice/events", json=event)
    assert response.status_code == 201, response.text
    object_id = response.json()["object_id"]
    await drain(a, b)
    events = await directory_items(a, "events")
    assert [(e["object_id"], e["title"], e["origin"]["instance"]) for e in events] == [
        (object_id, "Aperitivo digitale", b.domain)]

    new_hours = [{"days": ["we"], "opens": "10:00", "closes": "20:00"}]
    response = await b.client.patch("/api/v1/spaces/bice", json={"opening_hours": new_hours})
    assert response.status_code == 200, response.text
    await drain(a, b)
    listed = {item["actor_id"]: item for item in await directory_items(a, "spaces")}
    assert listed[bice]["opening_hours"] == new_hours

    response = await b.client.delete("/api/v1/spaces/bice")
    assert response.status_code in (200, 204), response.text
    await drain(a, b)
    assert [item["actor_id"] for item in await directory_items(a, "spaces")] == [f"{a.base_url}/users/anna"]
    assert await directory_items(a, "events") == []


async def test_network_view__unfollow_unlists_and_opted_out_space_is_never_listed(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    await a.create_space("anna", **PLACE)
    await b.create_space("bice", **PLACE)
    await b.create_space("celo", discoverable=False, **PLACE)
    for target in ("bice", "celo"):
        response = await a.client.post("/api/v1/spaces/anna/following", json={"target": f"{b.base_url}/users/{target}"})
        assert response.status_code == 202, response.text
    await drain(a, b)
    assert {i["actor_id"] for i in await directory_items(a, "spaces")} == {
        f"{a.base_url}/users/anna", f"{b.base_url}/users/bice"}

    response = await a.client.delete("/api/v1/spaces/anna/following", params={"target": f"{b.base_url}/users/bice"})
    assert response.status_code == 202, response.text
    await drain(a, b)
    assert [i["actor_id"] for i in await directory_items(a, "spaces")] == [f"{a.base_url}/users/anna"]
