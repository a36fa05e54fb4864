"""Loopback peers and a small world for the delivery and worker tests.

A ``Peer`` is a real uvicorn server whose answer to each POST a test scripts;
it records every request (headers, body) so tests can count and verify them.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from federation.actors import create_local_actor
from federation.clock import FixedClock
from federation.context import FederationContext
from federation.db import Database
from federation.delivery import enqueue_activity, new_activity_id
from federation.fetch import FetchPolicy
from federation.models import Delivery, Follower, LocalActor, RemoteActor
from federation.urls import LocalUrls

from ..servers import ServerThread

START = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[Received, int], Awaitable[Response] | Response]


def accept(_request: Received, _n: int) -> Response:
    return Response(status_code=202)


@dataclass
class Peer:
    """A scripted inbox server: ``answer(request, n)`` decides the n-th (0-based) response."""

    answer: Answer = accept
    received: list[Received] = field(default_factory=list)
    port: int = 0
    address: str = "127.0.0.1"

    def url(self, path: str = "/inbox") -> str:
        return f"http://{self.address}:{self.port}{path}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        received = Received(request.url.path, {k.lower(): v for k, v in request.headers.items()}, await request.body())
        n = len(self.received)
        self.received.append(received)
        response = self.answer(received, n)
        if not isinstance(response, Response):
            response = await response
        await response(scope, receive, send)


def loopback_socket(address: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, 0))
    sock.listen(512)
    return sock


@contextmanager
def running_peer(answer: Answer = accept, *, address: str = "127.0.0.1") -> Iterator[Peer]:
    peer = Peer(answer=answer, address=address)
    server = ServerThread(peer, loopback_socket(address))
    peer.port = server.port
    server.start()
    try:
        yield peer
    finally:
        server.stop()


@dataclass
class World:
    """One local actor on a database, with a fixed clock."""

    ctx: FederationContext
    clock: FixedClock
    actor: LocalActor

    async def follower(self, ap_id: str, inbox: str, shared_inbox: str | None = None) -> RemoteActor:
        now = self.clock.now()
        async with self.ctx.db.transaction() as session:
            remote = RemoteActor(
                ap_id=ap_id, actor_type="Person", domain=ap_id.split("/")[2], inbox=inbox,
                shared_inbox=shared_inbox, document={}, fetched_at=now,
            )
            session.add(remote)
            await session.flush()
            session.add(Follower(
                local_actor_id=self.actor.id, remote_actor_id=remote.id, follow_activity_id=f"{ap_id}#follow",
                state="accepted", created_at=now, updated_at=now,
            ))
        return remote

    async def publish(self, *inboxes: str, object_id: str = "http://local.test/events/1") -> str:
        activity_id = new_activity_id(self.ctx, self.actor.username)
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams", "id": activity_id, "type": "Create",
            "actor": self.ctx.urls.actor(self.actor.username), "object": {"id": object_id, "type": "Note"},
        }
        async with self.ctx.db.transaction() as session:
            await enqueue_activity(session, self.ctx, actor=self.actor, activity=activity, inboxes=inboxes)
        return activity_id

    async def deliveries(self) -> list[Delivery]:
        async with self.ctx.db.transaction() as session:
            return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())

    async def delivery(self) -> Delivery:
        (only,) = await self.deliveries()
        return only


@asynccontextmanager
async def make_world(database: Database, *, policy: FetchPolicy | None = None) -> AsyncIterator[World]:
    clock = FixedClock(START)
    ctx = FederationContext(
        db=database, clock=clock, urls=LocalUrls("http://local.test"),
        fetch_policy=policy or FetchPolicy(allow_private_addresses=True),
    )
    async with database.transaction() as session:
        actor = await create_local_actor(session, username="racale", actor_type="Organization", clock=clock)
    yield World(ctx=ctx, clock=clock, actor=actor)


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (bounded) for something another thread does."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def scripted(*statuses: int, headers: dict[str, str] | None = None, body: str = "") -> Answer:
    """Answer the n-th request with statuses[n] (the last one repeats)."""

    def answer(_request: Received, n: int) -> Response:
        status = statuses[min(n, len(statuses) - 1)]
        return Response(body, status_code=status, headers=headers or {})

    return answer

