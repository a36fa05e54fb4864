"""Delivery over real HTTP: signed POSTs, the retry policy by status, shared inboxes, the SSRF guard."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.utils import format_datetime
from ipaddress import ip_address

import pytest
from sqlalchemy import select
from starlette.responses import Response

from federation.db import Database
from federation.delivery import delivery_counts, follower_inboxes
from federation.fetch import FetchPolicy
from federation.keys import load_public_key
from federation.models import Follower, HostState, RemoteActor
from federation.retry_policy import RetryPolicy, Verdict, classify_status, parse_retry_after
from federation.signatures import PublicKey, verify_request
from federation.worker import Worker

from .delivery_peers import START, Received, World, make_world, running_peer, scripted


@pytest.fixture
async def world(database: Database) -> World:
    async with make_world(database) as made:
        return made


def _worker(world: World, **options: object) -> Worker:
    return Worker(world.ctx, **options)  # type: ignore[arg-type]


async def _run(world: World, **options: object) -> int:
    async with _worker(world, **options) as worker:
        return await worker.run_once()


async def test_delivery__signed_post_verifies_with_the_actors_key(world: World) -> None:
    with running_peer() as peer:
        activity_id = await world.publish(peer.url())
        assert await _run(world) == 1
    (request,) = peer.received
    assert request.headers["content-type"] == "application/activity+json"
    assert activity_id.encode() in request.body

    async def resolve(key_id: str, refresh: bool) -> PublicKey:
        assert key_id == world.ctx.urls.key_id("racale")
        return PublicKey(key_id, world.ctx.urls.actor("racale"), load_public_key(world.actor.rsa_public_pem))

    verified = await verify_request(
        method="POST", url=peer.url(), headers=request.headers, body=request.body,
        resolve_key=resolve, now=world.clock.now(),
    )
    assert verified.owner == world.ctx.urls.actor("racale")
    delivery = await world.delivery()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 202)
    async with world.ctx.db.transaction() as session:
        counts = await delivery_counts(session, object_id="http://local.test/events/1")
    assert counts.as_dict() == {"delivered": 1, "pending": 0, "failed": 0}


async def test_delivery__500_then_200_is_retried_then_delivered(world: World) -> None:
    with running_peer(scripted(500, 202)) as peer:
        await world.publish(peer.url())
        await _run(world)
        delivery = await world.delivery()
        assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 500)
        assert delivery.next_attempt_at > world.clock.now()
        assert await _run(world) == 0  # not due yet
        world.clock.advance(minutes=5)
        await _run(world)
    delivery = await world.delivery()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 2, 202)
    assert len(peer.received) == 2


async def test_delivery__429_honours_retry_after_seconds(world: World) -> None:
    with running_peer(scripted(429, headers={"Retry-After": "120"})) as peer:
        await world.publish(peer.url())
        await _run(world)
    delivery = await world.delivery()
    assert delivery.state == "pending"
    assert delivery.next_attempt_at >= world.clock.now() + timedelta(seconds=120)


def test_retry_after__http_date_and_seconds() -> None:
    now = START
    assert parse_retry_after("120", now) == timedelta(seconds=120)
    assert parse_retry_after(format_datetime(now + timedelta(hours=1), usegmt=True), now) == timedelta(hours=1)
    assert parse_retry_after("soon", now) is None
    assert [classify_status(s) for s in (202, 408, 429, 503, 410, 400)] == [
        Verdict.DONE, Verdict.RETRY, Verdict.RETRY, Verdict.RETRY, Verdict.GONE, Verdict.FAIL,
    ]


async def test_delivery__410_drops_the_follower_and_marks_the_actor_gone(world: World) -> None:
    with running_peer(scripted(410)) as peer:
        await world.follower("http://gone.test/users/x", peer.url())
        await world.publish(peer.url())
        await _run(world)
    delivery = await world.delivery()
    assert (delivery.state, delivery.last_status) == ("failed", 410)
    async with world.ctx.db.transaction() as session:
        assert (await session.scalars(select(Follower))).all() == []
        remote = (await session.scalars(select(RemoteActor))).one()
        assert remote.gone_at is not None
        assert await follower_inboxes(session, world.actor.id) == set()


async def test_delivery__400_fails_permanently_keeping_the_body(world: World) -> None:
    with running_peer(scripted(400, body="object type not supported " + "x" * 5000)) as peer:
        await world.publish(peer.url())
        await _run(world)
        world.clock.advance(days=1)
        assert await _run(world) == 0
    delivery = await world.delivery()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 1, 400)
    assert delivery.last_error is not None and "object type not supported" in delivery.last_error
    assert len(delivery.last_error) < 2200


async def test_delivery__slow_server_times_out_and_is_retried(database: Database) -> None:
    async def slow(_request: Received, _n: int) -> Response:
        await asyncio.sleep(2)
        return Response(status_code=202)

    policy = FetchPolicy(allow_private_addresses=True, total_timeout=0.3, connect_timeout=0.3)
    async with make_world(database, policy=policy) as world:
        with running_peer(slow) as peer:
            await world.publish(peer.url())
            await _run(world)
        delivery = await world.delivery()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.last_error is not None and "timeout" in delivery.last_error


async def test_delivery__private_inbox_refused_when_private_addresses_are_disallowed(database: Database) -> None:
    async with make_world(database, policy=FetchPolicy(allow_private_addresses=False)) as world:
        with running_peer() as peer:
            await world.publish(peer.url())
            await _run(world)
        delivery = await world.delivery()
    assert peer.received == []
    assert delivery.state == "failed"
    assert delivery.last_error is not None and "not a public address" in delivery.last_error


async def test_delivery__redirect_to_a_private_address_is_refused(database: Database) -> None:
    # 127.0.0.2 stands in for a public server; it redirects the POST to 127.0.0.1, which stays private.
    async with make_world(database, policy=FetchPolicy(allow_private_addresses=False)) as world:
        with running_peer() as target:
            redirect = scripted(307, headers={"Location": target.url()})
            with running_peer(redirect, address="127.0.0.2") as public:
                await world.publish(public.url())
                await _run(world, address_filter=lambda address: address == ip_address("127.0.0.2"))
        delivery = await world.delivery()
    assert len(public.received) == 1
    assert target.received == []
    assert delivery.state == "failed"
    assert delivery.last_error is not None and "127.0.0.1" in delivery.last_error


async def test_delivery__redirect_is_followed_as_a_resigned_post(world: World) -> None:
    with running_peer() as target:
        with running_peer(scripted(308, headers={"Location": target.url("/moved")})) as first:
            await world.publish(first.url())
            await _run(world)
    (request,) = target.received
    assert request.path == "/moved" and b"Create" in request.body
    assert (await world.delivery()).state == "delivered"

    async def resolve(key_id: str, refresh: bool) -> PublicKey:
        return PublicKey(key_id, world.ctx.urls.actor("racale"), load_public_key(world.actor.rsa_public_pem))

    # Signed anew for the URL it was redirected to, not the first one.
    verified = await verify_request(method="POST", url=target.url("/moved"), headers=request.headers,
                                    body=request.body, resolve_key=resolve, now=world.clock.now())
    assert verified.owner == world.ctx.urls.actor("racale")


async def test_delivery__failing_host_is_rested_skipped_then_probed(world: World) -> None:
    policy = RetryPolicy(host_failure_threshold=2, host_pause=timedelta(minutes=30))
    healthy = False

    def answer(_request: Received, _n: int) -> Response:
        return Response(status_code=202 if healthy else 503)

    with running_peer(answer) as peer:
        await world.publish(peer.url("/a"))
        await world.publish(peer.url("/b"))
        await _run(world, policy=policy)  # two failures: the host is rested
        async with world.ctx.db.transaction() as session:
            host = await session.get(HostState, f"127.0.0.1:{peer.port}")
        assert host is not None and host.consecutive_failures == 2
        assert host.unavailable_until == world.clock.now() + timedelta(minutes=30)

        world.clock.advance(minutes=10)  # retries are due, the host is still resting
        await world.publish(peer.url("/c"))
        assert await _run(world, policy=policy) == 0
        assert len(peer.received) == 2

        healthy = True
        world.clock.advance(minutes=25)
        await _run(world, policy=policy)
    assert len(peer.received) == 5
    assert [d.state for d in await world.deliveries()] == ["delivered"] * 3
    async with world.ctx.db.transaction() as session:
        host = await session.get(HostState, f"127.0.0.1:{peer.port}")
    assert host is not None and (host.consecutive_failures, host.unavailable_until) == (0, None)


async def test_delivery__gives_up_after_two_days(world: World) -> None:
    policy = RetryPolicy(host_failure_threshold=1000)
    with running_peer(scripted(503)) as peer:
        await world.publish(peer.url())
        for _ in range(100):
            await _run(world, policy=policy)
            delivery = await world.delivery()
            if delivery.state != "pending":
                break
            world.clock.advance(hours=3)
    assert delivery.state == "failed"
    assert delivery.finished_at is not None
    assert delivery.finished_at - delivery.created_at >= timedelta(days=2)
    assert delivery.attempts == len(peer.received) > 5


async def test_delivery__shared_inbox_gets_one_post_for_many_followers(world: World) -> None:
    with running_peer() as peer:
        for name in ("ada", "bob", "cy"):
            await world.follower(f"http://social.test/users/{name}", peer.url(f"/users/{name}/inbox"), peer.url())
        await world.follower("http://other.test/users/dee", peer.url("/users/dee/inbox"))
        async with world.ctx.db.transaction() as session:
            inboxes = await follower_inboxes(session, world.actor.id)
        assert inboxes == {peer.url(), peer.url("/users/dee/inbox")}
        await world.publish(*inboxes, peer.url())
        await _run(world)
    assert sorted(r.path for r in peer.received) == ["/inbox", "/users/dee/inbox"]


async def test_delivery__double_knocking_falls_back_to_cavage_and_remembers_it(world: World) -> None:
    def cavage_only(request: Received, _n: int) -> Response:
        if "signature-input" in request.headers:
            return Response("Verification failed: unsupported signature", status_code=401)
        return Response(status_code=202)

    with running_peer(cavage_only) as peer:
        await world.publish(peer.url())
        await _run(world)
        assert [("signature-input" in r.headers) for r in peer.received] == [True, False]
        await world.publish(peer.url(), object_id="http://local.test/events/2")
        await _run(world)
    assert [("signature-input" in r.headers) for r in peer.received] == [True, False, False]
    assert [d.state for d in await world.deliveries()] == ["delivered", "delivered"]
    async with world.ctx.db.transaction() as session:
        host = await session.get(HostState, f"127.0.0.1:{peer.port}")
    assert host is not None and host.signature_scheme == "cavage"


async def test_delivery__rfc9421_peer_is_remembered(world: World) -> None:
    with running_peer() as peer:
        await world.publish(peer.url())
        await _run(world)
    async with world.ctx.db.transaction() as session:
        host = await session.get(HostState, f"127.0.0.1:{peer.port}")
    assert host is not None and host.signature_scheme == "rfc9421"


async def test_delivery__enqueue_skips_local_and_duplicate_inboxes(world: World) -> None:
    await world.publish("http://a.test/inbox", "http://a.test/inbox", world.ctx.urls.shared_inbox, "")
    assert [(d.inbox_url, d.host, d.state) for d in await world.deliveries()] == [
        ("http://a.test/inbox", "a.test", "pending")
    ]
