"""The network view: remote spaces enter the directory listing while someone here follows them.

Every instance lists its own spaces (``directory.spaces``), the spaces its actors follow
and, on a hub, the spaces that joined it. This module keeps the remote part in step
with what arrives (registered on ``federation.inbox_processing.InboxProcessor``, after
its own handlers, so follow states and the cached actor are already updated):

* ``Accept`` of our ``Follow``: list the actor from its fetched document;
* ``Update`` of the actor: re-list it (new hours, a new address, opting out);
* ``Create(Place)``: software without ``location`` on actors (a Fedify peer) publishes
  its place as an object; it is kept and listed with the actor;
* ``Delete`` of the actor, ``Reject``, and the last local unfollow: unlist it and its events;
* :meth:`NetworkListings.refresh` (a task): 410 unlists, an unreachable host is marked so.

Consent: only what the actor's document allows is listed (``discoverable: true``,
checked by ``directory.indexing.upsert_remote_listing``). An actor that publishes a
`Place` to its followers and says nothing about ``discoverable`` has asked to be found
there; an explicit ``discoverable: false`` always wins.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from federation.context import FederationContext
from federation.errors import FederationError, FetchError, RemoteGone
from federation.follows import drop_relations
from federation.models import Following, RemoteActor
from federation.remote_actors import RemoteActors, handle_of, host_of

from .indexing import mark_origin_reachable, mark_origin_unreachable, remove_listing, upsert_remote_listing
from .listing_models import DirectoryListing
from .network_models import FOLLOWED, NetworkActor
from .place_parsing import ParsedPlace, space_from_actor_document

__all__ = ["ListingObserver", "NetworkListings", "is_place", "remember_actor"]

log = logging.getLogger(__name__)

# Told, inside the transaction, when a remote space enters (True) or leaves (False) the listing.
ListingObserver = Callable[[AsyncSession, str, bool], Awaitable[None]]


def is_place(parsed: ParsedPlace) -> bool:
    """A space is an actor with a place: coordinates or an address."""
    has_coordinates = parsed.lat is not None and parsed.lon is not None
    return has_coordinates or any((parsed.street, parsed.locality, parsed.postal_code, parsed.country))


async def remember_actor(session: AsyncSession, ctx: FederationContext, actor_id: str, source: str, *,
                         listed_via: str | None = None) -> NetworkActor:
    """The directory's memory of an actor; a first-hand source replaces a hub's provenance."""
    now = ctx.clock.now()
    row = await session.scalar(select(NetworkActor).where(NetworkActor.actor_id == actor_id))
    if row is None:
        row = NetworkActor(actor_id=actor_id, source=source, listed_via=listed_via, created_at=now, updated_at=now)
        session.add(row)
    elif listed_via is None and source != FOLLOWED:
        row.source, row.listed_via, row.updated_at = source, None, now
    await session.flush()
    return row


async def _followed(session: AsyncSession, actor_id: str) -> bool:
    found = await session.scalar(
        select(Following.id).join(RemoteActor, RemoteActor.id == Following.remote_actor_id)
        .where(RemoteActor.ap_id == actor_id, Following.state == "accepted").limit(1)
    )
    return found is not None


def _with_place(document: dict[str, Any], place: dict[str, Any]) -> dict[str, Any]:
    merged = {**document, "location": place}
    if isinstance(place.get("name"), str):
        merged["name"] = place["name"]
    return merged


class NetworkListings:
    def __init__(self, ctx: FederationContext, actors: RemoteActors) -> None:
        self.ctx = ctx
        self.actors = actors
        self._observers: list[ListingObserver] = []

    def observe(self, observer: ListingObserver) -> None:
        self._observers.append(observer)

    def register_on(self, processor: Any) -> None:
        processor.register("Accept", self._accepted)
        processor.register("Reject", self._rejected)
        processor.register("Update", self._updated)
        processor.register("Delete", self._deleted)
        processor.register("Create", self._created)

    # ---- listing ----
    async def list_actor(self, actor_id: str, document: dict[str, Any] | None = None) -> bool:
        """(Re-)list a followed actor from its document (the cached one by default); True when listed."""
        async with self.ctx.db.transaction() as session:
            remote = await session.scalar(select(RemoteActor).where(RemoteActor.ap_id == actor_id))
            if remote is None or remote.gone_at is not None or not await _followed(session, actor_id):
                return False
            listed = await self._write(session, remote, document if document is not None else remote.document)
        return listed

    async def _write(self, session: AsyncSession, remote: RemoteActor, document: dict[str, Any]) -> bool:
        memory = await session.scalar(select(NetworkActor).where(NetworkActor.actor_id == remote.ap_id))
        parsed = space_from_actor_document(document)
        if memory is not None and memory.place and not is_place(parsed):
            parsed = space_from_actor_document(_with_place(document, memory.place))
            if "discoverable" not in document:
                parsed = replace(parsed, discoverable=True, indexable=document.get("indexable") is True)
        was_listed = await session.scalar(
            select(DirectoryListing.id).where(DirectoryListing.actor_id == remote.ap_id)) is not None
        listing = None
        if is_place(parsed):
            url = document.get("url") if isinstance(document.get("url"), str) else None
            listing = await upsert_remote_listing(
                session, parsed, remote.ap_id, memory.listed_via if memory else None, self.ctx.clock.now(),
                handle=handle_of(remote), url=url,
            )
        elif was_listed:
            await remove_listing(session, remote.ap_id)  # it no longer describes a place
        if (listing is not None) != was_listed:
            await self._tell(session, remote.ap_id, listing is not None)
        return listing is not None

    async def unlist(self, actor_id: str, *, forget: bool = False) -> None:
        async with self.ctx.db.transaction() as session:
            await self._unlist(session, actor_id, forget=forget)

    async def _unlist(self, session: AsyncSession, actor_id: str, *, forget: bool) -> None:
        if await remove_listing(session, actor_id):
            await self._tell(session, actor_id, False)
            log.info("unlisted %s", actor_id)
        if forget:
            await session.execute(delete(NetworkActor).where(NetworkActor.actor_id == actor_id))

    async def reconcile(self, actor_id: str) -> None:
        """Unlist a remote space nobody here follows any more."""
        async with self.ctx.db.transaction() as session:
            if not self.ctx.urls.is_local(actor_id) and not await _followed(session, actor_id):
                await self._unlist(session, actor_id, forget=False)

    async def _tell(self, session: AsyncSession, actor_id: str, listed: bool) -> None:
        for observer in self._observers:
            await observer(session, actor_id, listed)

    # ---- freshness ----
    async def refresh(self, actor_id: str) -> None:
        """Fetch the actor again: re-list it, unlist it when gone (410), mark its host when unreachable."""
        try:
            fresh = await self.actors.refresh(actor_id)
        except RemoteGone:
            await self.gone(actor_id)
            return
        except FetchError as exc:
            log.info("refresh of %s failed: %s", actor_id, exc)
            async with self.ctx.db.transaction() as session:
                await mark_origin_unreachable(session, host_of(actor_id), self.ctx.clock.now())
            return
        except FederationError as exc:  # a malformed document: keep what we had
            log.info("refresh of %s gave no usable actor: %s", actor_id, exc)
            return
        async with self.ctx.db.transaction() as session:
            await mark_origin_reachable(session, host_of(actor_id))
        await self.list_actor(actor_id, fresh.document)

    async def gone(self, actor_id: str) -> None:
        async with self.ctx.db.transaction() as session:
            remote = await session.scalar(select(RemoteActor).where(RemoteActor.ap_id == actor_id))
            if remote is not None:
                await drop_relations(session, remote.id)
                self.actors.forget_key(remote.public_key_id)
                await session.execute(
                    update(RemoteActor).where(RemoteActor.id == remote.id).values(gone_at=self.ctx.clock.now()))
            await self._unlist(session, actor_id, forget=True)

    # ---- inbox handlers ----
    async def _accepted(self, activity: Any) -> None:
        if await self.list_actor(activity.actor):
            log.info("listed %s (follow accepted)", activity.actor)

    async def _rejected(self, activity: Any) -> None:
        await self.reconcile(activity.actor)

    async def _updated(self, activity: Any) -> None:
        obj = activity.object
        if isinstance(obj, dict) and activity.object_id == activity.actor:
            await self.list_actor(activity.actor, obj)

    async def _deleted(self, activity: Any) -> None:
        if activity.object_id == activity.actor:
            await self.unlist(activity.actor, forget=True)

    async def _created(self, activity: Any) -> None:
        place = activity.object
        if not isinstance(place, dict) or place.get("type") != "Place":
            return
        place_id = place.get("id")
        # Only the actor's own host speaks for its place.
        if not isinstance(place_id, str) or host_of(place_id) != host_of(activity.actor):
            return
        async with self.ctx.db.transaction() as session:
            if not await _followed(session, activity.actor):
                return
            memory = await remember_actor(session, self.ctx, activity.actor, FOLLOWED)
            memory.place = {k: v for k, v in place.items() if k != "@context"}
            memory.updated_at = self.ctx.clock.now()
        await self.list_actor(activity.actor)
