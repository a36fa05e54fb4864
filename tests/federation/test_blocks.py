"""Blocks in the database: follower_inboxes skips blocked actors and domains
(subdomains included), on SQLite and PostgreSQL alike; domain normalization."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.actors import create_local_actor
from federation.blocks import claimed_actor, normalize_domain
from federation.clock import SystemClock
from federation.db import Database
from federation.delivery import follower_inboxes
from federation.errors import InvalidActivity
from federation.models import Block, Follower, RemoteActor

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def _remote(ap_id: str, domain: str) -> RemoteActor:
    return RemoteActor(ap_id=ap_id, actor_type="Person", domain=domain, inbox=f"{ap_id}/inbox", document={},
                       fetched_at=NOW)


async def test_follower_inboxes__skip_blocked_actors_and_domains(database: Database) -> None:
    async with database.transaction() as session:
        local = await create_local_actor(session, username="racale", actor_type="Organization", clock=SystemClock())
        actors = [_remote("https://ok.example/u/a", "ok.example"),
                  _remote("https://social.bad.example/u/b", "social.bad.example"),
                  _remote("https://bad.example/u/c", "bad.example"),
                  _remote("https://ok.example/u/d", "ok.example"),
                  _remote("https://notbad.example/u/e", "notbad.example")]
        session.add_all(actors)
        await session.flush()
        for actor in actors:
            session.add(Follower(local_actor_id=local.id, remote_actor_id=actor.id, follow_activity_id=f"{actor.ap_id}#f",
                                 state="accepted", created_at=NOW, updated_at=NOW))
        session.add(Block(domain="bad.example", created_at=NOW))
        session.add(Block(actor_id="https://ok.example/u/d", created_at=NOW))
    async with database.sessions() as session:
        assert await follower_inboxes(session, local.id) == {"https://ok.example/u/a/inbox",
                                                              "https://notbad.example/u/e/inbox"}


def test_normalize_domain__accepts_what_people_paste() -> None:
    assert normalize_domain(" Bad.Example ") == "bad.example"
    assert normalize_domain("https://bad.example/about") == "bad.example"
    assert normalize_domain("*.bad.example") == "bad.example"
    assert normalize_domain("127.0.0.1:8001") == "127.0.0.1:8001"
    for wrong in ("", "no spaces.example", "localhost"):
        with pytest.raises(InvalidActivity):
            normalize_domain(wrong)


def test_claimed_actor__reads_without_trusting() -> None:
    assert claimed_actor(b'{"actor": "https://x.example/u"}') == "https://x.example/u"
    assert claimed_actor(b'{"actor": {"id": "https://x.example/u"}}') == "https://x.example/u"
    assert claimed_actor(b"not json") is None and claimed_actor(b"[]") is None
