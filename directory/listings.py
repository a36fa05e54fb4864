"""The directory as the web layer reads it: parse parameters, open a session, search.

One object per process, so route handlers stay thin and hold no SQL."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from federation.context import FederationContext

from .event_search import EventHit, EventPage, find_event, search_events
from .filter_choices import FilterChoices, filter_choices
from .search import ListingPolicy, SpaceHit, SpacePage, find_listing, search_spaces
from .search_params import CursorCodec, EventQuery, SpaceQuery, parse_event_query, parse_space_query

__all__ = ["DirectoryListings"]

# The search forms' country and language lists change when a space joins or leaves: a minute is fresh
# enough, and spares every page view three DISTINCT scans.
_CHOICES_SECONDS = 60.0


@dataclass
class DirectoryListings:
    ctx: FederationContext
    cursor_secret: str
    policy: ListingPolicy = field(default_factory=ListingPolicy)

    def __post_init__(self) -> None:
        self.cursors = CursorCodec(self.cursor_secret)
        self._choices: tuple[float, FilterChoices] | None = None

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

    async def choices(self) -> FilterChoices:
        """The countries and languages the search forms offer (`directory.filter_choices`), cached a minute."""
        cached = self._choices
        if cached is not None and time.monotonic() - cached[0] < _CHOICES_SECONDS:
            return cached[1]
        async with self.ctx.db.sessions() as session:
            choices = await filter_choices(session, now=self.ctx.clock.now(), policy=self.policy)
        self._choices = (time.monotonic(), choices)
        return choices
