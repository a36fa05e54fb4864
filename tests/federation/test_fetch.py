from __future__ import annotations

import asyncio
import ssl
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from ipaddress import IPv4Address, ip_address
from pathlib import Path

import httpcore
import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from federation.addresses import IPAddress, is_public_address
from federation.errors import (
    BadContentType,
    FetchError,
    RemoteGone,
    ResponseTooLarge,
    UnsafeAddressError,
)
from federation.fetch import (
    JRD_ACCEPT,
    JRD_CONTENT_TYPES,
    FetchPolicy,
    GuardedTransport,
    fetch_document,
    fetch_json,
    make_client,
)
from tests.federation.loopback import make_tls_files, raw_server, read_request_head, serve_in_thread

AS_JSON = "application/activity+json"
ACTOR = {"@context": "https://www.w3.org/ns/activitystreams", "id": "x", "type": "Organization"}
LOOPBACK = FetchPolicy(allow_private_addresses=True, total_timeout=5.0)
MIB = 1_048_576


# --- a well-behaved peer, served by uvicorn --------------------------------------------------


def _json(data: object, media_type: str = AS_JSON, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=media_type)


async def document(request: Request) -> Response:
    return _json(ACTOR)


async def ld_document(request: Request) -> Response:
    return _json(ACTOR, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')


async def echo_headers(request: Request) -> Response:
    return _json(dict(request.headers))


async def typed(request: Request) -> Response:
    return _json(ACTOR, request.path_params["kind"].replace("_", "/"))


async def status(request: Request) -> Response:
    return _json({"error": "nope"}, status=int(request.path_params["code"]))


async def not_an_object(request: Request) -> Response:
    return _json([1, 2, 3])


async def broken_json(request: Request) -> Response:
    return Response(b'{"id": ', media_type=AS_JSON)


async def redirect_chain(request: Request) -> Response:
    left = int(request.path_params["left"])
    return RedirectResponse("/doc" if left == 0 else f"/chain/{left - 1}", status_code=302)


async def redirect_to(request: Request) -> Response:
    return RedirectResponse(request.query_params["location"], status_code=302)


async def gzip_bomb(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        # 50 MiB of spaces compress to about 50 KiB.
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        block = b" " * MIB
        for _ in range(50):
            yield packer.compress(block)
        yield packer.flush()

    return StreamingResponse(chunks(), media_type=AS_JSON, headers={"Content-Encoding": "gzip"})


async def gzipped_document(request: Request) -> Response:
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    body = packer.compress(orjson.dumps(ACTOR)) + packer.flush()
    return Response(body, media_type=AS_JSON, headers={"Content-Encoding": "gzip"})


async def inbox(request: Request) -> Response:
    body = await request.body()
    return JSONResponse({"received": body.decode(), "user_agent": request.headers["user-agent"]}, 202)


APP = Starlette(
    routes=[
        Route("/doc", document),
        Route("/ld", ld_document),
        Route("/headers", echo_headers),
        Route("/typed/{kind}", typed),
        Route("/status/{code:int}", status),
        Route("/array", not_an_object),
        Route("/broken", broken_json),
        Route("/chain/{left:int}", redirect_chain),
        Route("/redirect", redirect_to),
        Route("/gzip-bomb", gzip_bomb),
        Route("/gzipped", gzipped_document),
        Route("/inbox", inbox, methods=["POST"]),
    ]
)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serve_in_thread(APP) as bound:
        yield bound


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(LOOPBACK) as opened:
        yield opened


async def fetch(client: httpx.AsyncClient, url: str, policy: FetchPolicy = LOOPBACK) -> object:
    return (await fetch_document(client, url, policy=policy)).data


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The real AnyIO backend, noting every address dialled and dialling loopback only.

    Refusing anything else keeps a broken guard from sending a test's traffic
    off this machine; the assertions on ``dialled`` still catch the breakage.
    """

    def __init__(self) -> None:
        self.dialled: list[str] = []
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append(host)
        if not ip_address(host).is_loopback:
            raise httpcore.ConnectError(f"the tests never dial {host}")
        return await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def only_127_0_0_1_or_public(address: IPAddress) -> bool:
    """Lets the tests' own server count as "public", and nothing else private."""
    return address == IPv4Address("127.0.0.1") or is_public_address(address)


# --- the address classifier (classification only: nothing here is ever dialled) --------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "10.255.255.255",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "127.0.0.1",
        "127.8.9.10",
        "0.0.0.0",
        "0.1.2.3",
        "255.255.255.255",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::",
        "::1",
        "fc00::1",
        "fd12:3456:789a::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2001::1",  # Teredo
    ],
)
def test_addresses__non_public_ones_are_refused(address: str) -> None:
    assert not is_public_address(ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "1.1.1.1", "8.8.8.8", "2606:4700::1", "2a00:1450:4001::1", "::ffff:93.184.216.34"],
)
def test_addresses__public_ones_are_allowed(address: str) -> None:
    assert is_public_address(ip_address(address))


