"""Inbox rows processed in batches: one transaction for a run of Follows/Undos, in the order they came."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from federation.db import Database
from federation.inbox_processing import InboxProcessor
from federation.models import Delivery, Follower, InboxActivity, OutgoingActivity, RemoteActor
from federation.remote_actors import RemoteActors
from federation.worker import Worker

from .delivery_peers import START, World, make_world

# Nobody listens on port 9 of loopback: the Accepts are refused at once and stay queued.
REMOTE = "http://127.0.0.1:9"


@dataclass
class Inbox:
    world: World
    processor: InboxProcessor

    @property
    def local(self) -> str:
        return self.world.ctx.urls.actor("racale")

    async def remote(self, name: str) -> str:
        actor_id = f"{REMOTE}/users/{name}"
        async with self.world.ctx.db.transaction() as session:
            session.add(RemoteActor(ap_id=actor_id, actor_type="Person", domain="127.0.0.1:9",
                                    inbox=f"{actor_id}/inbox", document={}, fetched_at=START))
        return actor_id

    async def arrive(self, *activities: dict[str, Any]) -> None:
        async with self.world.ctx.db.transaction() as session:
            for activity in activities:
                session.add(InboxActivity(
                    activity_id=activity.get("id"), activity_type=activity["type"], actor_id=activity["actor"],
                    signer_key_id=activity["actor"] + "#main-key", body=orjson.dumps(activity).decode(),
                    received_at=START, state="queued", attempts=0, next_attempt_at=START,
                ))

    async def process(self, **options: Any) -> None:
        async with Worker(self.world.ctx, inbox_handler=self.processor, **options) as worker:
            await worker.run_once()

    async def followers(self) -> list[str]:
        async with self.world.ctx.db.sessions() as session:
            return sorted((await session.scalars(
                select(RemoteActor.ap_id).join(Follower, Follower.remote_actor_id == RemoteActor.id)
                .where(Follower.state == "accepted")
            )).all())

    async def states(self) -> dict[str, tuple[str, int]]:
        async with self.world.ctx.db.sessions() as session:
            rows = (await session.scalars(select(InboxActivity).order_by(InboxActivity.id))).all()
        return {row.activity_id or "": (row.state, row.attempts) for row in rows}


@pytest.fixture
async def inbox(database: Database) -> AsyncIterator[Inbox]:
    async with make_world(database) as world:
        yield Inbox(world, InboxProcessor(world.ctx, RemoteActors(world.ctx)))


def follow(actor: str, n: int, target: str) -> dict[str, Any]:
    return {"id": f"{actor}/follows/{n}", "type": "Follow", "actor": actor, "object": target}


def undo(actor: str, n: int, target: str) -> dict[str, Any]:
    return {"id": f"{actor}/undos/{n}", "type": "Undo", "actor": actor, "object": follow(actor, n, target)}


async def test_inbox_batch__undo_after_its_follow_in_one_batch_wins(inbox: Inbox) -> None:
    ada, bob = await inbox.remote("ada"), await inbox.remote("bob")
    await inbox.arrive(follow(ada, 1, inbox.local), follow(bob, 1, inbox.local), undo(ada, 1, inbox.local))
    await inbox.process()
    assert await inbox.followers() == [bob]
    assert {state for state, _ in (await inbox.states()).values()} == {"done"}
    async with inbox.world.ctx.db.sessions() as session:  # each Follow was answered
        assert await session.scalar(select(func.count()).select_from(OutgoingActivity)) == 2
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 2


async def test_inbox_batch__follow_after_an_undo_stands(inbox: Inbox) -> None:
    ada = await inbox.remote("ada")
    await inbox.arrive(follow(ada, 1, inbox.local), undo(ada, 1, inbox.local), follow(ada, 2, inbox.local))
    await inbox.process()
    assert await inbox.followers() == [ada]


async def test_inbox_batch__order_holds_across_a_row_that_runs_alone(inbox: Inbox) -> None:
    # A Create is not batched: the Follow before it and the Undo after it still apply in order.
    ada = await inbox.remote("ada")
    create = {"id": f"{ada}/notes/1/activity", "type": "Create", "actor": ada,
              "object": {"id": f"{ada}/notes/1", "type": "Note"}}
    await inbox.arrive(follow(ada, 1, inbox.local), create, undo(ada, 1, inbox.local))
    await inbox.process()
    assert await inbox.followers() == []


async def test_inbox_batch__a_failing_row_is_retried_alone(inbox: Inbox) -> None:
    ada, bob = await inbox.remote("ada"), await inbox.remote("bob")
    broken = {"type": "Follow", "actor": bob, "object": inbox.local}  # no id: cannot be accepted
    await inbox.arrive(follow(ada, 1, inbox.local), broken, follow(bob, 2, inbox.local))
    await inbox.process()
    assert await inbox.followers() == [ada, bob]
    states = await inbox.states()
    assert states[f"{ada}/follows/1"] == ("done", 1) and states[f"{bob}/follows/2"] == ("done", 1)
    assert states[""] == ("queued", 1)


async def test_inbox_batch__many_follows_split_over_batches(inbox: Inbox) -> None:
    actors = [await inbox.remote(f"u{n}") for n in range(45)]
    await inbox.arrive(*(follow(actor, 1, inbox.local) for actor in actors),
                       *(undo(actor, 1, inbox.local) for actor in actors[:5]))
    await inbox.process(batch_size=20)
    assert await inbox.followers() == sorted(actors[5:])


@pytest.mark.parametrize("path", ["batch", "single"])
async def test_inbox_batch__bulk_follows_decide_as_one_by_one(inbox: Inbox, path: str) -> None:
    # The bulk path (federation.follow_batches) must answer exactly as record_incoming_follow does.
    ada, bob, cy = await inbox.remote("ada"), await inbox.remote("bob"), await inbox.remote("cy")
    async with inbox.world.ctx.db.transaction() as session:
        session.add(Follower(local_actor_id=inbox.world.actor.id, remote_actor_id=(await _id(session, cy)),
                             follow_activity_id=f"{cy}/follows/0", state="rejected", created_at=START,
                             updated_at=START))
    handler: Any = inbox.processor
    if path == "single":
        async def handler(row: InboxActivity) -> None:  # no process_batch: the worker's one-by-one path
            await inbox.processor(row)

    async def run(*activities: dict[str, Any]) -> None:
        await inbox.arrive(*activities)
        async with Worker(inbox.world.ctx, inbox_handler=handler) as worker:
            await worker.run_once()

    # New, re-sent (answered again), a second one in the same run, and one after a reject.
    await run(follow(ada, 1, inbox.local), follow(ada, 1, inbox.local) | {"id": f"{ada}/follows/1b"},
              follow(bob, 1, inbox.local), follow(cy, 1, inbox.local))
    # With manual approval: a new Follow waits, an accepted follower re-following is answered.
    async with inbox.world.ctx.db.transaction() as session:
        actor = await session.get(type(inbox.world.actor), inbox.world.actor.id)
        actor.manually_approves_followers = True
    dee = await inbox.remote("dee")
    await run(follow(dee, 1, inbox.local), follow(bob, 2, inbox.local))
    async with inbox.world.ctx.db.sessions() as session:
        rows = (await session.execute(
            select(RemoteActor.ap_id, Follower.state, Follower.follow_activity_id)
            .join(Follower, Follower.remote_actor_id == RemoteActor.id).order_by(RemoteActor.ap_id))).all()
        accepts = (await session.scalars(
            select(OutgoingActivity.object_id).where(OutgoingActivity.activity_type == "Accept")
            .order_by(OutgoingActivity.id))).all()
    assert [tuple(r) for r in rows] == [
        (ada, "accepted", f"{ada}/follows/1b"), (bob, "accepted", f"{bob}/follows/2"),
        (cy, "accepted", f"{cy}/follows/1"), (dee, "pending", f"{dee}/follows/1"),
    ]
    assert accepts == [f"{ada}/follows/1", f"{ada}/follows/1b", f"{bob}/follows/1", f"{cy}/follows/1",
                       f"{bob}/follows/2"]


async def _id(session: Any, ap_id: str) -> int:
    return int(await session.scalar(select(RemoteActor.id).where(RemoteActor.ap_id == ap_id)))
