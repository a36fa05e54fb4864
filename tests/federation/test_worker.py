"""The worker: leases, restarts, concurrent workers on PostgreSQL, inbox and task rows, wake-ups."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.responses import Response

from federation.db import Database
from federation.models import InboxActivity, Task
from federation.queue import claim
from federation.delivery_runner import DELIVERIES
from federation.tasks import enqueue_task
from federation.worker import Worker
from web.schema import all_metadata

from ..databases import postgres_database, require_postgres
from .delivery_peers import Received, World, make_world, running_peer, until


@pytest.fixture
async def world(database: Database) -> World:
    async with make_world(database) as made:
        return made


def _paths(peer_received: list[Received]) -> Counter[str]:
    return Counter(r.path for r in peer_received)


async def test_worker__expired_lease_is_taken_over_and_each_delivered_once(world: World) -> None:
    with running_peer() as peer:
        for n in range(5):
            await world.publish(peer.url(f"/{n}/inbox"))
        async with world.ctx.db.transaction() as session:  # a worker that claims, then dies
            claimed = await claim(session, DELIVERIES, owner="dead", now=world.clock.now(),
                                  lease=timedelta(minutes=5), limit=100)
        assert len(claimed) == 5
        async with Worker(world.ctx, lease=timedelta(minutes=5)) as survivor:
            assert await survivor.run_once() == 0  # still leased
            world.clock.advance(minutes=5, seconds=1)
            assert await survivor.run_once() == 5
            assert await survivor.run_once() == 0
    assert _paths(peer.received) == {f"/{n}/inbox": 1 for n in range(5)}
    assert {d.state for d in await world.deliveries()} == {"delivered"}


async def test_worker__cancelled_mid_batch_then_restarted_delivers_each_exactly_once(world: World) -> None:
    async def slow(_request: Received, _n: int) -> Response:
        await asyncio.sleep(0.2)
        return Response(status_code=202)

    with running_peer(slow) as peer:
        for n in range(40):
            await world.publish(peer.url(f"/{n}/inbox"))
        first = Worker(world.ctx, per_host=4)
        task = asyncio.create_task(first.run_once())
        await until(lambda: len(peer.received) >= 6)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await first.close()
        states = Counter(d.state for d in await world.deliveries())
        assert 0 < states["delivered"] < 40
        async with Worker(world.ctx, per_host=4) as second:
            await second.run_once()
    assert _paths(peer.received) == {f"/{n}/inbox": 1 for n in range(40)}
    assert {d.state for d in await world.deliveries()} == {"delivered"}


async def test_worker__run_wakes_up_on_enqueue(world: World) -> None:
    with running_peer() as peer:
        stop = asyncio.Event()
        async with Worker(world.ctx, poll_interval=60) as worker:
            task = asyncio.create_task(worker.run(stop))
            await asyncio.sleep(0.1)  # asleep, with a minute to go before its next poll
            await world.publish(peer.url())
            await until(lambda: len(peer.received) == 1, timeout=5)
            stop.set()
            await asyncio.wait_for(task, 5)


async def test_worker__inbox_rows_retried_then_failed_or_done(world: World) -> None:
    calls: Counter[str] = Counter()

    async def handler(row: InboxActivity) -> None:
        calls[row.activity_type] += 1
        if row.activity_type == "Broken":
            raise ValueError("cannot parse the object")

    now = world.clock.now()
    async with world.ctx.db.transaction() as session:
        for kind in ("Follow", "Broken"):
            session.add(InboxActivity(
                activity_id=f"http://remote.test/{kind}", activity_type=kind, actor_id="http://remote.test/u",
                signer_key_id="http://remote.test/u#key", body="{}", received_at=now, state="queued",
                attempts=0, next_attempt_at=now,
            ))
    async with Worker(world.ctx, inbox_handler=handler) as worker:
        for _ in range(10):
            await worker.run_once()
            world.clock.advance(hours=7)
    async with world.ctx.db.transaction() as session:
        rows = {r.activity_type: r for r in (await session.scalars(select(InboxActivity))).all()}
    assert (rows["Follow"].state, rows["Follow"].attempts) == ("done", 1)
    assert (rows["Broken"].state, rows["Broken"].attempts) == ("failed", 5)
    assert rows["Broken"].error == "ValueError: cannot parse the object"
    assert calls == {"Follow": 1, "Broken": 5}


async def test_worker__tasks_by_kind_and_dedupe(world: World) -> None:
    seen: list[dict[str, object]] = []

    async def refresh(task: Task) -> None:
        seen.append(task.payload)

    async with world.ctx.db.transaction() as session:
        await enqueue_task(session, world.ctx, "refresh", {"actor": 1}, dedupe_key="refresh:1")
        await enqueue_task(session, world.ctx, "refresh", {"actor": 1}, dedupe_key="refresh:1")
        await enqueue_task(session, world.ctx, "crawl", {"site": 2})
    async with Worker(world.ctx, task_handlers={"refresh": refresh}) as worker:
        assert await worker.run_once() == 1
    assert seen == [{"actor": 1}]
    async with world.ctx.db.transaction() as session:
        states = {t.kind: t.state for t in (await session.scalars(select(Task))).all()}
    assert states == {"refresh": "done", "crawl": "queued"}  # nobody here handles crawls


@pytest.mark.postgres
async def test_worker__two_workers_on_postgresql_never_send_twice() -> None:
    server = await require_postgres()
    async with postgres_database(server) as url:
        database = Database(url)
        try:
            async with database.engine.begin() as conn:
                await conn.run_sync(all_metadata().create_all)
            async with make_world(database) as world:
                with running_peer() as peer:
                    for n in range(300):
                        await world.publish(peer.url(f"/{n}/inbox"))
                    async with Worker(world.ctx, batch_size=20, concurrency=20) as a, \
                            Worker(world.ctx, batch_size=20, concurrency=20) as b:
                        handled = await asyncio.gather(a.run_once(), b.run_once())
                assert sum(handled) == 300 and all(handled)
                assert _paths(peer.received) == {f"/{n}/inbox": 1 for n in range(300)}
                assert {d.state for d in await world.deliveries()} == {"delivered"}
        finally:
            await database.dispose()


async def test_worker__deliveries_go_out_while_inbox_batches_are_still_processed(world: World) -> None:
    """A batch that queues a delivery and waits for it to arrive only finishes if deliveries run beside it."""

    class AnsweringHandler:
        def __init__(self, peer_received: list[Received], inbox: str) -> None:
            self.received = peer_received
            self.inbox = inbox

        async def __call__(self, row: InboxActivity) -> None:
            raise AssertionError("batches only")

        async def process_batch(self, rows: Sequence[InboxActivity]) -> list[Exception | None]:
            await world.publish(self.inbox)
            await until(lambda: len(self.received) == 1, timeout=5)  # times out if deliveries wait for us
            return [None for _ in rows]

    now = world.clock.now()
    async with world.ctx.db.transaction() as session:
        session.add(InboxActivity(
            activity_id="http://remote.test/follow/1", activity_type="Follow", actor_id="http://remote.test/u",
            signer_key_id="http://remote.test/u#key", body="{}", received_at=now, state="queued",
            attempts=0, next_attempt_at=now,
        ))
    with running_peer() as peer:
        async with Worker(world.ctx, inbox_handler=AnsweringHandler(peer.received, peer.url("/inbox"))) as worker:
            assert await asyncio.wait_for(worker.run_once(), 10) == 2  # the inbox row and the delivery
    assert {d.state for d in await world.deliveries()} == {"delivered"}


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities are set on Linux only")
async def test_worker__signing_threads_run_below_the_event_loop(world: World) -> None:
    async with Worker(world.ctx) as worker:
        signer = await asyncio.get_running_loop().run_in_executor(
            worker._executor, lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        )
    assert signer > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