# --- documents that arrive -------------------------------------------------------------------


async def test_fetch__returns_an_activity_json_object(client: httpx.AsyncClient, port: int) -> None:
    fetched = await fetch_document(client, f"http://127.0.0.1:{port}/doc", policy=LOOPBACK)
    assert fetched.url == f"http://127.0.0.1:{port}/doc"
    assert fetched.data == ACTOR


async def test_fetch__accepts_ld_json_with_a_profile(client: httpx.AsyncClient, port: int) -> None:
    assert await fetch(client, f"http://127.0.0.1:{port}/ld") == ACTOR


async def test_fetch__sends_accept_and_user_agent(client: httpx.AsyncClient, port: int) -> None:
    headers = await fetch(client, f"http://127.0.0.1:{port}/headers")
    assert isinstance(headers, dict)
    assert headers["accept"].startswith("application/activity+json")
    assert headers["user-agent"] == "Espresso/0.1"


async def test_fetch__decodes_a_gzipped_document(client: httpx.AsyncClient, port: int) -> None:
    assert await fetch(client, f"http://127.0.0.1:{port}/gzipped") == ACTOR


async def test_fetch__follows_a_redirect_chain_and_reports_the_final_url(
    client: httpx.AsyncClient, port: int
) -> None:
    fetched = await fetch_document(client, f"http://127.0.0.1:{port}/chain/3", policy=LOOPBACK)
    assert fetched.url == f"http://127.0.0.1:{port}/doc"
    assert fetched.data == ACTOR


async def test_fetch__dials_the_resolved_ip_not_the_host_name(port: int) -> None:
    backend = RecordingBackend()
    transport = GuardedTransport(LOOPBACK, network_backend=backend)
    async with make_client(LOOPBACK, transport=transport) as client:
        assert await fetch(client, f"http://localhost:{port}/doc") == ACTOR
    assert backend.dialled
    assert all(ip_address(host).is_loopback for host in backend.dialled)


async def test_fetch_json__takes_jrd_and_plain_json(client: httpx.AsyncClient, port: int) -> None:
    for kind in ("application_jrd+json", "application_json"):
        fetched = await fetch_json(
            client,
            f"http://127.0.0.1:{port}/typed/{kind}",
            policy=LOOPBACK,
            accept=JRD_ACCEPT,
            content_types=JRD_CONTENT_TYPES,
        )
        assert fetched.data == ACTOR


async def test_client__posts_like_delivery_will(client: httpx.AsyncClient, port: int) -> None:
    response = await client.post(f"http://127.0.0.1:{port}/inbox", content=b'{"type": "Follow"}')
    assert response.status_code == 202
    assert response.json() == {"received": '{"type": "Follow"}', "user_agent": "Espresso/0.1"}


# --- answers that are refused ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text_html", "application_json", "application_jrd+json"])
async def test_fetch__rejects_other_content_types(client: httpx.AsyncClient, port: int, kind: str) -> None:
    url = f"http://127.0.0.1:{port}/typed/{kind}"
    with pytest.raises(BadContentType, match="content type") as caught:
        await fetch(client, url)
    assert url in str(caught.value)


async def test_fetch__410_means_gone(client: httpx.AsyncClient, port: int) -> None:
    url = f"http://127.0.0.1:{port}/status/410"
    with pytest.raises(RemoteGone, match="410") as caught:
        await fetch(client, url)
    assert caught.value.status_code == 410
    assert url in str(caught.value)


@pytest.mark.parametrize("code", [404, 500])
async def test_fetch__other_errors_carry_the_status(client: httpx.AsyncClient, port: int, code: int) -> None:
    url = f"http://127.0.0.1:{port}/status/{code}"
    with pytest.raises(FetchError, match=str(code)) as caught:
        await fetch(client, url)
    assert type(caught.value) is FetchError
    assert caught.value.status_code == code
    assert url in str(caught.value)


