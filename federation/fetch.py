"""Fetching remote documents without letting a remote steer us into our own network.

The SSRF guard lives in the connection layer, not in front of the client:
``GuardedNetworkBackend`` resolves the host name once, refuses the connection
unless every address is public, and then connects to the vetted IP itself, so
a second DNS answer (rebinding) never gets a say. Because httpx opens every
hop through the transport, redirects are checked the same way as the first
request. TLS still verifies the original host name: httpcore passes the URL's
host as SNI / ``server_hostname`` to ``start_tls`` whatever address we dialled.

On top of the client, ``fetch_json`` / ``fetch_document`` cap time, size and
content type, and turn every failure into a ``FetchError`` naming the URL.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
import orjson

from federation.addresses import IPAddress, is_public_address, parse_address
from federation.errors import (
    BadContentType,
    FetchError,
    RemoteGone,
    ResponseTooLarge,
    UnsafeAddressError,
)

__all__ = [
    "ACTIVITY_ACCEPT",
    "ACTIVITY_CONTENT_TYPES",
    "JRD_ACCEPT",
    "JRD_CONTENT_TYPES",
    "FetchPolicy",
    "FetchedDocument",
    "GuardedNetworkBackend",
    "GuardedTransport",
    "fetch_document",
    "fetch_json",
    "make_client",
]

logger = logging.getLogger(__name__)

ACTIVITY_ACCEPT = (
    'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)
# Plain application/json is deliberately absent: the peers we federate with
# (Mastodon since its 2024 fix, Fedify) refuse it too, because it lets any
# JSON a host serves (an uploaded file, an API answer) pose as an actor.
ACTIVITY_CONTENT_TYPES: frozenset[str] = frozenset({"application/activity+json", "application/ld+json"})
JRD_ACCEPT = "application/jrd+json, application/json"
# WebFinger (RFC 7033) says jrd+json, but many servers answer application/json,
# and NodeInfo is plain application/json by its own spec.
JRD_CONTENT_TYPES: frozenset[str] = frozenset({"application/jrd+json", "application/json"})

_SCHEMES = frozenset({"http", "https"})
# We decode the body ourselves (see _Inflater), so we only offer what we can bound.
_ACCEPT_ENCODING = "gzip, deflate"

AddressFilter = Callable[[IPAddress], bool]


@dataclass(frozen=True)
class FetchPolicy:
    allow_private_addresses: bool = False
    connect_timeout: float = 5.0
    total_timeout: float = 20.0
    max_document_bytes: int = 1_048_576
    max_redirects: int = 5
    user_agent: str = "Espresso/0.1"


@dataclass(frozen=True)
class FetchedDocument:
    url: str  # the final URL, after redirects
    data: dict[str, Any]


def _allow_any_address(address: IPAddress) -> bool:
    return True


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolve once, vet every address, then dial the vetted IP (asyncio only)."""

    def __init__(
        self,
        address_filter: AddressFilter,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._address_filter = address_filter
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # One deadline for resolving and dialling, as the caller's connect timeout means.
        deadline = None if timeout is None else time.monotonic() + timeout
        addresses = await self.vetted_addresses(host, port, timeout)
        failure: Exception = httpcore.ConnectError(f"{host} has no addresses")
        for address in addresses:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=remaining,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeAddressError(f"refusing to connect to the unix socket {path}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def vetted_addresses(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        """Resolve ``host`` once and vet every address; raises ``UnsafeAddressError`` or httpcore's
        ``ConnectError``/``ConnectTimeout``. Also the guard of ``federation.delivery_client``."""
        try:
            # An IP literal resolves to itself: no trip through the resolver's thread pool.
            addresses = [parse_address(host.strip("[]"))]
        except ValueError:
            addresses = await self._resolve(host, port, timeout)
        self._vet(host, addresses)
        return addresses

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[IPAddress] = []
        for _family, _type, _proto, _canonname, sockaddr in infos:
            address = parse_address(str(sockaddr[0]))
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no addresses")
        return addresses

    def _vet(self, host: str, addresses: list[IPAddress]) -> None:
        # All of them, not just the first: the OS or a later retry may pick any.
        for address in addresses:
            if not self._address_filter(address):
                logger.info("refused %s: it resolves to %s", host, address)
                named = "" if host == str(address) else f"{host} resolves to "
                raise UnsafeAddressError(f"{named}{address}, which is not a public address")


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport that only speaks http(s) to addresses the policy allows.

    ``address_filter`` replaces the policy's choice (public only, or anything
    when ``allow_private_addresses``); ``network_backend`` is what actually
    dials the vetted IPs. Both exist for tests and closed networks.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        address_filter: AddressFilter | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits | None = None,
    ) -> None:
        limits = limits if limits is not None else httpx.Limits(max_connections=100, max_keepalive_connections=20)
        # trust_env=False: an HTTP(S)_PROXY from the environment would make us
        # vet the proxy's address instead of the target's.
        super().__init__(verify=verify, trust_env=False, limits=limits)
        if address_filter is None:
            address_filter = _allow_any_address if policy.allow_private_addresses else is_public_address
        # httpx offers no way to hand its pool a network backend, so rebuild the
        # pool the way httpx does, with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(address_filter, network_backend),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in _SCHEMES:
            raise UnsafeAddressError(f"refusing to fetch {request.url}: only http and https URLs are allowed")
        try:
            return await super().handle_async_request(request)
        except UnsafeAddressError as exc:
            # The backend only knows host and port; name the whole hop.
            raise UnsafeAddressError(f"refusing to fetch {request.url}: {exc}") from None


def make_client(
    policy: FetchPolicy,
    *,
    auth: httpx.Auth | None = None,
    transport: GuardedTransport | None = None,
) -> httpx.AsyncClient:
    """A general-purpose client (GET and POST) whose every hop goes through the guard."""
    return httpx.AsyncClient(
        transport=transport if transport is not None else GuardedTransport(policy),
        auth=auth,
        follow_redirects=True,
        max_redirects=policy.max_redirects,
        timeout=httpx.Timeout(policy.total_timeout, connect=policy.connect_timeout),
        headers={"User-Agent": policy.user_agent},
        trust_env=False,
    )


async def fetch_document(
    client: httpx.AsyncClient,
    url: str,
    *,
    policy: FetchPolicy,
    auth: httpx.Auth | None = None,
    accept: str = ACTIVITY_ACCEPT,
) -> FetchedDocument:
    """Fetch an ActivityStreams object (a JSON object served as activity+json or ld+json)."""
    return await fetch_json(
        client, url, policy=policy, auth=auth, accept=accept, content_types=ACTIVITY_CONTENT_TYPES
    )


async def fetch_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    policy: FetchPolicy,
    accept: str,
    content_types: Collection[str],
    auth: httpx.Auth | None = None,
) -> FetchedDocument:
    """Fetch a JSON object served with one of ``content_types`` (media types, lower case)."""
    _check_url(url)
    try:
        async with asyncio.timeout(policy.total_timeout):
            return await _fetch(client, url, policy, accept, content_types, auth)
    except TimeoutError:
        # Only our own deadline becomes TimeoutError; an outside cancellation
        # stays a CancelledError and propagates untouched.
        raise FetchError(f"fetching {url} timed out after {policy.total_timeout:g}s") from None
    except UnsafeAddressError as exc:
        if url in str(exc):
            raise
        raise UnsafeAddressError(f"{exc} (redirected from {url})") from None


def _check_url(url: str) -> None:
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL as exc:
        raise FetchError(f"cannot fetch {url!r}: it is not a valid URL ({exc})") from None
    if scheme not in _SCHEMES:
        raise UnsafeAddressError(f"refusing to fetch {url!r}: only http and https URLs are allowed")


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    policy: FetchPolicy,
    accept: str,
    content_types: Collection[str],
    auth: httpx.Auth | None,
) -> FetchedDocument:
    headers = {"Accept": accept, "Accept-Encoding": _ACCEPT_ENCODING}
    # Passing auth=None would switch off the client's own auth, so leave it out.
    stream = (
        client.stream("GET", url, headers=headers)
        if auth is None
        else client.stream("GET", url, headers=headers, auth=auth)
    )
    try:
        async with stream as response:
            final_url = str(response.url)
            _check_status(response, url)
            _check_content_type(response, final_url, content_types)
            body = await _read_capped(response, final_url, policy.max_document_bytes)
    except httpx.TooManyRedirects:
        raise FetchError(f"fetching {url} took more than {client.max_redirects} redirects") from None
    except httpx.UnsupportedProtocol as exc:
        raise UnsafeAddressError(f"refusing to fetch {url}: {exc}") from None
    except httpx.TimeoutException as exc:
        raise FetchError(f"fetching {url} timed out ({type(exc).__name__})") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FetchError(f"fetching {url} failed: {exc or type(exc).__name__}") from None
    return FetchedDocument(url=final_url, data=_parse_object(body, final_url))


def _check_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status == 410:
        raise RemoteGone(f"{response.url} is gone (410), fetched as {url}", status_code=status)
    if not 200 <= status < 300:
        raise FetchError(f"{response.url} answered {status}, fetched as {url}", status_code=status)


def _check_content_type(response: httpx.Response, url: str, allowed: Collection[str]) -> None:
    raw = response.headers.get("content-type", "")
    media_type = raw.split(";", 1)[0].strip().lower()
    if media_type not in allowed:
        expected = " or ".join(sorted(allowed))
        raise BadContentType(
            f"{url} answered content type {raw or '(none)'!r}, expected {expected}",
            status_code=response.status_code,
        )


async def _read_capped(response: httpx.Response, url: str, limit: int) -> bytes:
    too_large = f"{url} sent a body larger than the {limit}-byte limit"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(too_large, status_code=response.status_code)
    # Raw bytes, decoded here: httpx's own decoder would inflate a whole chunk at
    # once, letting a small gzip bomb allocate far more than the limit.
    inflater = _Inflater.for_encoding(response.headers.get("content-encoding", ""), url)
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += inflater.decode(chunk, limit - len(body) + 1)
        # Never trust Content-Length alone: count what actually arrives.
        if len(body) > limit:
            raise ResponseTooLarge(too_large, status_code=response.status_code)
    return bytes(body)


class _Inflater:
    """Decodes a Content-Encoding while never producing more than asked for."""

    def __init__(self, url: str, wbits: int | None) -> None:
        self._url = url
        self._zlib = None if wbits is None else zlib.decompressobj(wbits)

    @classmethod
    def for_encoding(cls, header: str, url: str) -> _Inflater:
        encoding = header.strip().lower()
        if encoding in ("", "identity"):
            return cls(url, None)
        if encoding in ("gzip", "x-gzip"):
            return cls(url, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            return cls(url, 32 + zlib.MAX_WBITS)  # zlib or gzip header, detected
        raise FetchError(f"{url} used content-encoding {header!r}; we asked for {_ACCEPT_ENCODING}")

    def decode(self, data: bytes, max_length: int) -> bytes:
        if self._zlib is None:
            return data
        try:
            # Stopping at max_length leaves the rest in unconsumed_tail; the
            # caller is over its limit then and gives up, so that is fine.
            return self._zlib.decompress(data, max_length)
        except zlib.error as exc:
            raise FetchError(f"{self._url} sent a corrupt compressed body: {exc}") from None


def _parse_object(body: bytes, url: str) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FetchError(f"{url} did not send valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FetchError(f"{url} sent JSON {type(data).__name__}, expected an object")
    return data
