"""The directory as the web layer reads it: parse parameters, open a session, search.

One object per process, so route handlers stay thin and hold no SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from federation.context import FederationContext

from .event_search import EventHit, EventPage, find_event, search_events
from .search import ListingPolicy, SpaceHit, SpacePage, find_listing, search_spaces
from .search_params import CursorCodec, EventQuery, SpaceQuery, parse_event_query, parse_space_query

__all__ = ["DirectoryListings"]


@dataclass
class DirectoryListings:
    ctx: FederationContext
    cursor_secret: str
    policy: ListingPolicy = field(default_factory=ListingPolicy)

    def __post_init__(self) -> None:
        self.cursors = CursorCodec(self.cursor_secret)

    def space_query(self, params: Mapping[str, Sequence[str]]) -> SpaceQuery:
        return parse_space_query(params, self.cursors)

    def event_query(self, params: Mapping[str, Sequence[str]]) -> EventQuery:
        return parse_event_query(params, self.cursors)

    async def spaces(self, query: SpaceQuery) -> SpacePage:
        async with self.ctx.db.sessions() as session:
            return await search_spaces(session, query, now=self.ctx.clock.now(), cursors=self.cursors,
                                       policy=self.policy)

    async def events(self, query: EventQuery) -> EventPage:
        async with self.ctx.db.sessions() as session:
            return await search_events(session, query, now=self.ctx.clock.now(), cursors=self.cursors,
                                       policy=self.policy)

    async def space(self, actor_id: str) -> SpaceHit | None:
        async with self.ctx.db.sessions() as session:
            return await find_listing(session, actor_id, now=self.ctx.clock.now(), policy=self.policy)

    async def event(self, object_id: str) -> EventHit | None:
        async with self.ctx.db.sessions() as session:
            return await find_event(session, object_id, now=self.ctx.clock.now(), policy=self.policy)
