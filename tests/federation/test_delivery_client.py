"""The lean delivery client: keep-alive reuse, peers that close or misbehave, and the SSRF guard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from federation.delivery_client import DeliveryClient, PostFailed, PostTimeout
from federation.errors import UnsafeAddressError
from federation.fetch import FetchPolicy

LOOPBACK = FetchPolicy(allow_private_addresses=True, connect_timeout=2, total_timeout=2)


@dataclass
class RawPeer:
    """A raw HTTP/1.1 server on loopback: ``respond(head, n)`` returns the bytes to answer the n-th request."""

    respond: Callable[[bytes, int], bytes]
    close_after_each: bool = False
    connections: int = 0
    heads: list[bytes] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "/inbox") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                self.heads.append(head)
                writer.write(self.respond(head, len(self.heads) - 1))
                await writer.drain()
                if self.close_after_each:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def raw_peer(respond: Callable[[bytes, int], bytes], **options: bool) -> AsyncIterator[RawPeer]:
    peer = RawPeer(respond, **options)
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    peer.port = server.sockets[0].getsockname()[1]
    try:
        yield peer
    finally:
        server.close()
        for writer in peer.writers:  # Python 3.11's server.close() leaves accepted connections open
            writer.close()
        await asyncio.sleep(0)


def status(code: int, body: bytes = b"", extra: str = "") -> Callable[[bytes, int], bytes]:
    answer = f"HTTP/1.1 {code} X\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body
    return lambda _head, _n: answer


async def test_delivery_client__reuses_one_keep_alive_connection() -> None:
    client = DeliveryClient(LOOPBACK)
    async with raw_peer(status(202)) as peer:
        answers = [await client.post(peer.url(), [("Content-Type", "application/activity+json")], b"{}")
                   for _ in range(3)]
    await client.aclose()
    assert [a.status for a in answers] == [202, 202, 202]
    assert peer.connections == 1
    assert b"POST /inbox HTTP/1.1" in peer.heads[0] and f"Host: 127.0.0.1:{peer.port}".encode() in peer.heads[0]


async def test_delivery_client__peer_closing_between_requests_is_not_an_error() -> None:
    client = DeliveryClient(LOOPBACK)
    async with raw_peer(status(202), close_after_each=True) as peer:
        first = await client.post(peer.url(), [], b"{}")
        await asyncio.sleep(0.05)  # the peer's close arrives while the connection is idle
        second = await client.post(peer.url(), [], b"{}")
    await client.aclose()
    assert (first.status, second.status, peer.connections) == (202, 202, 2)


async def test_delivery_client__connection_close_header_is_honoured() -> None:
    client = DeliveryClient(LOOPBACK)
    async with raw_peer(status(202, extra="Connection: close\r\n")) as peer:
        await client.post(peer.url(), [], b"{}")
        await client.post(peer.url(), [], b"{}")
    await client.aclose()
    assert peer.connections == 2


async def test_delivery_client__chunked_error_body_is_kept_and_headers_read() -> None:
    chunked = (b"HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\nRetry-After: 120\r\n\r\n"
               b"5\r\nslow \r\n4\r\ndown\r\n0\r\n\r\n")
    client = DeliveryClient(LOOPBACK)
    async with raw_peer(lambda _h, _n: chunked) as peer:
        answer = await client.post(peer.url(), [], b"{}")
        again = await client.post(peer.url(), [], b"{}")
    await client.aclose()
    assert (answer.status, answer.retry_after, answer.body) == (429, "120", b"slow down")
    assert again.status == 429 and peer.connections == 1


async def test_delivery_client__big_body_is_cut_and_the_connection_dropped() -> None:
    client = DeliveryClient(LOOPBACK)
    async with raw_peer(status(400, b"x" * 200_000)) as peer:
        answer = await client.post(peer.url(), [], b"{}", keep_body=10)
        await client.post(peer.url(), [], b"{}")
    await client.aclose()
    assert (answer.status, answer.body) == (400, b"x" * 10)
    assert peer.connections == 2


async def test_delivery_client__garbage_answer_is_a_failure() -> None:
    client = DeliveryClient(LOOPBACK)
    async with raw_peer(lambda _h, _n: b"SSH-2.0-OpenSSH\r\n\r\n") as peer:
        with pytest.raises(PostFailed):
            await client.post(peer.url(), [], b"{}")
    await client.aclose()


async def test_delivery_client__silent_peer_times_out() -> None:
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = DeliveryClient(FetchPolicy(allow_private_addresses=True, total_timeout=0.2))
    try:
        with pytest.raises(PostTimeout):
            await client.post(f"http://127.0.0.1:{port}/inbox", [], b"{}")
    finally:
        server.close()
        await client.aclose()
        for writer in writers:
            writer.close()
        await asyncio.sleep(0)


async def test_delivery_client__private_address_refused_before_connecting() -> None:
    client = DeliveryClient(FetchPolicy(allow_private_addresses=False))
    async with raw_peer(status(202)) as peer:
        with pytest.raises(UnsafeAddressError, match="not a public address"):
            await client.post(peer.url(), [], b"{}")
        with pytest.raises(UnsafeAddressError, match="not a public address"):
            await client.post(f"http://localhost:{peer.port}/inbox", [], b"{}")
    assert peer.connections == 0


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1/inbox", "http:///inbox", "http://user:pw@127.0.0.1/inbox", "http://127.0.0.1:99999/inbox",
])
async def test_delivery_client__unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeAddressError):
        await DeliveryClient(LOOPBACK).post(url, [], b"{}")


async def test_delivery_client__no_header_injection() -> None:
    client = DeliveryClient(LOOPBACK)
    async with raw_peer(status(202)) as peer:
        with pytest.raises(UnsafeAddressError, match="line break"):
            await client.post(peer.url(), [("X-Evil", "a\r\nInjected: 1")], b"{}")
        # A space or non-ASCII in a stored inbox URL is percent-encoded, never sent raw.
        await client.post(peer.url("/in box/é"), [], b"{}")
    await client.aclose()
    assert peer.heads[0].startswith(b"POST /in%20box/%C3%A9 HTTP/1.1\r\n")


async def test_delivery_client__idle_connections_are_capped_least_recently_used_first_and_expire() -> None:
    client = DeliveryClient(LOOPBACK, max_idle=2, keepalive_expiry=0.2)
    async with raw_peer(status(202)) as a, raw_peer(status(202)) as b, raw_peer(status(202)) as c:
        for peer in (a, b, c):
            await client.post(peer.url(), [], b"{}")
        # At the cap, the oldest idle connection (a's) made room for the newest (c's).
        assert client.idle_connections == 2
        await client.post(c.url(), [], b"{}")
        await client.post(b.url(), [], b"{}")
        await client.post(a.url(), [], b"{}")
        assert (a.connections, b.connections, c.connections) == (2, 1, 1)
        await asyncio.sleep(0.3)
        await client.post(b.url(), [], b"{}")  # expired: a new connection, and the others closed
        assert b.connections == 2 and client.idle_connections == 1
    await client.aclose()