@pytest.mark.parametrize(("path", "problem"), [("/array", "expected an object"), ("/broken", "valid JSON")])
async def test_fetch__rejects_bodies_that_are_not_a_json_object(
    client: httpx.AsyncClient, port: int, path: str, problem: str
) -> None:
    url = f"http://127.0.0.1:{port}{path}"
    with pytest.raises(FetchError, match=problem) as caught:
        await fetch(client, url)
    assert url in str(caught.value)


async def test_fetch__too_many_redirects(port: int) -> None:
    policy = FetchPolicy(allow_private_addresses=True, max_redirects=2)
    url = f"http://127.0.0.1:{port}/chain/5"
    async with make_client(policy) as client:
        with pytest.raises(FetchError, match="more than 2 redirects") as caught:
            await fetch(client, url, policy)
    assert url in str(caught.value)


async def test_fetch__stops_inflating_a_gzip_bomb_at_the_cap(client: httpx.AsyncClient, port: int) -> None:
    with pytest.raises(ResponseTooLarge, match="1048576-byte limit"):
        await fetch(client, f"http://127.0.0.1:{port}/gzip-bomb")


# --- misbehaving peers, spoken to in raw HTTP ------------------------------------------------


async def test_fetch__stops_reading_a_50_mib_body_early_and_small() -> None:
    sent = 0

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await read_request_head(reader)
        # No Content-Length: only counting what arrives can stop this one.
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nConnection: close\r\n\r\n")
        block = b" " * 65536
        while sent < 50 * MIB:
            writer.write(block)
            await writer.drain()
            sent += len(block)

    async with raw_server(endless) as port, make_client(LOOPBACK) as client:
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(ResponseTooLarge, match=f"http://127.0.0.1:{port}/big"):
                await fetch(client, f"http://127.0.0.1:{port}/big")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert peak < 8 * MIB
    assert sent < 20 * MIB


async def test_fetch__refuses_a_declared_oversize_body_without_reading_it() -> None:
    async def announces_50_mib(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            + f"Content-Length: {50 * MIB}\r\n\r\n".encode()
        )
        await writer.drain()
        await asyncio.sleep(30)  # the body never comes; we must not wait for it

    async with raw_server(announces_50_mib) as port, make_client(LOOPBACK) as client:
        started = time.monotonic()
        with pytest.raises(ResponseTooLarge):
            await fetch(client, f"http://127.0.0.1:{port}/big")
    assert time.monotonic() - started < 2


async def test_fetch__times_out_on_a_server_that_never_answers() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        await asyncio.sleep(30)

    policy = FetchPolicy(allow_private_addresses=True, total_timeout=0.5)
    async with raw_server(silent) as port, make_client(policy) as client:
        url = f"http://127.0.0.1:{port}/slow"
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out") as caught:
            await fetch(client, url, policy)
    assert time.monotonic() - started < 2
    assert url in str(caught.value)


async def test_fetch__total_time_is_capped_even_while_bytes_trickle_in() -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nConnection: close\r\n\r\n{")
        while True:  # each byte resets httpx's read timeout; only the total cap ends this
            await asyncio.sleep(0.05)
            writer.write(b" ")
            await writer.drain()

    policy = FetchPolicy(allow_private_addresses=True, total_timeout=0.8)
    async with raw_server(trickle) as port, make_client(policy) as client:
        url = f"http://127.0.0.1:{port}/trickle"
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"timed out after 0\.8s") as caught:
            await fetch(client, url, policy)
    assert time.monotonic() - started < 2
    assert url in str(caught.value)


async def test_fetch__cancellation_is_not_turned_into_an_error() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        await asyncio.sleep(30)

    async with raw_server(silent) as port, make_client(LOOPBACK) as client:
        task = asyncio.create_task(fetch(client, f"http://127.0.0.1:{port}/slow"))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


