"""Events and notes from software other than Espresso (Gancio-, Mobilizon-shaped, odd ones),
posted signed to a real instance's inbox by a small loopback host."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..federation.remote_host import RemoteHost, remote_host
from ..servers import Instance, drain, run_instance

pytestmark = [pytest.mark.e2e]

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Instance, RemoteHost]]:
    with remote_host() as host:
        host.add_actor("gancio")
        host.add_actor("stranger")
        async with run_instance(tmp_path, "a", worker="external") as a:
            await a.create_space("racale")
            await a.create_space("lecce")
            response = await a.client.post("/api/v1/spaces/racale/following", json={"target": host.actor_id("gancio")})
            assert response.status_code == 202, response.text
            await drain(a)
            await post(a, host, "gancio", {
                "id": f"{host.base_url}/accept/1", "type": "Accept", "actor": host.actor_id("gancio"),
                "object": {"type": "Follow", "actor": f"{a.base_url}/users/racale", "object": host.actor_id("gancio")},
            })
            following = (await a.client.get("/api/v1/spaces/racale/following")).json()["items"]
            assert [f["state"] for f in following] == ["accepted"]
            yield a, host


async def post(instance: Instance, host: RemoteHost, signer: str, activity: dict[str, Any]) -> None:
    url = f"{instance.base_url}/inbox"
    body, headers = host.signed_post(url, {"@context": "https://www.w3.org/ns/activitystreams", **activity},
                                     signer=signer)
    async with httpx.AsyncClient() as client:
        response = await client.post(url, content=body, headers=headers)
    assert response.status_code == 202, response.text
    await drain(instance)


def gancio_event(host: RemoteHost, number: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"{host.base_url}/federation/m/{number}", "type": "Event", "name": f"Concerto {number}",
        "attributedTo": host.actor_id("gancio"), "to": [PUBLIC], "startTime": "2027-10-01T21:00:00.000Z",
        "content": "<p>Musica <img src=x onerror=alert(1)></p>",
        "location": [{"type": "Place", "name": "Circolo", "address": "Via Dante 3, Bologna"},
                     {"type": "VirtualLocation", "url": "https://stream.example/live"}],
        **changes,
    }


def create(host: RemoteHost, kind: str, obj: dict[str, Any], actor: str = "gancio") -> dict[str, Any]:
    return {"id": f"{obj['id']}/{kind.lower()}", "type": kind, "actor": host.actor_id(actor), "object": obj}


async def received(instance: Instance, username: str, kind: str) -> list[dict[str, Any]]:
    response = await instance.client.get(f"/api/v1/spaces/{username}/received", params={"type": kind})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_received__gancio_event_created_updated_deleted_only_by_its_origin(setup: tuple[Instance, RemoteHost]) -> None:
    a, host = setup
    await post(a, host, "gancio", create(host, "Create", gancio_event(host, 1)))
    [item] = await received(a, "racale", "Event")
    assert item["object_id"] == f"{host.base_url}/federation/m/1" and item["origin"] == host.domain
    assert item["attributed_to"] == host.actor_id("gancio")
    assert item["ends_at"] is None and item["starts_at"].startswith("2027-10-01T21:00:00")
    assert item["location"] == {"name": "Circolo", "street": "Via Dante 3, Bologna"}
    assert item["online_url"] == "https://stream.example/live"
    assert "onerror" not in item["content"] and "Musica" in item["content"]
    assert await received(a, "lecce", "Event") == []  # lecce follows nobody

    await post(a, host, "gancio", create(host, "Update", gancio_event(host, 1, name="Concerto spostato",
                                                                       startTime="2027-10-02T21:00:00Z")))
    [item] = await received(a, "racale", "Event")
    assert item["name"] == "Concerto spostato" and item["starts_at"].startswith("2027-10-02T21:00:00")

    # A Delete signed by an actor of another host is not the origin's word: ignored.
    with remote_host() as other:
        other.add_actor("mallory")
        await post(a, other, "mallory", {"id": f"{other.base_url}/d/1", "type": "Delete",
                                         "actor": other.actor_id("mallory"), "object": item["object_id"]})
    assert len(await received(a, "racale", "Event")) == 1

    await post(a, host, "gancio", {"id": f"{host.base_url}/d/1", "type": "Delete", "actor": host.actor_id("gancio"),
                                   "object": {"type": "Tombstone", "id": item["object_id"]}})
    assert await received(a, "racale", "Event") == []


async def test_received__absurd_event_keeps_what_is_valid_and_the_worker_goes_on(setup: tuple[Instance, RemoteHost]) -> None:
    a, host = setup
    odd = gancio_event(host, 2, startTime="not a date", endTime="1999-01-01T00:00:00Z", timezone="Mars/Olympus",
                       location={"type": "Place", "latitude": 1000, "longitude": "east", "address": 42},
                       name="x" * 5000, url=["javascript:alert(1)", {"href": "https://gancio.example/e/2"}])
    await post(a, host, "gancio", create(host, "Create", odd))
    await post(a, host, "gancio", create(host, "Create", gancio_event(host, 3)))
    items = {item["object_id"].rsplit("/", 1)[-1]: item for item in await received(a, "racale", "Event")}
    assert set(items) == {"2", "3"}
    assert items["2"]["starts_at"] is None and items["2"]["timezone"] is None and items["2"]["location"] is None
    assert len(items["2"]["name"]) == 300 and items["2"]["url"] == "https://gancio.example/e/2"


async def test_received__note_mentioning_a_space_is_kept_even_from_strangers(setup: tuple[Instance, RemoteHost]) -> None:
    a, host = setup
    lecce = f"{a.base_url}/users/lecce"
    note = {"id": f"{host.base_url}/notes/1", "type": "Note", "attributedTo": host.actor_id("stranger"),
            "content": "<p>Ciao @lecce</p>", "to": [PUBLIC], "cc": [lecce],
            "tag": [{"type": "Mention", "href": lecce, "name": f"@lecce@{a.domain}"}]}
    await post(a, host, "stranger", create(host, "Create", note, actor="stranger"))
    [item] = await received(a, "lecce", "Note")
    assert item["attributed_to"] == host.actor_id("stranger") and "Ciao" in item["content"]
    assert await received(a, "racale", "Note") == []  # racale follows gancio, not the stranger
    unrelated = {**note, "id": f"{host.base_url}/notes/2", "cc": [], "tag": []}
    await post(a, host, "stranger", create(host, "Create", unrelated, actor="stranger"))
    assert len(await received(a, "lecce", "Note")) == 1
