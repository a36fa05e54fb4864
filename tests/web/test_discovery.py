"""How the fediverse finds a space: WebFinger, host-meta, NodeInfo, actor
documents by content negotiation, the HTML profile, and 410 once deleted."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import httpx
import pytest

from tests.servers import Instance
from tests.web.test_spaces_api import RACALE

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


async def test_webfinger__acct_and_url_resources_lead_to_the_actor(instance: Instance) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    actor_id = f"{instance.base_url}/users/racale"
    for resource in (f"acct:racale@{instance.domain}", actor_id, f"{instance.base_url}/@racale"):
        response = await instance.client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 200, resource
        assert response.headers["content-type"].startswith("application/jrd+json")
        document = response.json()
        assert document["subject"] == f"acct:racale@{instance.domain}"
        links = {link["rel"]: link for link in document["links"]}
        assert links["self"] == {"rel": "self", "type": AP, "href": actor_id}
        assert links["http://webfinger.net/rel/profile-page"]["href"] == f"{instance.base_url}/@racale"


@pytest.mark.parametrize(
    ("resource", "status"),
    [("", 400), ("acct:nobody@{domain}", 404), ("acct:racale@elsewhere.example", 404), ("nonsense", 404)],
)
async def test_webfinger__unknown_resources(instance: Instance, resource: str, status: int) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    response = await instance.client.get(
        "/.well-known/webfinger", params={"resource": resource.format(domain=instance.domain)}
    )
    assert response.status_code == status
    assert "resource" in response.json()["detail"]


async def test_host_meta__xml_and_json_point_to_webfinger(instance: Instance) -> None:
    xml = await instance.client.get("/.well-known/host-meta")
    assert xml.headers["content-type"].startswith("application/xrd+xml")
    link = ElementTree.fromstring(xml.text).find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None
    assert link.get("template") == f"{instance.base_url}/.well-known/webfinger?resource={{uri}}"
    json_form = await instance.client.get("/.well-known/host-meta.json")
    assert json_form.json()["links"][0]["template"] == link.get("template")


async def test_nodeinfo__discovery_and_document(instance: Instance) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    links = (await instance.client.get("/.well-known/nodeinfo")).json()["links"]
    by_rel = {link["rel"]: link["href"] for link in links}
    document_url = by_rel["http://nodeinfo.diaspora.software/ns/schema/2.1"]
    assert by_rel["https://www.w3.org/ns/activitystreams#Application"] == f"{instance.base_url}/users/instance"
    document = (await instance.client.get(document_url)).json()
    assert document["version"] == "2.1"
    assert document["software"]["name"] == "espresso"
    assert re.match(r"^\d+\.\d+\.\d+", document["software"]["version"])
    assert document["protocols"] == ["activitypub"]
    assert document["usage"]["users"]["total"] == 1
    assert document["metadata"]["spaces"] == 1
    assert document["metadata"]["nodeName"] == instance.settings.instance_name


@pytest.mark.parametrize("accept", [AP, LD])
async def test_actor__activity_json_for_peers(instance: Instance, accept: str) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    response = await instance.client.get("/users/racale", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AP)
    actor = response.json()
    assert actor["type"] == "Organization"
    assert actor["id"] == f"{instance.base_url}/users/racale"
    assert actor["preferredUsername"] == "racale"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert actor["assertionMethod"][0]["type"] == "Multikey"
    assert actor["assertionMethod"][0]["publicKeyMultibase"].startswith("z6Mk")
    assert actor["endpoints"]["sharedInbox"] == f"{instance.base_url}/inbox"
    assert actor["location"]["type"] == "Place"
    assert actor["location"]["latitude"] == pytest.approx(39.9608)
    assert "<strong>rurale</strong>" in actor["summary"]
    fields = [item for item in actor["attachment"] if item["type"] == "PropertyValue"]
    assert [field["name"] for field in fields][:4] == ["Indirizzo", "Orari", "Giornata", "Sito web"]


async def test_actor__browsers_get_the_profile_page(instance: Instance) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    for path in ("/users/racale", "/@racale"):
        response = await instance.client.get(path, headers={"Accept": "text/html,application/xhtml+xml"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert "<h1 class=\"p-name\">Coworking Racale</h1>" in page
        assert f'<link rel="alternate" type="application/activity+json" href="{instance.base_url}/users/racale">' in page
        assert f"@racale@{instance.domain}" in page
        assert 'property="og:title" content="Coworking Racale"' in page
        assert '"@type":"LocalBusiness"' in page
        assert "Via Roma 1" in page and "Mon–Fri 09:00–19:00" in page and "€15.00" in page
        assert "Meeting room" in page


async def test_actor__deleted_space_answers_410_with_a_tombstone(instance: Instance) -> None:
    await instance.client.post("/api/v1/spaces", json=RACALE)
    await instance.client.get("/users/racale", headers={"Accept": AP})  # warm the cache
    await instance.client.delete("/api/v1/spaces/racale")
    gone = await instance.client.get("/users/racale", headers={"Accept": AP})
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone"
    assert gone.json()["formerType"] == "Organization"
    page = await instance.client.get("/@racale")
    assert page.status_code == 410
    finger = await instance.client.get("/.well-known/webfinger", params={"resource": f"acct:racale@{instance.domain}"})
    assert finger.status_code == 404


async def test_actor__unknown_actor_is_404(instance: Instance) -> None:
    async with httpx.AsyncClient(base_url=instance.base_url) as client:
        assert (await client.get("/users/nobody", headers={"Accept": AP})).status_code == 404
        assert (await client.get("/@nobody")).status_code == 404


async def test_instance_actor__is_an_application_with_a_key(instance: Instance) -> None:
    actor = (await instance.client.get("/users/instance", headers={"Accept": AP})).json()
    assert actor["type"] == "Application"
    assert actor["publicKey"]["id"] == f"{instance.base_url}/users/instance#main-key"
