"""Leased claiming on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

from federation.db import Database
from federation.delivery_runner import DELIVERIES
from federation.queue import claim, finish

from .delivery_peers import make_world


async def test_queue__claim_leases_due_rows_once_and_finish_respects_the_owner(database: Database) -> None:
    async with make_world(database) as world:
        for n in range(3):
            await world.publish(f"http://h{n}.test/inbox")
        now = world.clock.now()
        lease = timedelta(minutes=1)
        async with database.transaction() as session:
            first = await claim(session, DELIVERIES, owner="a", now=now, lease=lease, limit=2)
        async with database.transaction() as session:
            second = await claim(session, DELIVERIES, owner="b", now=now, lease=lease, limit=10)
            assert await claim(session, DELIVERIES, owner="c", now=now, lease=lease, limit=10) == []
        assert len(first) == 2 and len(second) == 1
        assert {r.id for r in first}.isdisjoint({r.id for r in second})
        change = {"id": first[0].id, "state": "delivered"}
        async with database.transaction() as session:
            assert await finish(session, DELIVERIES, owner="b", changes=[change]) == 0
            assert await finish(session, DELIVERIES, owner="a", changes=[change]) == 1
        later = now + lease + timedelta(seconds=1)
        async with database.transaction() as session:
            again = await claim(session, DELIVERIES, owner="d", now=later, lease=lease, limit=10)
        assert sorted(r.id for r in again) == sorted([first[1].id, second[0].id])
