"""Filling the demo network through the admin API, then waiting until federation has settled.

Everything goes through the public HTTP surface of each instance (admin API with a token, public
directory API), exactly as an operator's script would, so the demo exercises the real paths:
Follow/Accept between instances, Create/Update deliveries, the hub's listing. Nothing here
touches a database.

Waits are polls against deadlines; a wait that runs out yields a warning for the person
watching instead of an error, since a network still settling is still worth looking at.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from .demo_data import SampleSpace, events_of

__all__ = ["Node", "Seeder", "hub_actor_id"]

_POLL_SECONDS = 0.25
HUB_USERNAME = "directory"


@dataclass(frozen=True)
class Node:
    """A running instance, as the seeder reaches it."""

    key: str
    base_url: str
    domain: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class _Published:
    node: Node
    username: str
    kind: str  # "events" or "posts"
    id: int
    object_id: str


@dataclass
class Seeder:
    client: httpx.AsyncClient
    nodes: dict[str, Node]
    samples: list[SampleSpace]
    today: date
    hub: Node | None = None
    hub_actor: str | None = None
    actor_ids: dict[str, str] = field(default_factory=dict)  # username -> actor id
    published: list[_Published] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def node_of(self, sample: SampleSpace) -> Node:
        return self.nodes[sample.instance]

    def handle_of(self, sample: SampleSpace) -> str:
        return f"@{sample.username}@{self.node_of(sample).domain}"

    async def _call(self, method: str, node: Node, path: str, body: Any = None,
                    ok: Iterable[int] = (200, 201, 202, 204)) -> httpx.Response:
        response = await self.client.request(method, f"{node.base_url}{path}", json=body, headers=node.headers)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {node.base_url}{path} answered {response.status_code}: {response.text[:300]}")
        return response

    async def _per_instance(self, action: Callable[[SampleSpace], Awaitable[None]],
                            samples: Iterable[SampleSpace]) -> None:
        """One space after the other on an instance (one SQLite writer), instances side by side."""
        by_instance: dict[str, list[SampleSpace]] = {}
        for sample in samples:
            by_instance.setdefault(sample.instance, []).append(sample)

        async def run(group: list[SampleSpace]) -> None:
            for sample in group:
                await action(sample)

        await asyncio.gather(*(run(group) for group in by_instance.values()))

    # -- seeding ------------------------------------------------------------------------------

    async def create_spaces(self) -> list[SampleSpace]:
        """Create the spaces; returns those that were new (a kept `--data` folder has the others)."""
        created: list[SampleSpace] = []

        async def create(sample: SampleSpace) -> None:
            node = self.node_of(sample)
            response = await self._call("POST", node, "/api/v1/spaces", sample.space, ok=(201, 409))
            if response.status_code == 409:
                response = await self._call("GET", node, f"/api/v1/spaces/{sample.username}")
            else:
                created.append(sample)
            self.actor_ids[sample.username] = response.json()["actor_id"]

        await self._per_instance(create, self.samples)
        return created

    async def follow_each_other(self) -> None:
        """Every space follows the spaces of the other instances, and the hub (which follows back)."""

        async def follow(sample: SampleSpace) -> None:
            targets = [self.handle_of(other) for other in self.samples if other.instance != sample.instance]
            if self.hub is not None:
                targets.append(f"@{HUB_USERNAME}@{self.hub.domain}")
            for target in targets:
                await self._call("POST", self.node_of(sample), f"/api/v1/spaces/{sample.username}/following",
                                 {"target": target})

        await self._per_instance(follow, self.samples)

    async def publish(self, samples: list[SampleSpace]) -> None:
        """Events and a news post of each new space; the events marked so are then cancelled."""

        async def publish_one(sample: SampleSpace) -> None:
            node, base = self.node_of(sample), f"/api/v1/spaces/{sample.username}"
            for event, cancelled in events_of(sample, self.today):
                made = (await self._call("POST", node, f"{base}/events", event)).json()
                self.published.append(_Published(node, sample.username, "events", made["id"], made["object_id"]))
                if cancelled:
                    await self._call("PATCH", node, f"{base}/events/{made['id']}", {"status": "cancelled"})
            if sample.news:
                made = (await self._call("POST", node, f"{base}/posts", {"content": sample.news})).json()
                self.published.append(_Published(node, sample.username, "posts", made["id"], made["object_id"]))

        await self._per_instance(publish_one, samples)

    # -- settling -----------------------------------------------------------------------------

    async def _until(self, check: Callable[[], Awaitable[bool]], deadline: float, what: str) -> bool:
        while True:
            if await check():
                return True
            if time.monotonic() >= deadline:
                self.warnings.append(f"{what} has not settled yet; it may finish in the background.")
                return False
            await asyncio.sleep(_POLL_SECONDS)

    async def _items(self, node: Node, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a paged list (`{"items", "next"}`)."""
        items: list[dict[str, Any]] = []
        url: str | None = f"{node.base_url}{path}"
        while url:
            response = await self.client.get(url, params=params, headers=node.headers)
            response.raise_for_status()
            page = response.json()
            items.extend(page["items"])
            url, params = page.get("next"), None
        return items

    async def wait_for_follows(self, deadline: float) -> None:
        """Every Follow answered; with a hub, its follow-back accepted by every space too."""

        async def settled() -> bool:
            for sample in self.samples:
                base = f"/api/v1/spaces/{sample.username}"
                following = await self._items(self.node_of(sample), f"{base}/following")
                if any(item["state"] == "pending" for item in following):
                    return False
                for item in following:
                    if item["state"] in ("failed", "rejected"):
                        self.warnings.append(f"{self.handle_of(sample)} could not follow {item.get('target')}: "
                                             f"{item.get('error') or item['state']}")
                if self.hub_actor is not None:
                    followers = await self._items(self.node_of(sample), f"{base}/followers")
                    if not any(f["actor_id"] == self.hub_actor and f["state"] == "accepted" for f in followers):
                        return False
            return True

        await self._until(settled, deadline, "Following between the spaces")

    async def wait_for_deliveries(self, deadline: float) -> None:
        """Every event and post delivered (or given up on) to every follower's inbox."""

        async def settled() -> bool:
            for item in self.published:
                response = await self._call("GET", item.node, f"/api/v1/spaces/{item.username}/{item.kind}/{item.id}")
                if response.json().get("delivery", {}).get("pending", 0):
                    return False
            return True

        await self._until(settled, deadline, "Delivery of the events and news")

    async def wait_for_hub(self, deadline: float) -> None:
        """The hub lists every demo space and every event published in this run."""
        hub = self.hub
        if hub is None:
            return
        wanted_spaces = set(self.actor_ids.values())
        wanted_events = {item.object_id for item in self.published if item.kind == "events"}

        async def settled() -> bool:
            spaces = {item["actor_id"] for item in await self._items(hub, "/api/v1/directory/spaces")}
            if not wanted_spaces <= spaces:
                return False
            events = {item.get("object_id") for item in await self._items(hub, "/api/v1/directory/events")}
            return wanted_events <= events

        await self._until(settled, deadline, "The directory hub's listing")


async def hub_actor_id(client: httpx.AsyncClient, hub: Node) -> str | None:
    """The hub's directory actor, found by WebFinger as any peer would; None while no hub is built in."""
    try:
        response = await client.get(f"{hub.base_url}/.well-known/webfinger",
                                    params={"resource": f"acct:{HUB_USERNAME}@{hub.domain}"})
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    for link in response.json().get("links", []):
        if link.get("rel") == "self" and link.get("href"):
            return str(link["href"])
    return None
