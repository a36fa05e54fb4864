"""Issue #2's bar: a strict, independent ActivityPub implementation (Fedify 2)
reads our space actor as an `Organization` with a usable key and a `Place`."""

from __future__ import annotations

import pytest

from tests.interop.fedify_peer import FedifyPeer
from tests.servers import Instance
from tests.web.test_spaces_api import RACALE

pytestmark = pytest.mark.interop


async def test_fedify__parses_our_space_actor_strictly(instance: Instance) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    actor_url = f"{instance.base_url}/users/racale"
    with FedifyPeer.start() as peer:
        seen = peer.lookup(actor_url)
        signed = peer.lookup(actor_url, signed=True)
    assert seen["type"] == "Organization"
    assert seen["id"] == actor_url
    assert seen["preferredUsername"] == "racale"
    assert seen["name"] == "Coworking Racale"
    assert seen["inbox"] == f"{actor_url}/inbox"
    assert seen["sharedInbox"] == f"{instance.base_url}/inbox"
    assert seen["publicKeyId"] == f"{actor_url}#main-key"
    assert seen["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert f"{actor_url}#ed25519-key" in seen["assertionMethodIds"]
    location = seen["location"]
    assert location["type"] == "Place"
    assert location["latitude"] == pytest.approx(39.9608)
    assert location["longitude"] == pytest.approx(18.0937)
    assert not seen.get("errors"), seen.get("errors")
    assert signed["type"] == "Organization"


async def test_fedify__parses_the_instance_actor(instance: Instance) -> None:
    with FedifyPeer.start() as peer:
        seen = peer.lookup(f"{instance.base_url}/users/instance")
    assert seen["type"] == "Application"
    assert seen["publicKeyId"] == f"{instance.base_url}/users/instance#main-key"
