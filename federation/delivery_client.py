"""A lean HTTP/1.1 client for delivery POSTs, under the same SSRF guard as ``federation.fetch``.

Why not httpx here: a delivery is one small POST answered by a status line,
repeated thousands of times a second. On the delivery benchmark httpx/httpcore
cost ~3 ms of event-loop time per request (request/response objects, auth
and event hooks, a pool that rescans every connection for every queued
request), capping a worker at ~300 deliveries/s; h11 alone still cost
~0.2 ms per request in header validation. This client does only what a
delivery needs: keep-alive connections per origin (one request at a time on a
connection, no pipelining), a request written in one piece, and the answer
parsed by ``httptools`` (llhttp, the parser uvicorn uses; installed with
``uvicorn[standard]``) into (status, Location, Retry-After, the first bytes of
the body).

The guard is the fetcher's own: ``GuardedNetworkBackend.vetted_addresses``
resolves the host once and refuses unless every address passes the filter
(public only unless ``allow_private_addresses``); we dial the vetted IP,
never the name. Redirects are not followed here: the deliverer re-signs and
POSTs again, and every hop comes through this guard. TLS verifies the URL's
host name (``server_hostname``) whatever address was dialled.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httptools
import httpx

from .addresses import is_public_address
from .errors import FetchError, UnsafeAddressError
from .fetch import AddressFilter, FetchPolicy, GuardedNetworkBackend, _allow_any_address
from .post_target import PostTarget, post_target

__all__ = ["DeliveryClient", "PostAnswer", "PostFailed", "PostTimeout"]

_Origin = tuple[str, str, int]  # (scheme, host, port)
# Bodies up to this size are read to the end so the connection can be reused; a bigger one closes it.
_DRAIN_LIMIT = 65536
# What may not appear in a request line or a header value (request smuggling, header injection).
_FORBIDDEN_IN_HEAD = re.compile(r"[\x00\r\n]")


class PostTimeout(FetchError):
    """Connecting, or the whole exchange, took longer than the policy allows."""


class PostFailed(FetchError):
    """The connection failed, or the peer broke HTTP/1.1."""


@dataclass(frozen=True)
class PostAnswer:
    status: int
    location: str | None
    retry_after: str | None
    body: bytes  # the first ``keep_body`` bytes


class _Stale(Exception):
    """A reused keep-alive connection was closed by the peer before answering: safe to send again."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; ``exchange`` sends a request and waits for its complete answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[PostAnswer] | None = None
        self._reset(0)

    def _reset(self, keep_body: int) -> None:
        self._keep_body = keep_body
        self._received = False
        self._status = 0
        self._headers_done = False
        self._location: str | None = None
        self._retry_after: str | None = None
        self._body = bytearray()
        self._seen = 0

    async def exchange(
        self, request: bytes, keep_body: int, *, reused: bool, deadline: float
    ) -> tuple[PostAnswer, bool]:
        """The answer, and whether the connection may carry another request; TimeoutError at ``deadline``.

        A timer handle on the loop rather than ``asyncio.timeout()``: the same effect for a fraction of
        the cost, on a path taken thousands of times a second."""
        assert self.transport is not None
        self._reset(keep_body)
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = loop.call_at(deadline, self._time_out)
        try:
            self.transport.write(request)
            answer = await self._waiter
        except ConnectionError:
            self.close()
            if reused and not self._received:
                raise _Stale from None
            raise
        except BaseException:
            self.close()
            raise
        finally:
            timer.cancel()
            self._waiter = None
        return answer, not self.closed

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # --- asyncio.Protocol ---
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._received = True
        if self._waiter is None:
            self.close()  # bytes nobody asked for: the connection is out of step
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ConnectionError("the peer switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"malformed HTTP answer: {exc}"))

    def eof_received(self) -> bool | None:
        self._lost()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost()

    def _lost(self) -> None:
        self.closed = True
        if self._headers_done:
            self._complete()  # an answer delimited by the connection's end
        else:
            self._fail(ConnectionError("the peer closed the connection before answering"))

    def _time_out(self) -> None:
        self._fail(TimeoutError())

    def _fail(self, exc: Exception) -> None:
        self.close()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)

    def _complete(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(PostAnswer(self._status, self._location, self._retry_after, bytes(self._body)))

    # --- httptools callbacks ---
    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"location":
            self._location = value.decode("latin-1")
        elif lowered == b"retry-after":
            self._retry_after = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        self._headers_done = self._status >= 200  # 1xx: an interim answer, the real one follows

    def on_body(self, body: bytes) -> None:
        self._seen += len(body)
        room = self._keep_body - len(self._body)
        if room > 0:
            self._body += body[:room]
        if self._seen > _DRAIN_LIMIT:
            self.close()  # not worth reading on: answer with what we have, on no reusable connection
            self._complete()

    def on_message_complete(self) -> None:
        if self._status < 200:
            self._location = self._retry_after = None
            return
        if not self._parser.should_keep_alive():
            self.close()
        self._complete()


class DeliveryClient:
    def __init__(
        self,
        policy: FetchPolicy,
        *,
        address_filter: AddressFilter | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_idle_per_origin: int = 8,
        max_idle: int = 512,
        keepalive_expiry: float = 5.0,
    ) -> None:
        if address_filter is None:
            address_filter = _allow_any_address if policy.allow_private_addresses else is_public_address
        self._guard = GuardedNetworkBackend(address_filter)
        self._policy = policy
        self._ssl = ssl_context
        self._max_idle_per_origin = max_idle_per_origin
        # A fan-out touches thousands of hosts once: without a total cap their idle sockets would pile up.
        # At the cap the least recently used connection goes, not the one just used: refusing to keep new
        # ones while a past fan-out's idle sockets fill the pool made every request after it connect anew.
        self._max_idle = max_idle
        self._expiry = keepalive_expiry
        self._idle: dict[_Origin, list[_Connection]] = {}  # per origin, most recently used last
        self._idle_order: OrderedDict[_Connection, _Origin] = OrderedDict()  # all of them, oldest first
        self._user_agent = policy.user_agent

    @property
    def idle_connections(self) -> int:
        return len(self._idle_order)

    async def aclose(self) -> None:
        idle, self._idle, self._idle_order = self._idle, {}, OrderedDict()
        for connections in idle.values():
            for connection in connections:
                connection.close()

    async def post(
        self, url: str | PostTarget, headers: Iterable[tuple[str, str]], body: bytes, *, keep_body: int = 2048
    ) -> PostAnswer:
        """POST ``body`` to ``url`` once; raises ``UnsafeAddressError``, ``PostTimeout`` or ``PostFailed``."""
        target = url if isinstance(url, PostTarget) else post_target(url)
        request = self._request(target, headers, body)
        origin = target.origin
        deadline = asyncio.get_running_loop().time() + self._policy.total_timeout
        try:
            connection = self._reusable(origin)
            if connection is not None:
                try:
                    return await self._exchange(origin, connection, request, keep_body, reused=True, deadline=deadline)
                except _Stale:
                    pass  # closed by the peer while idle, before it read anything: send again
            async with asyncio.timeout_at(deadline):
                connection = await self._connect(target.scheme, target.host, target.port)
            return await self._exchange(origin, connection, request, keep_body, reused=False, deadline=deadline)
        except TimeoutError:
            raise PostTimeout(f"POST {target.url} timed out after {self._policy.total_timeout:g}s") from None
        except UnsafeAddressError as exc:
            raise UnsafeAddressError(f"refusing to POST to {target.url}: {exc}") from None
        except (OSError, httpcore.ConnectError) as exc:
            raise PostFailed(f"POST {target.url}: {type(exc).__name__}: {exc}") from None

    def _request(self, target: PostTarget, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
        lines = [f"POST {target.target} HTTP/1.1"]
        has_host = False
        for name, value in headers:
            # The Host a signature covered (draft-cavage signs it) is the one sent.
            has_host = has_host or name.lower() == "host"
            lines.append(f"{name}: {value}")
        if not has_host:
            lines.append(f"Host: {target.netloc}")
        lines.append(f"User-Agent: {self._user_agent}")
        lines.append(f"Content-Length: {len(body)}")
        if _FORBIDDEN_IN_HEAD.search("".join(lines)):
            raise UnsafeAddressError(
                f"refusing to POST to {target.url!r}: a header or the target holds a line break"
            )
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def _reusable(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            del self._idle_order[connection]
            if not idle:
                del self._idle[origin]
            if not connection.closed and now - connection.idle_since < self._expiry:
                return connection
            connection.close()
        return None

    def _keep(self, origin: _Origin, connection: _Connection) -> None:
        now = time.monotonic()
        self._expire(now)
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= self._max_idle_per_origin:
            connection.close()
            return
        if len(self._idle_order) >= self._max_idle:
            self._evict_oldest()
        connection.idle_since = now
        idle.append(connection)
        self._idle_order[connection] = origin

    def _expire(self, now: float) -> None:
        """Close the idle connections past their expiry: the oldest first, so this stops at the first fresh one."""
        while self._idle_order:
            connection = next(iter(self._idle_order))
            if now - connection.idle_since < self._expiry:
                return
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        connection, origin = self._idle_order.popitem(last=False)
        idle = self._idle[origin]
        idle.remove(connection)
        if not idle:
            del self._idle[origin]
        connection.close()

    async def _exchange(
        self, origin: _Origin, connection: _Connection, request: bytes, keep_body: int, *, reused: bool, deadline: float
    ) -> PostAnswer:
        answer, reusable = await connection.exchange(request, keep_body, reused=reused, deadline=deadline)
        if reusable:
            self._keep(origin, connection)
        return answer

    async def _connect(self, scheme: str, host: str, port: int) -> _Connection:
        timeout = self._policy.connect_timeout
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._guard.vetted_addresses(host, port, timeout)
                failure: Exception = PostFailed(f"{host} has no addresses")
                for address in addresses:
                    try:
                        if scheme == "https":
                            _, connection = await loop.create_connection(
                                _Connection, str(address), port, ssl=self._ssl_context(), server_hostname=host
                            )
                        else:
                            _, connection = await loop.create_connection(_Connection, str(address), port)
                        return connection
                    except OSError as exc:
                        failure = exc
                raise failure
        except (TimeoutError, httpcore.ConnectTimeout):
            raise PostTimeout(f"connecting to {host}:{port} timed out after {timeout:g}s") from None

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context(trust_env=False)  # the same CA bundle as the fetcher
        return self._ssl

