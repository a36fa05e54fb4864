"""Issue 5, consent: a hub's crawl honours robots.txt, and a space leaves a hub by unfollowing it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..servers import Instance, ServerThread, bound_socket, drain, run_instance
from .test_directory_hub import HUB, cli, follow, listed
from .test_network_view import PLACE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class SeedHost:
    """A loopback host with one actor whose followers collection names ``follower``, and a robots.txt."""

    def __init__(self, robots: str, follower: str) -> None:
        self.sock = bound_socket()
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.domain = self.base.removeprefix("http://")
        self.actor_id = f"{self.base}/users/seed"
        self.requests: list[str] = []
        self.robots, self.follower = robots, follower
        self.server = ServerThread(Starlette(routes=[Route("/{path:path}", self.answer, methods=["GET", "POST"])]),
                                   self.sock)

    def _json(self, data: object) -> Response:
        return Response(orjson.dumps(data), media_type="application/activity+json")

    async def answer(self, request: Request) -> Response:
        path = request.url.path
        if request.method == "POST":
            return Response(status_code=202)
        self.requests.append(path)
        if path == "/robots.txt":
            return PlainTextResponse(self.robots)
        if path == "/users/seed":
            return self._json({"@context": "https://www.w3.org/ns/activitystreams", "id": self.actor_id,
                               "type": "Person", "preferredUsername": "seed", "inbox": f"{self.actor_id}/inbox",
                               "followers": f"{self.actor_id}/followers", "following": f"{self.actor_id}/following"})
        if path in ("/users/seed/followers", "/users/seed/following"):
            return self._json({"type": "OrderedCollection", "orderedItems": [self.follower]})
        return Response(status_code=404)


async def test_crawl__honours_robots_txt_per_host(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with (run_instance(tmp_path, "hub", **HUB) as hub, run_instance(tmp_path, "c") as c,
                run_instance(tmp_path, "d") as d):
        await c.create_space("erin", **PLACE)
        await d.create_space("dora", **PLACE)
        erin, dora = f"{c.base_url}/users/erin", f"{d.base_url}/users/dora"
        # Rules for others do not apply to us; `*` forbids only the following collection.
        allowing = SeedHost("User-agent: OtherBot\nDisallow: /\n\nUser-agent: *\nDisallow: /users/seed/following\n",
                            erin)
        closed = SeedHost("User-agent: Espresso\nDisallow: /\n\nUser-agent: *\nAllow: /\n", dora)
        for host in (allowing, closed):
            host.server.start()
        try:
            for host in (allowing, closed):
                assert (await cli(hub, "add", host.actor_id))[0] == f"actor: {host.actor_id}"
            await drain(hub, c, d)
            for host in (allowing, closed):
                host.requests.clear()
            with caplog.at_level(logging.INFO, logger="directory.crawl"):
                lines = await cli(hub, "crawl", "--once")
            await drain(hub, c, d)
        finally:
            for host in (allowing, closed):
                host.server.stop()
        assert f"followed {erin}" in lines and not any(dora in line for line in lines)
        assert closed.requests == ["/robots.txt"]  # nothing else of it was read
        assert f"robots.txt of {closed.domain} disallows crawling; host skipped" in caplog.text
        assert allowing.requests.count("/robots.txt") == 1  # once per run
        assert "/users/seed/followers" in allowing.requests and "/users/seed/following" not in allowing.requests
        assert set(await listed(hub)) == {erin}


async def test_hub__a_space_leaves_by_unfollowing_and_is_not_crawled_back(tmp_path: Path) -> None:
    async with run_instance(tmp_path, "hub", **HUB) as hub, run_instance(tmp_path, "b") as b:
        hub_actor = f"{hub.base_url}/users/directory"
        await b.create_space("bice", **PLACE)
        await b.create_space("carla", **PLACE)
        bice, carla = f"{b.base_url}/users/bice", f"{b.base_url}/users/carla"
        for name in ("bice", "carla"):
            await follow(b, name, f"@directory@{hub.domain}")
        await drain(hub, b)
        assert set(await listed(hub)) == {bice, carla}

        response = await b.client.delete("/api/v1/spaces/bice/following", params={"target": hub_actor})
        assert response.status_code == 202, response.text
        await drain(hub, b)
        assert set(await listed(hub)) == {carla}
        followers = (await b.client.get("/api/v1/spaces/bice/followers")).json()
        assert hub_actor not in str(followers)  # the hub unfollowed it too

        # The crawl reads b's directory API through carla and finds bice there: it leaves it alone.
        lines = await cli(hub, "crawl", "--once")
        await drain(hub, b)
        assert not any(bice in line for line in lines)
        assert set(await listed(hub)) == {carla}

        # Asking again lists it again.
        await follow(b, "bice", hub_actor)
        await drain(hub, b)
        assert set(await listed(hub)) == {bice, carla}


async def test_directory_pages__last_seen_and_how_to_be_removed(tmp_path: Path) -> None:
    async with run_instance(tmp_path, "hub", **HUB) as hub, run_instance(tmp_path, "b") as b:
        await b.create_space("bice", **PLACE)
        await follow(b, "bice", f"@directory@{hub.domain}")
        await drain(hub, b)
        item = (await listed(hub))[f"{b.base_url}/users/bice"]
        assert item["last_seen_at"] and item["reachable"] is True

        pages: dict[str, Callable[[str], bool]] = {
            "en": lambda text: "Last seen" in text, "it": lambda text: "Visto l'ultima volta" in text or "Visto l&#39;ultima volta" in text}
        for lang, shows_last_seen in pages.items():
            page = await hub.client.get("/directory/space", params={"actor": item["actor_id"]},
                                        headers={"Accept-Language": lang})
            assert page.status_code == 200 and shows_last_seen(page.text), page.text
        page = (await hub.client.get("/directory", headers={"Accept-Language": "en"})).text
        assert "Leaving this directory" in page and f"@directory@{hub.domain}" in page
        assert "discoverable" in page
        page = (await hub.client.get("/directory", headers={"Accept-Language": "it"})).text
        assert "Uscire da questa directory" in page
        plain: Instance = b  # an instance that is no hub has nobody to unfollow
        assert "Leaving this directory" not in (await plain.client.get("/directory")).text
