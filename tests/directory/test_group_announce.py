"""A partner network as a `Group` that forwards its members' activities (FEP-1b12, as Lemmy and group
software do): a space follows the group and gets its members' events, always as their origin serves them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.federation.remote_host import AS2, RemoteHost, remote_host
from tests.servers import Instance, drain

pytestmark = pytest.mark.e2e


@pytest.fixture
def network() -> Iterator[RemoteHost]:
    with remote_host() as host:
        host.add_actor("cowonet").extra.update({"type": "Group", "name": "Rete dei coworking"})
        host.add_actor("bari")  # a member: nobody here follows it
        yield host


def _event(network: RemoteHost, path: str, name: str) -> dict[str, Any]:
    return {"@context": AS2, "id": network.object_id(path), "type": "Event", "name": name,
            "attributedTo": network.actor_id("bari"), "startTime": "2027-10-01T19:00:00Z",
            "endTime": "2027-10-01T21:00:00Z", "content": "<p>Caffè e lavoro</p>"}


async def _deliver(instance: Instance, network: RemoteHost, activity: dict[str, Any], *, signer: str) -> None:
    body, headers = network.signed_post(instance.base_url + "/inbox", activity, signer=signer)
    response = await instance.client.post("/inbox", content=body, headers=headers)
    assert response.status_code == 202, response.text
    await drain(instance)


async def _received(instance: Instance) -> list[dict[str, Any]]:
    response = await instance.client.get("/api/v1/spaces/racale/received", params={"type": "Event"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_group_announce__members_events_arrive_as_their_origin_serves_them(
    instance: Instance, network: RemoteHost
) -> None:
    await instance.create_space("racale", name="Coworking Racale")
    group = network.actor_id("cowonet")
    response = await instance.client.post("/api/v1/spaces/racale/following", json={"target": group})
    assert response.status_code == 202, response.text
    await drain(instance)
    [follow] = [a for a in network.received if a["type"] == "Follow"]
    await _deliver(instance, network, {"@context": AS2, "id": f"{group}/accepts/1", "type": "Accept", "actor": group,
                                       "object": follow}, signer="cowonet")

    # The group forwards its member's Create with a tampered copy of the event: the origin's version is kept.
    network.objects["events/1"] = _event(network, "events/1", "Colazione di lavoro")
    member = network.actor_id("bari")
    create = {"@context": AS2, "id": f"{member}/activities/1", "type": "Create", "actor": member,
              "object": _event(network, "events/1", "Forged by the forwarder")}
    await _deliver(instance, network, {"@context": AS2, "id": f"{group}/announces/1", "type": "Announce",
                                       "actor": group, "object": create}, signer="cowonet")
    [item] = await _received(instance)
    assert item["object_id"] == network.object_id("events/1") and item["name"] == "Colazione di lavoro"
    assert item["attributed_to"] == member

    # A forwarded Delete while the origin still serves the event: not believed.
    delete = {"@context": AS2, "id": f"{member}/activities/2", "type": "Delete", "actor": member,
              "object": network.object_id("events/1")}
    await _deliver(instance, network, {"@context": AS2, "id": f"{group}/announces/2", "type": "Announce",
                                       "actor": group, "object": delete}, signer="cowonet")
    assert [i["object_id"] for i in await _received(instance)] == [network.object_id("events/1")]

    # Once the origin answers 410, the same forwarded Delete removes it.
    network.gone.add("events/1")
    await _deliver(instance, network, {"@context": AS2, "id": f"{group}/announces/3", "type": "Announce",
                                       "actor": group, "object": delete}, signer="cowonet")
    assert await _received(instance) == []
