"""Delivery benchmark: one post to 10,000 followers on 1,000 servers, and raw signed deliveries/s.

    .venv/bin/python bench/delivery.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
                                       [--followers 10000] [--servers 1000] [--throughput 10000]

The sink is a raw asyncio HTTP server answering 202, in a separate process so
it does not take the worker's CPU. It listens on many loopback (address,
port) pairs, so each follower server is a distinct host with its own
connection, as on the real network. Everything stays on loopback; the sink
exits when this script closes its stdin (or after ``--sink-lifetime`` seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402
import uvloop  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from federation.actors import create_local_actor  # noqa: E402
from federation.clock import SystemClock  # noqa: E402
from federation.context import FederationContext  # noqa: E402
from federation.db import Database  # noqa: E402
from federation.delivery import enqueue_activity, follower_inboxes, new_activity_id  # noqa: E402
from federation.fetch import FetchPolicy  # noqa: E402
from federation.models import Delivery, Follower, LocalActor, RemoteActor  # noqa: E402
from federation.urls import LocalUrls  # noqa: E402
from federation.worker import Worker  # noqa: E402
from http_sink import next_request  # noqa: E402  (bench/, this script's folder)
from web.process_tuning import tune_server_process  # noqa: E402
from web.schema import all_metadata  # noqa: E402

_RESPONSE = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"


# --- the sink (runs in its own process) -------------------------------------------------------

class _SinkProtocol(asyncio.Protocol):
    """Answers 202 to every request as soon as its head and declared body are in (no chunked bodies)."""

    def __init__(self, counter: list[int]) -> None:
        self.counter = counter
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.counter[1] += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (request := next_request(self.buffer)) is not None:
            _body, self.buffer = request
            self.counter[0] += 1
            assert self.transport is not None
            self.transport.write(_RESPONSE)


async def _sink(endpoints: int, addresses: int, lifetime: float) -> None:
    counter = [0, 0]
    servers = []
    bound: list[str] = []
    for n in range(endpoints):
        address = f"127.0.0.{1 + n % addresses}"
        server = await asyncio.get_running_loop().create_server(
            lambda: _SinkProtocol(counter), address, 0, backlog=1024, reuse_address=True
        )
        servers.append(server)
        bound.append(f"{address}:{server.sockets[0].getsockname()[1]}")
    print(json.dumps(bound), flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)  # returns at EOF: the parent is done
    await asyncio.wait([stdin_closed], timeout=lifetime)
    print(json.dumps({"requests": counter[0], "connections": counter[1], "cpu": time.process_time()}), flush=True)
    for server in servers:
        server.close()
    os._exit(0)  # the stdin reader thread may still block


# --- the benchmark --------------------------------------------------------------------------

class Sink:
    def __init__(self, endpoints: int, lifetime: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--sink", str(endpoints), "--sink-lifetime", str(lifetime), "--loop", "uvloop"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        self.hosts: list[str] = json.loads(self.process.stdout.readline())

    def close(self) -> tuple[int, int, float]:
        """Requests and connections received, and the sink's CPU seconds."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        line = self.process.stdout.readline()
        self.process.wait(timeout=30)
        if not line:
            return -1, -1, 0.0
        report = json.loads(line)
        return int(report["requests"]), int(report["connections"]), float(report["cpu"])


async def _add_followers(ctx: FederationContext, actor: LocalActor, hosts: list[str], followers: int, *,
                         shared: bool, tag: str) -> None:
    now = ctx.clock.now()
    remotes = []
    for n in range(followers):
        host = hosts[n % len(hosts)]
        remotes.append({
            "ap_id": f"http://{host}/{tag}/users/{n}", "actor_type": "Person", "domain": host,
            "inbox": f"http://{host}/{tag}/users/{n}/inbox",
            "shared_inbox": f"http://{host}/{tag}/inbox" if shared else None,
            "document": {}, "fetched_at": now,
        })
    async with ctx.db.transaction() as session:
        await session.execute(insert(RemoteActor), remotes)
        ids = (await session.scalars(select(RemoteActor.id).where(RemoteActor.ap_id.like(f"%/{tag}/users/%")))).all()
        await session.execute(insert(Follower), [
            {"local_actor_id": actor.id, "remote_actor_id": rid, "follow_activity_id": f"urn:follow:{rid}",
             "state": "accepted", "created_at": now, "updated_at": now}
            for rid in ids
        ])


async def _new_actor(ctx: FederationContext, username: str) -> LocalActor:
    async with ctx.db.transaction() as session:
        return await create_local_actor(session, username=username, actor_type="Organization", clock=ctx.clock)