# --- the SSRF guard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::1]", "0.0.0.0", "[::ffff:127.0.0.1]", "2130706433"],
)
async def test_guard__refuses_loopback_before_dialling(port: int, host: str) -> None:
    backend = RecordingBackend()
    policy = FetchPolicy()
    url = f"http://{host}:{port}/doc"
    async with make_client(policy, transport=GuardedTransport(policy, network_backend=backend)) as client:
        with pytest.raises(UnsafeAddressError, match="not a public address") as caught:
            await fetch(client, url, policy)
    assert url in str(caught.value)
    assert backend.dialled == []


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2:{port}/doc",
        "http://[::1]:{port}/doc",
        "http://127.0.0.1:{port}/doc",
    ],
)
async def test_guard__checks_every_redirect_hop_before_dialling(port: int, location: str) -> None:
    backend = RecordingBackend()
    policy = FetchPolicy()
    # The first hop must reach our loopback server, so 127.0.0.1 counts as public here,
    # except for the last case where the plain policy refuses the very first hop.
    plain = location.startswith("http://127.0.0.1")
    transport = GuardedTransport(
        policy,
        network_backend=backend,
        address_filter=None if plain else only_127_0_0_1_or_public,
    )
    target = location.format(port=port)
    url = str(httpx.URL(f"http://127.0.0.1:{port}/redirect", params={"location": target}))
    async with make_client(policy, transport=transport) as client:
        with pytest.raises(UnsafeAddressError, match="not a public address") as caught:
            await fetch(client, url, policy)
    assert url in str(caught.value)
    assert backend.dialled == ([] if plain else ["127.0.0.1"])


class FakeResolver:
    """Stands in for the system resolver (not our code) to serve chosen answers."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def getaddrinfo(self, host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [(0, 0, 0, "", (address, port)) for address in answer]


async def test_guard__one_private_address_among_public_ones_is_enough_to_refuse(
    monkeypatch: pytest.MonkeyPatch, port: int
) -> None:
    resolver = FakeResolver(["93.184.216.34", "10.0.0.1"])
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolver.getaddrinfo)
    backend = RecordingBackend()
    policy = FetchPolicy()
    url = f"http://mixed.test:{port}/doc"
    async with make_client(policy, transport=GuardedTransport(policy, network_backend=backend)) as client:
        with pytest.raises(UnsafeAddressError, match=r"mixed\.test resolves to 10\.0\.0\.1") as caught:
            await fetch(client, url, policy)
    assert url in str(caught.value)
    assert backend.dialled == []


async def test_guard__resolves_once_and_dials_the_vetted_address(
    monkeypatch: pytest.MonkeyPatch, port: int
) -> None:
    # A rebinding name: vetted answer first, a private one for anybody who asks again.
    resolver = FakeResolver(["127.0.0.1"], ["10.0.0.1"])
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolver.getaddrinfo)
    backend = RecordingBackend()
    policy = FetchPolicy()
    transport = GuardedTransport(policy, network_backend=backend, address_filter=only_127_0_0_1_or_public)
    async with make_client(policy, transport=transport) as client:
        assert await fetch(client, f"http://rebind.test:{port}/doc", policy) == ACTOR
    assert resolver.calls == 1
    assert backend.dialled == ["127.0.0.1"]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/actor", "file:///etc/passwd", "gopher://127.0.0.1:70/"])
async def test_guard__refuses_other_schemes(client: httpx.AsyncClient, url: str) -> None:
    with pytest.raises(UnsafeAddressError, match="only http and https") as caught:
        await fetch(client, url)
    assert url in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/actor", "file:///etc/passwd"])
async def test_guard__transport_refuses_other_schemes_for_any_request(
    client: httpx.AsyncClient, url: str
) -> None:
    with pytest.raises(UnsafeAddressError):
        await client.get(url)


async def test_guard__refuses_a_redirect_to_another_scheme(client: httpx.AsyncClient, port: int) -> None:
    url = str(httpx.URL(f"http://127.0.0.1:{port}/redirect", params={"location": "file:///etc/passwd"}))
    with pytest.raises(UnsafeAddressError) as caught:
        await fetch(client, url)
    assert url in str(caught.value)


# --- TLS: we dial an IP, the certificate is still checked against the host name --------------


def _trusting(ca_cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_cert))


@pytest.mark.parametrize(("certified_name", "ok"), [("localhost", True), ("elsewhere.test", False)])
async def test_tls__verifies_the_url_host_name_although_an_ip_is_dialled(
    tmp_path: Path, certified_name: str, ok: bool
) -> None:
    tls = make_tls_files(tmp_path, certified_name)
    backend = RecordingBackend()
    transport = GuardedTransport(LOOPBACK, network_backend=backend, verify=_trusting(tls.ca_cert))
    with serve_in_thread(APP, ssl_certfile=tls.cert, ssl_keyfile=tls.key) as tls_port:
        async with make_client(LOOPBACK, transport=transport) as client:
            url = f"https://localhost:{tls_port}/doc"
            if ok:
                assert await fetch(client, url) == ACTOR
            else:
                with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate") as caught:
                    await fetch(client, url)
                assert url in str(caught.value)
    assert backend.dialled
    assert all(ip_address(host).is_loopback for host in backend.dialled)
