"""Discovery crawl of a directory hub: find spaces through the follow graph and NodeInfo.

From the actors the hub already knows (listed spaces, partner hubs, what operators
added), walk their ``followers`` and ``following`` collections; a found actor that
is a space (a ``location`` Place) and opted in (``discoverable: true``) is followed
by the hub, and listed once it accepts. Espresso instances (NodeInfo software
``espresso``) are also asked for their own spaces through their public directory API.

Polite by construction: one request at a time, at least ``per_host_delay`` apart per
host, a bounded number of pages and actors per run, and a host that fails
``max_host_errors`` times is left alone for the rest of the run. Each host's
robots.txt is read once per run (``directory.robots``) before anything else of it:
a URL it disallows to ``Espresso`` (or ``*``) is not fetched, and a host that
disallows everything is skipped. Every remote answer
is untrusted: one node's malformed NodeInfo, collection or actor is noted and skipped,
never a reason to stop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from federation.context import FederationContext
from federation.errors import FederationError, FetchError
from federation.fetch import JRD_ACCEPT, JRD_CONTENT_TYPES, fetch_json, make_client
from federation.models import Following, RemoteActor
from federation.remote_actors import RemoteActors, host_of

from .hub import LEFT, DirectoryHub
from .listing_models import DirectoryListing
from .network import is_place
from .network_models import CRAWLED, NetworkActor
from .place_parsing import space_from_actor_document
from .robots import RobotsRules

__all__ = ["CrawlLimits", "CrawlReport", "Crawler", "instance_spaces", "read_nodeinfo"]

log = logging.getLogger(__name__)

NODEINFO_PREFIX = "http://nodeinfo.diaspora.software/ns/schema/"
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"
MAX_INSTANCE_PAGES = 10


@dataclass(frozen=True)
class CrawlLimits:
    per_host_delay: float = 1.0
    max_pages: int = 3
    max_actors: int = 500
    max_host_errors: int = 3


@dataclass
class CrawlReport:
    visited: int = 0
    followed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Hosts whose robots.txt disallows crawling them (nothing of theirs was read).
    skipped_hosts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NodeInfo:
    software: str | None
    application_actor: str | None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def read_nodeinfo(ctx: FederationContext, client: Any, url: str) -> NodeInfo:
    """NodeInfo of the server of ``url``; raises FederationError or ValueError when it is unusable."""
    links = (await fetch_json(client, f"{_origin(url)}/.well-known/nodeinfo", policy=ctx.fetch_policy,
                              accept=JRD_ACCEPT, content_types=JRD_CONTENT_TYPES)).data.get("links")
    if not isinstance(links, list):
        raise ValueError("the NodeInfo discovery document has no links")
    href = {link.get("rel"): link.get("href") for link in links if isinstance(link, dict)}
    schema = next((h for rel, h in sorted(href.items(), key=lambda kv: str(kv[0]), reverse=True)
                   if isinstance(rel, str) and rel.startswith(NODEINFO_PREFIX) and isinstance(h, str)), None)
    software = None
    if schema is not None:
        data = (await fetch_json(client, schema, policy=ctx.fetch_policy, accept="application/json",
                                 content_types=JRD_CONTENT_TYPES)).data
        name = data.get("software", {}).get("name") if isinstance(data.get("software"), dict) else None
        software = name.lower() if isinstance(name, str) else None
    actor = href.get(APPLICATION_REL)
    return NodeInfo(software=software, application_actor=actor if isinstance(actor, str) else None)


async def _espresso_spaces(ctx: FederationContext, client: Any, origin: str, host: str) -> list[str]:
    """The spaces an Espresso instance hosts, from its public directory API."""
    found: list[str] = []
    url: str | None = f"{origin}/api/v1/directory/spaces"
    for _ in range(MAX_INSTANCE_PAGES):
        if url is None:
            break
        data = (await fetch_json(client, url, policy=ctx.fetch_policy, accept="application/json",
                                 content_types=JRD_CONTENT_TYPES)).data
        for item in data.get("items") or []:
            actor_id = item.get("actor_id") if isinstance(item, dict) else None
            if isinstance(actor_id, str) and host_of(actor_id) == host:
                found.append(actor_id)
        next_url = data.get("next")
        url = next_url if isinstance(next_url, str) and host_of(next_url) == host else None
    return found


async def instance_spaces(ctx: FederationContext, actors: RemoteActors, url: str) -> list[str]:
    """An instance named by URL: its spaces when it runs Espresso, else its instance actor (FEP-2677)."""
    client = make_client(ctx.fetch_policy)
    try:
        try:
            info = await read_nodeinfo(ctx, client, url)
        except (ValueError, AttributeError) as exc:
            raise FetchError(f"{url}: unusable NodeInfo ({exc})") from None
        if info.software == "espresso":
            return await _espresso_spaces(ctx, client, _origin(url), host_of(url))
        return [info.application_actor] if info.application_actor else []
    finally:
        await client.aclose()


class Crawler:
    def __init__(self, ctx: FederationContext, actors: RemoteActors, hub: DirectoryHub,
                 limits: CrawlLimits | None = None) -> None:
        self.ctx = ctx
        self.actors = actors
        self.hub = hub
        self.limits = limits or CrawlLimits()
        self._last_request: dict[str, float] = {}
        self._host_errors: dict[str, int] = {}
        self._robots: RobotsRules | None = None

    async def crawl(self) -> CrawlReport:
        report = CrawlReport()
        self._last_request.clear()
        self._host_errors.clear()
        seeds, known = await self._seeds()
        queue, seen = deque(seeds), set(seeds) | known
        nodeinfo_read: set[str] = set()
        client = make_client(self.ctx.fetch_policy)
        self._robots = RobotsRules(client, self.ctx.fetch_policy)
        try:
            while queue and report.visited < self.limits.max_actors:
                actor_id = queue.popleft()
                report.visited += 1
                found = await self._neighbours(actor_id, report)
                host = host_of(actor_id)
                if host not in nodeinfo_read:
                    nodeinfo_read.add(host)
                    found += await self._instance(client, actor_id, report)
                for candidate in found:
                    if candidate in seen or self.ctx.urls.is_local(candidate):
                        continue
                    seen.add(candidate)
                    if await self._consider(candidate, report):
                        queue.append(candidate)
        finally:
            self._robots = None
            await client.aclose()
        log.info("crawl: %d actors visited, %d followed, %d errors", report.visited, len(report.followed),
                 len(report.errors))
        return report

    async def _seeds(self) -> tuple[list[str], set[str]]:
        async with self.ctx.db.sessions() as session:
            memory = (await session.execute(select(NetworkActor.actor_id, NetworkActor.source))).all()
            listed = (await session.scalars(
                select(DirectoryListing.actor_id).where(DirectoryListing.is_local.is_(False)))).all()
            followed = (await session.scalars(
                select(RemoteActor.ap_id).join(Following, Following.remote_actor_id == RemoteActor.id))).all()
        # A space that left the hub is neither walked nor followed again (it stays "known").
        left = {actor_id for actor_id, source in memory if source == LEFT}
        remembered = [actor_id for actor_id, source in memory if source != LEFT]
        seeds = [a for a in dict.fromkeys([*remembered, *listed, *followed]) if a not in left]
        return seeds, set(seeds) | left

    async def _polite(self, url: str, report: CrawlReport) -> bool:
        """Wait for the host's turn; False when the host failed too often this run or robots.txt says no."""
        host = host_of(url)
        if self._host_errors.get(host, 0) >= self.limits.max_host_errors:
            return False
        robots = self._robots
        if robots is not None and not robots.known(url):
            await self._wait_turn(host)
            await robots.allowed(url)
            if robots.shuts_out(url):
                report.skipped_hosts.append(host)
                log.info("crawl: robots.txt of %s disallows crawling; host skipped", host)
        if robots is not None and not await robots.allowed(url):
            log.debug("crawl: robots.txt of %s disallows %s", host, url)
            return False
        await self._wait_turn(host)
        return True

    async def _wait_turn(self, host: str) -> None:
        wait = self._last_request.get(host, -1e9) + self.limits.per_host_delay - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_request[host] = time.monotonic()

    def _failed(self, url: str, exc: Exception, report: CrawlReport) -> None:
        host = host_of(url)
        self._host_errors[host] = self._host_errors.get(host, 0) + 1
        report.errors.append(f"{url}: {exc}"[:300])
        log.info("crawl: %s: %s", url, exc)

    async def _fetch(self, url: str, report: CrawlReport) -> dict[str, Any] | None:
        if not await self._polite(url, report):
            return None
        try:
            return await self.actors.fetch_object(url)
        except FederationError as exc:
            self._failed(url, exc, report)
            return None

    async def _neighbours(self, actor_id: str, report: CrawlReport) -> list[str]:
        document = await self._fetch(actor_id, report)
        if document is None:
            return []
        found: list[str] = []
        for name in ("following", "followers"):
            url = document.get(name)
            if isinstance(url, str) and host_of(url) == host_of(actor_id):
                found += await self._walk(url, report)
        return found

    async def _walk(self, url: str, report: CrawlReport) -> list[str]:
        items: list[str] = []
        page: Any = await self._fetch(url, report)
        if isinstance(page, dict) and "first" in page:
            page = page["first"]
        for _ in range(self.limits.max_pages):
            if isinstance(page, str):
                page = await self._fetch(page, report) if host_of(page) == host_of(url) else None
            if not isinstance(page, dict):
                break
            raw = page.get("orderedItems") or page.get("items") or []
            for item in raw[:1000] if isinstance(raw, list) else []:
                item_id = item.get("id") if isinstance(item, dict) else item
                if isinstance(item_id, str) and item_id.startswith(("http://", "https://")):
                    items.append(item_id)
            page = page.get("next")
        return items

    async def _instance(self, client: Any, actor_id: str, report: CrawlReport) -> list[str]:
        origin = _origin(actor_id)
        if not await self._polite(f"{origin}/.well-known/nodeinfo", report):
            return []
        try:
            info = await read_nodeinfo(self.ctx, client, actor_id)
            if info.software != "espresso" or not await self._polite(f"{origin}/api/v1/directory/spaces", report):
                return []
            return await _espresso_spaces(self.ctx, client, origin, host_of(actor_id))
        except (FederationError, ValueError, AttributeError, TypeError) as exc:
            self._failed(f"{_origin(actor_id)}/.well-known/nodeinfo", exc, report)
            return []

    async def _consider(self, actor_id: str, report: CrawlReport) -> bool:
        """Follow a found actor when it is a space that opted in; True when it did."""
        document = await self._fetch(actor_id, report)
        if document is None:
            return False
        parsed = space_from_actor_document(document)
        if not (is_place(parsed) and parsed.discoverable):
            return False
        try:
            item = await self.hub.follow(actor_id, CRAWLED)
        except FederationError as exc:
            self._failed(actor_id, exc, report)
            return False
        if item is not None:
            report.followed.append(actor_id)
        return True
