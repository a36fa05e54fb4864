"""robots.txt for the crawl: each host's rules, fetched once per crawl run.

The crawl reads collections, NodeInfo and the directory API of hosts that never asked
to be read; their robots.txt says whether they mind. Rules for user-agent ``Espresso``
apply, else those for ``*`` (``urllib.robotparser`` does the matching). Following a
space that followed the hub is not crawling, and does not come through here.

Outcomes of the fetch follow RFC 9309 section 2.3.1: a 2xx body is parsed (at most
``MAX_ROBOTS_BYTES``, the rest ignored); any other 4xx means no rules (all allowed);
a 5xx, a network failure or a refused address means "assume everything is disallowed"
for this run.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from federation.errors import FederationError
from federation.fetch import FetchPolicy

__all__ = ["MAX_ROBOTS_BYTES", "ROBOTS_AGENT", "RobotsRules"]

log = logging.getLogger(__name__)

ROBOTS_AGENT = "Espresso"
# Google reads 500 KiB; a directory needs far less than that.
MAX_ROBOTS_BYTES = 64 * 1024


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _parser(lines: list[str]) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(lines)
    return parser


_ALLOW_ALL = _parser([])
_DISALLOW_ALL = _parser(["User-agent: *", "Disallow: /"])


class RobotsRules:
    """What each origin's robots.txt allows us, cached for the lifetime of this object (one crawl run).

    ``client`` must be a guarded client (``federation.fetch.make_client``): robots.txt is
    fetched like any other remote document, with every redirect hop vetted."""

    def __init__(self, client: httpx.AsyncClient, policy: FetchPolicy, *, agent: str = ROBOTS_AGENT) -> None:
        self.client = client
        self.policy = policy
        self.agent = agent
        self._rules: dict[str, RobotFileParser] = {}

    def known(self, url: str) -> bool:
        return _origin(url) in self._rules

    async def allowed(self, url: str) -> bool:
        """Whether ``url`` may be crawled; fetches the origin's robots.txt on first use."""
        origin = _origin(url)
        rules = self._rules.get(origin)
        if rules is None:
            rules = self._rules[origin] = await self._load(origin)
        return rules.can_fetch(self.agent, url)

    def shuts_out(self, url: str) -> bool:
        """True when the (already loaded) rules of ``url``'s origin disallow its root: the host is skipped."""
        rules = self._rules.get(_origin(url))
        return rules is not None and not rules.can_fetch(self.agent, f"{_origin(url)}/")

    async def _load(self, origin: str) -> RobotFileParser:
        url = f"{origin}/robots.txt"
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                status, body = await self._get(url)
        except (TimeoutError, httpx.HTTPError, httpx.InvalidURL, FederationError) as exc:
            log.info("crawl: %s could not be read (%s); the host is treated as disallowed", url, exc)
            return _DISALLOW_ALL
        if 200 <= status < 300:
            return _parser(body.decode("utf-8", errors="replace").splitlines())
        if 400 <= status < 500:
            return _ALLOW_ALL
        log.info("crawl: %s answered %d; the host is treated as disallowed", url, status)
        return _DISALLOW_ALL

    async def _get(self, url: str) -> tuple[int, bytes]:
        # identity only: the cap below counts the bytes as they arrive, with no decompression to bound.
        headers = {"Accept": "text/plain", "Accept-Encoding": "identity"}
        async with self.client.stream("GET", url, headers=headers) as response:
            if not 200 <= response.status_code < 300:
                return response.status_code, b""
            if response.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
                return 404, b""  # unreadable rules count as none (RFC 9309 2.3.1.3)
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) >= MAX_ROBOTS_BYTES:
                    break
            return response.status_code, bytes(body[:MAX_ROBOTS_BYTES])
