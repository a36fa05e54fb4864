"""A Fedify 2 peer publishing a `Place` and an `Event` enters a hub's aggregate once the hub follows it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.interop.fedify_peer import FedifyPeer
from tests.servers import Instance, drain, run_instance

pytestmark = pytest.mark.interop


async def _drained_until(hub: Instance, probe: Any, timeout: float = 20.0) -> Any:
    """Fedify delivers on its own schedule: work our queues until the probe sees the result."""
    deadline = time.monotonic() + timeout
    while True:
        await drain(hub)
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s")
        await asyncio.sleep(0.2)


async def test_fedify__place_and_event_enter_the_hub(tmp_path: Path) -> None:
    async with run_instance(tmp_path, "hub", directory=True, directory_crawl_delay=0.0) as hub:
        with FedifyPeer.start() as peer:
            response = await hub.client.post("/api/v1/directory/follows", json={"target": peer.actor_url})
            assert response.status_code == 202, response.text

            async def accepted() -> bool:
                items = (await hub.client.get("/api/v1/spaces/directory/following")).json()["items"]
                return [i["state"] for i in items] == ["accepted"]

            await _drained_until(hub, accepted)
            peer.publish_place(name="Coworking Racale", address="Via Roma 1, Racale", latitude=39.96, longitude=18.09)

            async def listed() -> list[dict[str, Any]]:
                items: list[dict[str, Any]] = (await hub.client.get("/api/v1/directory/spaces")).json()["items"]
                return items

            [space] = await _drained_until(hub, listed)
            published = peer.publish_event(name="Aperitivo federato", startTime="2031-05-02T16:00:00Z",
                                           endTime="2031-05-02T19:00:00Z")

            async def events() -> list[dict[str, Any]]:
                items: list[dict[str, Any]] = (await hub.client.get("/api/v1/directory/events")).json()["items"]
                return items

            [event] = await _drained_until(hub, events)
    assert space["actor_id"] == peer.actor_url and space["name"] == "Coworking Racale"
    assert space["geo"] == {"lat": 39.96, "lon": 18.09}
    assert space["origin"] == {"instance": f"127.0.0.1:{peer.port}", "actor_id": peer.actor_url, "listed_via": None}
    assert event["object_id"] == published["id"] and event["title"] == "Aperitivo federato"
    assert event["space"]["actor_id"] == peer.actor_url and event["origin"]["instance"] == f"127.0.0.1:{peer.port}"
