"""Issue 5, freshness: the hub's refresh of listed spaces (410, unreachable, back again), on a moving clock."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from web.app import create_app

from ..federation.remote_host import RemoteHost, remote_host
from ..servers import Instance, ServerThread, drain, run_instance
from .test_directory_hub import HUB, cli, follow, listed
from .test_network_view import PLACE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class ShiftedClock:
    """Real time moved forward by hand, shared by every instance of a test (signature dates stay in step)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def restart(instance: Instance, clock: ShiftedClock) -> None:
    """Serve the instance again on its port, from its database as it was left."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", instance.server.port))
    sock.listen(512)
    instance.app = create_app(instance.settings, clock=clock)
    instance.server = ServerThread(instance.app, sock)
    instance.server.start()


async def accept_follow(host: RemoteHost, name: str, inbox: str) -> None:
    """The remote actor `name` accepts the Follow it received, signed, at our `inbox`."""
    actor_id = host.actor_id(name)
    follow_activity = next(x for x in host.received if x.get("type") == "Follow")
    accept = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor_id}#accept-1",
              "type": "Accept", "actor": actor_id, "object": follow_activity}
    body, headers = host.signed_post(inbox, accept, signer=name)
    async with httpx.AsyncClient() as client:
        assert (await client.post(inbox, content=body, headers=headers)).status_code == 202


async def refresh_cycle(hub: Instance, *others: Instance) -> None:
    """Queue the hub's crawl now (it queues refreshes of stale listings) and drain: one worker cycle."""
    assert await cli(hub, "crawl") == ["crawl queued: the worker runs it"]
    await drain(hub, *others)


async def test_refresh__a_listed_space_that_answers_410_is_unlisted(tmp_path: Path) -> None:
    clock = ShiftedClock()
    async with run_instance(tmp_path, "hub", clock=clock, **HUB) as hub:
        with remote_host() as host:
            host.add_actor("gina", "Gina Cowork").extra = {
                "discoverable": True,
                "location": {"type": "Place", "latitude": 39.96, "longitude": 18.09,
                             "address": {"type": "PostalAddress", "addressLocality": "Racale",
                                         "addressCountry": "IT"}},
            }
            gina = host.actor_id("gina")
            assert (await cli(hub, "add", gina))[0] == f"actor: {gina}"
            await drain(hub)
            await accept_follow(host, "gina", f"{hub.base_url}/users/directory/inbox")
            await drain(hub)
            assert (await listed(hub))[gina]["name"] == "Gina Cowork"

            host.gone.add("gina")
            clock.advance(days=2)  # older than the refresh age (a day)
            await refresh_cycle(hub)
            assert gina not in await listed(hub)
            page = await hub.client.get("/directory/space", params={"actor": gina})
            assert page.status_code == 404


async def test_refresh__unreachable_instance_shown_then_hidden_then_back(tmp_path: Path) -> None:
    clock = ShiftedClock()
    async with (run_instance(tmp_path, "hub", clock=clock, directory_hide_unreachable_days=3, **HUB) as hub,
                run_instance(tmp_path, "b", clock=clock) as b):
        await b.create_space("bice", **PLACE)
        bice = f"{b.base_url}/users/bice"
        await follow(b, "bice", f"@directory@{hub.domain}")
        await drain(hub, b)
        first_seen = (await listed(hub))[bice]
        assert first_seen["reachable"] is True

        b.server.stop()
        try:
            clock.advance(days=2)
            await refresh_cycle(hub)
            item = (await listed(hub))[bice]
            assert item["reachable"] is False and item["last_seen_at"] == first_seen["last_seen_at"]
            page = (await hub.client.get("/directory/space", params={"actor": bice})).text
            assert "instance unreachable" in page and "Last seen" in page

            clock.advance(days=4)  # unreachable for longer than ESPRESSO_DIRECTORY_HIDE_UNREACHABLE_DAYS
            assert bice not in await listed(hub)
        finally:
            restart(b, clock)
        try:
            clock.advance(days=1)
            await refresh_cycle(hub, b)
            item = (await listed(hub))[bice]
            assert item["reachable"] is True and item["last_seen_at"] > first_seen["last_seen_at"]
        finally:
            b.server.stop()


async def test_refresh__an_ordinary_instance_refreshes_the_spaces_it_follows(tmp_path: Path) -> None:
    """Not only hubs: the periodic upkeep task queued at startup refreshes stale listings everywhere."""
    clock = ShiftedClock()
    async with run_instance(tmp_path, "a", clock=clock) as a:
        await a.create_space("racale")
        with remote_host() as host:
            host.add_actor("gina", "Gina Cowork").extra = {
                "discoverable": True,
                "location": {"type": "Place", "latitude": 39.96, "longitude": 18.09},
            }
            gina = host.actor_id("gina")
            followed = await a.client.post("/api/v1/spaces/racale/following", json={"target": gina})
            assert followed.status_code == 202, followed.text
            await drain(a)
            await accept_follow(host, "gina", f"{a.base_url}/users/racale/inbox")
            await drain(a)
            assert (await listed(a))[gina]["name"] == "Gina Cowork"

            host.gone.add("gina")
            clock.advance(days=2)  # past the upkeep's first run and the refresh age
            await drain(a)
            assert gina not in await listed(a)