async def _post_and_deliver(
    ctx: FederationContext, actor: LocalActor, worker: Worker
) -> tuple[int, float, float, float, float]:
    """Deliveries handled, enqueue seconds, total seconds, this process's CPU seconds (all threads) and the
    event loop thread's own CPU seconds (what caps one worker: the loop runs on one core)."""
    cpu, loop_cpu = time.process_time(), time.thread_time()
    start = time.perf_counter()
    async with ctx.db.transaction() as session:
        inboxes = await follower_inboxes(session, actor.id)
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
                    "id": new_activity_id(ctx, actor.username), "actor": ctx.urls.actor(actor.username),
                    "object": {"type": "Note", "id": f"http://bench.test/notes/{uuid.uuid4()}", "content": "x" * 500}}
        await enqueue_activity(session, ctx, actor=actor, activity=activity, inboxes=inboxes)
    enqueued = time.perf_counter()
    handled = await worker.run_once()
    return handled, enqueued - start, time.perf_counter() - start, time.process_time() - cpu, time.thread_time() - loop_cpu


async def _states(ctx: FederationContext) -> dict[str, int]:
    async with ctx.db.transaction() as session:
        rows = (await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all()
    return {state: int(n) for state, n in rows}


async def run(args: argparse.Namespace, database_url: str) -> None:
    sink = Sink(args.servers, lifetime=args.sink_lifetime)
    db = Database(database_url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(all_metadata().create_all)
        ctx = FederationContext(db=db, clock=SystemClock(), urls=LocalUrls("http://bench.test"),
                                fetch_policy=FetchPolicy(allow_private_addresses=True))
        poster, flooder = await _new_actor(ctx, "poster"), await _new_actor(ctx, "flooder")
        await _add_followers(ctx, poster, sink.hosts, args.followers, shared=True, tag="s")
        # Throughput: personal inboxes on a tenth of the servers, so connections are reused.
        await _add_followers(ctx, flooder, sink.hosts[: max(len(sink.hosts) // 10, 1)], args.throughput,
                             shared=False, tag="p")
        if database_url.startswith("postgresql"):
            # Statistics, as autovacuum keeps them on a live server: on a database seeded a second ago the
            # planner guesses, and follower_inboxes() took 28-40 ms instead of 17-20.
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        tune_server_process()  # as `espresso worker` does: frozen startup heap, 1 ms GIL switch interval
        async with Worker(ctx, sign_threads=args.sign_threads) as worker:
            handled, enqueue_s, total_s, cpu_s, _ = await _post_and_deliver(ctx, poster, worker)
            print(f"fan-out: {args.followers} followers on {args.servers} servers -> {handled} deliveries; "
                  f"enqueue {enqueue_s * 1000:.0f} ms, enqueue + delivery {total_s:.3f} s "
                  f"({handled / total_s:.0f} deliveries/s, worker CPU {cpu_s:.2f} s)")
            handled, enqueue_s, total_s, cpu_s, loop_s = await _post_and_deliver(ctx, flooder, worker)
            deliver_s = total_s - enqueue_s
            print(f"throughput: {handled} signed deliveries in {deliver_s:.3f} s "
                  f"= {handled / deliver_s:.0f} signed deliveries/s (enqueue {enqueue_s * 1000:.0f} ms); "
                  f"worker CPU {cpu_s * 1000 / max(handled, 1):.2f} ms per delivery, all threads, "
                  f"of which the event loop thread {loop_s * 1000 / max(handled, 1):.2f} ms")
        print(f"states: {await _states(ctx)}")
    finally:
        await db.dispose()
        received, connections, sink_cpu = sink.close()
        print(f"sink received {received} requests on {connections} connections, "
              f"{sink_cpu * 1e6 / max(received, 1):.0f} µs CPU each; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


async def _with_database(args: argparse.Namespace) -> None:
    if not args.database_url:
        with tempfile.TemporaryDirectory() as folder:
            await run(args, f"sqlite+aiosqlite:///{folder}/bench.db")
        return
    # A throw-away database on that server, so the benchmark never touches real data.
    dsn = args.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"espresso_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        await run(args, f"{args.database_url.rpartition('/')[0]}/{name}")
    finally:
        admin = await asyncpg.connect(dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="postgresql+asyncpg://... (a throw-away database is created there)")
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=1_000)
    parser.add_argument("--throughput", type=int, default=10_000, help="deliveries in the throughput run")
    parser.add_argument("--sign-threads", type=int, help="the worker's signing threads (default: one per core)")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sink-lifetime", type=float, default=600.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # uvloop, as `espresso worker` and uvicorn run; --loop asyncio for the standard loop.
    run = uvloop.run if args.loop == "uvloop" else asyncio.run
    if args.sink:
        run(_sink(args.sink, addresses=8, lifetime=args.sink_lifetime))
        return
    logging.basicConfig(level=logging.WARNING)
    run(_with_database(args))


if __name__ == "__main__":
    main()
