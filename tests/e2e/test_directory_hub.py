"""Issue 5, part B: directory hubs on loopback networks, as protocol transcripts."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.cli_directory import directory_command

from ..servers import Instance, ServerThread, bound_socket, drain, run_instance
from .test_network_view import HOURS, PLACE, directory_items

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AP = {"Accept": "application/activity+json"}
HUB = {"directory": True, "directory_crawl_delay": 0.0}


async def listed(instance: Instance) -> dict[str, dict[str, Any]]:
    return {item["actor_id"]: item for item in await directory_items(instance, "spaces")}


async def follow(instance: Instance, username: str, target: str) -> None:
    response = await instance.client.post(f"/api/v1/spaces/{username}/following", json={"target": target})
    assert response.status_code == 202, response.text


async def cli(hub: Instance, *argv: str) -> list[str]:
    args = argparse.Namespace(directory_command=argv[0], target=argv[1] if argv[0] == "add" else None,
                              once="--once" in argv)
    return await directory_command(hub.settings, args)


@pytest.fixture
async def network(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance, Instance]]:
    async with (run_instance(tmp_path, "hub", **HUB) as hub, run_instance(tmp_path, "b") as b,
                run_instance(tmp_path, "c") as c):
        yield hub, b, c


def odd_host() -> ServerThread:
    """A "remote" whose NodeInfo and collections are malformed, though its actor is valid."""
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    actor = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{base}/users/odd", "type": "Person",
             "preferredUsername": "odd", "inbox": f"{base}/users/odd/inbox", "following": f"{base}/following",
             "followers": f"{base}/followers", "location": {"type": "Place", "latitude": "north"}}

    async def answer(request: Request) -> Response:
        path = request.url.path
        if path == "/users/odd":
            return Response(orjson.dumps(actor), media_type="application/activity+json")
        if path == "/.well-known/nodeinfo":
            return Response(b'{"links": [{"rel": 5, "href": {"nope": 1}}, "x"', media_type="application/json")
        if path in ("/following", "/followers"):
            return Response(orjson.dumps({"type": "OrderedCollection", "first": {"orderedItems": 7, "next": 3}}),
                            media_type="application/activity+json")
        if request.method == "POST":
            return Response(status_code=202)
        return Response(status_code=404)

    app = Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])
    server = ServerThread(app, sock)
    server.start()
    return server


async def test_hub__join_by_follow_operator_add_and_crawl(network: tuple[Instance, Instance, Instance]) -> None:
    hub, b, c = network
    hub_actor = f"{hub.base_url}/users/directory"
    async with httpx.AsyncClient(headers=AP) as client:
        document = (await client.get(hub_actor)).json()
        nodeinfo = (await client.get(f"{hub.base_url}/nodeinfo/2.1")).json()
    assert document["type"] == "Service" and document["listedSpaces"] == f"{hub_actor}/spaces"
    assert nodeinfo["metadata"]["directoryActor"] == hub_actor

    for name in ("bice", "carla", "dora"):
        await b.create_space(name, **PLACE)
    await c.create_space("erin", **PLACE)
    await c.create_space("fiona", discoverable=False, **PLACE)
    bice, carla, dora = (f"{b.base_url}/users/{n}" for n in ("bice", "carla", "dora"))
    erin, fiona = f"{c.base_url}/users/erin", f"{c.base_url}/users/fiona"

    # 1. A space asks to be listed by following the hub; the hub follows back.
    await follow(b, "bice", f"@directory@{hub.domain}")
    await drain(hub, b, c)
    assert set(await listed(hub)) == {bice}
    assert (await listed(hub))[bice]["origin"] == {"instance": b.domain, "actor_id": bice, "listed_via": None}

    # 2. An operator adds spaces, by the API and the CLI.
    response = await hub.client.post("/api/v1/directory/follows", json={"target": f"@carla@{b.domain}"})
    assert response.status_code == 202, response.text
    assert response.json()["followed"][0]["actor_id"] == carla
    assert (await cli(hub, "add", dora))[0] == f"actor: {dora}"
    await drain(hub, b, c)
    assert set(await listed(hub)) == {bice, carla, dora}

    # 3. The crawl finds erin through bice's follows, skips fiona (opted out) and a malformed node.
    await follow(b, "bice", erin)
    await follow(b, "bice", fiona)
    odd = odd_host()
    try:
        await cli(hub, "add", f"http://127.0.0.1:{odd.port}/users/odd")
        await drain(hub, b, c)
        await follow(c, "erin", f"http://127.0.0.1:{odd.port}/users/odd")
        await drain(hub, b, c)
        lines = await cli(hub, "crawl", "--once")
        assert f"followed {erin}" in lines and not any(fiona in line for line in lines)
        assert any(".well-known/nodeinfo" in line for line in lines if line.startswith("error"))
        await drain(hub, b, c)
    finally:
        odd.stop()
    assert set(await listed(hub)) == {bice, carla, dora, erin}

    # The hub's list, as partner hubs read it.
    async with httpx.AsyncClient(headers=AP) as client:
        collection = (await client.get(f"{hub_actor}/spaces")).json()
        page = (await client.get(collection["first"])).json()
    assert collection["totalItems"] == 4 and set(page["orderedItems"]) == {bice, carla, dora, erin}


async def test_hub__moderated_join_waits_for_the_operator(tmp_path: Path) -> None:
    async with (run_instance(tmp_path, "hub", directory_moderated=True, **HUB) as hub,
                run_instance(tmp_path, "b") as b):
        await b.create_space("bice", **PLACE)
        await follow(b, "bice", f"{hub.base_url}/users/directory")
        await drain(hub, b)
        assert await listed(hub) == {}
        requests = (await hub.client.get("/api/v1/spaces/directory/follow-requests")).json()["items"]
        assert [r["actor_id"] for r in requests] == [f"{b.base_url}/users/bice"]
        response = await hub.client.post(f"/api/v1/spaces/directory/follow-requests/{requests[0]['id']}/accept")
        assert response.status_code == 200, response.text
        await drain(hub, b)
        assert set(await listed(hub)) == {f"{b.base_url}/users/bice"}


async def test_hub__partner_hub_lists_with_provenance_updates_and_deletions(tmp_path: Path) -> None:
    async with (run_instance(tmp_path, "hub_a", **HUB) as hub_a, run_instance(tmp_path, "hub_b", **HUB) as hub_b,
                run_instance(tmp_path, "x") as x):
        everyone = (hub_a, hub_b, x)
        await x.create_space("sara", opening_hours=HOURS, **PLACE)
        await x.create_space("teo", **PLACE)
        sara, teo = f"{x.base_url}/users/sara", f"{x.base_url}/users/teo"
        b_actor = f"{hub_b.base_url}/users/directory"
        await follow(x, "sara", b_actor)
        await drain(*everyone)

        response = await hub_a.client.post("/api/v1/directory/follows", json={"target": b_actor})
        assert response.status_code == 202 and response.json()["kind"] == "directory", response.text
        await drain(*everyone)
        assert (await listed(hub_a))[sara]["origin"] == {"instance": x.domain, "actor_id": sara, "listed_via": b_actor}

        # A space joining hub B later reaches hub A through an Add.
        await follow(x, "teo", b_actor)
        await drain(*everyone)
        assert (await listed(hub_a))[teo]["origin"]["listed_via"] == b_actor
        page = (await hub_a.client.get("/directory/space", params={"actor": teo})).text
        assert f"listed via {hub_b.domain}" in page

        new_hours = [{"days": ["sa"], "opens": "08:00", "closes": "12:00"}]
        response = await x.client.patch("/api/v1/spaces/sara", json={"opening_hours": new_hours})
        assert response.status_code == 200, response.text
        await drain(*everyone)
        for hub in (hub_a, hub_b):
            assert (await listed(hub))[sara]["opening_hours"] == new_hours

        response = await x.client.delete("/api/v1/spaces/sara")
        assert response.status_code in (200, 204), response.text
        await drain(*everyone)
        for hub in (hub_a, hub_b):
            assert set(await listed(hub)) == {teo}
