"""FEP-8a8e `upcomingEvents` of a space actor, read from a running instance and
expanded offline as a strict JSON-LD reader would."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pyld import jsonld

from tests.directory.test_event_document import assert_every_term_expanded
from tests.jsonld import offline_loader

from ..servers import Instance
from .test_events import AP, EVENT, RACALE

pytestmark = [pytest.mark.e2e]

FEP_8A8E = "https://w3id.org/fep/8a8e#upcomingEvents"


async def _event(instance: Instance, day: int, **changes: Any) -> dict[str, Any]:
    body = {**EVENT, "title": f"Day {day}", "starts_at": f"2027-09-{day}T09:30:00+02:00",
            "ends_at": f"2027-09-{day}T18:00:00+02:00", **changes}
    response = await instance.client.post("/api/v1/spaces/racale/events", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_upcoming_events__future_events_by_ascending_start_declared_on_the_actor(instance: Instance) -> None:
    await instance.create_space("racale", **RACALE)
    later, sooner = await _event(instance, 24), await _event(instance, 22)
    past = await _event(instance, 1, starts_at="2020-01-01T09:00:00+01:00", ends_at="2020-01-01T10:00:00+01:00")
    deleted = await _event(instance, 23)
    await instance.client.delete(f"/api/v1/spaces/racale/events/{deleted['id']}")

    actor_url = f"{instance.base_url}/users/racale"
    async with httpx.AsyncClient(headers=AP) as client:
        actor = (await client.get(actor_url)).json()
        response = await client.get(actor["upcomingEvents"])
        browser = await client.get(actor["upcomingEvents"], headers={"Accept": "text/html"})
        missing = await client.get(f"{instance.base_url}/users/nobody/collections/upcoming-events")
    assert actor["upcomingEvents"] == f"{actor_url}/collections/upcoming-events"
    assert actor["featured"] == f"{actor_url}/collections/featured"
    [expanded_actor] = jsonld.expand(actor, {"documentLoader": offline_loader})
    assert expanded_actor[FEP_8A8E] == [{"@id": actor["upcomingEvents"]}]

    assert response.status_code == 200 and response.headers["content-type"].startswith("application/activity+json")
    collection = response.json()
    assert collection["type"] == "OrderedCollection" and collection["id"] == actor["upcomingEvents"]
    assert [item["id"] for item in collection["orderedItems"]] == [sooner["object_id"], later["object_id"]]
    assert collection["totalItems"] == 2 and past["object_id"] not in str(collection)
    assert all(item["type"] == "Event" and "@context" not in item for item in collection["orderedItems"])
    [expanded] = jsonld.expand(collection, {"documentLoader": offline_loader})
    items = expanded["https://www.w3.org/ns/activitystreams#items"][0]["@list"]
    assert [item["@id"] for item in items] == [sooner["object_id"], later["object_id"]]
    for item, compact in zip(items, collection["orderedItems"], strict=True):
        assert_every_term_expanded(compact, item)  # the collection's context covers its events
    assert browser.status_code == 200 and browser.json() == collection
    assert missing.status_code == 404

    assert (await instance.client.delete("/api/v1/spaces/racale")).status_code == 204
    async with httpx.AsyncClient(headers=AP) as client:
        gone = await client.get(actor["upcomingEvents"])
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
