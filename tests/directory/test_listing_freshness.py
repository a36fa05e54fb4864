"""Issue 5, consent: a remote space not seen for 30 days is left out (the default policy), its own spaces never."""

from __future__ import annotations

from datetime import timedelta

from directory.search import find_listing
from federation.db import Database

from .test_search import NOW, SPACES, actor_id, loaded, names, search

__all__ = ["loaded"]  # the fixture, imported for these tests


async def test_listing__remote_space_not_seen_for_30_days_is_left_out(loaded: Database) -> None:
    seen_a_day_ago = names(await search(loaded, limit=50))
    assert sorted(seen_a_day_ago) == sorted(row[0] for row in SPACES)  # loaded at NOW - 1 day
    racale = actor_id(SPACES[0][0])
    async with loaded.sessions() as session:
        hit = await find_listing(session, racale, now=NOW + timedelta(days=28))
    assert hit is not None and hit.to_json()["last_seen_at"] == (NOW - timedelta(days=1)).isoformat()
    async with loaded.sessions() as session:
        assert await find_listing(session, racale, now=NOW + timedelta(days=29, minutes=1)) is None
