"""A strict, independent implementation (Fedify 2) reads our Events, and ours read its Events."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.interop.fedify_peer import FedifyPeer
from tests.servers import Instance, eventually
from tests.web.test_spaces_api import RACALE

pytestmark = pytest.mark.interop

EVENT = {
    "title": "Espresso Coworking 2027",
    "description": "Two days of **talks**.",
    "starts_at": "2027-09-22T09:30:00+02:00",
    "ends_at": "2027-09-22T18:00:00+02:00",
    "timezone": "Europe/Rome",
    "location": "space",
}


async def test_fedify__parses_our_event_with_a_place_and_times(instance: Instance) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    with FedifyPeer.start() as peer:
        peer.follow(f"{instance.base_url}/users/racale")

        async def followed() -> bool:
            items = (await instance.client.get("/api/v1/spaces/racale/followers")).json()["items"]
            return [i["state"] for i in items] == ["accepted"]

        await eventually(followed, instance)
        created = (await instance.client.post("/api/v1/spaces/racale/events", json=EVENT)).json()
        seen = peer.lookup(created["object_id"])
        delivered = await eventually(
            lambda: next((a for a in peer.received() if a["type"] == "Create" and a.get("objectType") == "Event"), None),
            instance,
        )
    assert seen["type"] == "Event" and seen["id"] == created["object_id"]
    assert seen["name"] == EVENT["title"]
    assert "09:30–18:00 (Europe/Rome)" in seen["summary"]
    assert seen["startTime"].startswith("2027-09-22T07:30:00") or seen["startTime"].startswith("2027-09-22T09:30:00+02")
    assert seen["endTime"] is not None
    assert seen["location"]["type"] == "Place"
    assert seen["location"]["latitude"] == pytest.approx(39.9608)
    assert not seen.get("errors"), seen.get("errors")
    assert delivered["verified"] is True and delivered["objectId"] == created["object_id"]


async def test_fedify__its_event_is_stored_by_a_following_space(instance: Instance) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    with FedifyPeer.start() as peer:
        alice = peer.health()["actor"]
        response = await instance.client.post("/api/v1/spaces/racale/following", json={"target": alice})
        assert response.status_code == 202, response.text

        async def accepted() -> bool:
            items = (await instance.client.get("/api/v1/spaces/racale/following")).json()["items"]
            return [i["state"] for i in items] == ["accepted"]

        await eventually(accepted, instance)
        published = peer.publish_event(
            name="Fedify meetup", startTime="2027-10-01T19:00:00Z", endTime="2027-10-01T21:00:00Z",
            summary="A meetup", content="<p>Come <b>along</b></p>",
            location={"name": "Biblioteca", "address": "Via Dante 1, Lecce", "latitude": 40.35, "longitude": 18.17},
        )

        async def stored() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (await instance.client.get(
                "/api/v1/spaces/racale/received", params={"type": "Event"})).json()["items"]
            return items

        [item] = await eventually(stored, instance)
    assert item["object_id"] == published["id"] and item["name"] == "Fedify meetup"
    assert item["attributed_to"] == alice and item["origin"] == alice.split("/")[2]
    assert item["starts_at"].startswith("2027-10-01T19:00:00") and item["ends_at"].startswith("2027-10-01T21:00:00")
    assert "<b>along</b>" in item["content"] or "along" in item["content"]
    assert item["location"]["name"] == "Biblioteca"
    assert item["location"]["geo"] == {"lat": pytest.approx(40.35), "lon": pytest.approx(18.17)}
