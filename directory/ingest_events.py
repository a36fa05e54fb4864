"""Events and news that arrive from other servers, stored for the local spaces they concern.

The worker calls :meth:`EventIngest.handle` for ``Create``, ``Update``, ``Delete``
and ``Announce`` (registered on ``federation.inbox_processing.InboxProcessor``).

* Who it concerns: local spaces that follow the sender (accepted follows), and spaces
  a Note mentions or addresses. Nothing is stored for nobody.
* Trust: only the origin may create, change or delete an object. An embedded object
  is taken as is only when its id is on the signer's host; otherwise (an ``Announce``,
  a relay, a bare URL) it is fetched from its own origin, whose answer is
  authoritative. A ``Delete`` from another host is ignored.
* Robustness: remote JSON goes through ``directory.remote_objects`` and a fetch that
  fails is logged and dropped, so an odd peer never stops the worker.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.context import FederationContext
from federation.errors import FederationError, FetchError
from federation.models import Following, LocalActor, RemoteActor

from .event_listing import remote_event_entry
from .event_models import ReceivedObject
from .indexing import remove_event_listing, upsert_event_listing
from .listing_models import DirectoryListing
from .received_copies import store_copy
from .remote_objects import OBJECT_TYPES, ParsedObject, host_of, parse_remote_object, url_of

__all__ = ["EventIngest", "ObjectFetcher"]

log = logging.getLogger(__name__)
_FOLLOWING = ("accepted",)


class ObjectFetcher(Protocol):
    """``federation.remote_actors.RemoteActors``: a signed GET that checks the answer's origin."""

    async def fetch_object(self, url: str) -> dict[str, Any]: ...


class _Activity(Protocol):
    """What ``federation.inbox_processing.ReceivedActivity`` provides."""

    @property
    def type(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def document(self) -> dict[str, Any]: ...


class EventIngest:
    def __init__(self, ctx: FederationContext, fetcher: ObjectFetcher) -> None:
        self.ctx = ctx
        self.fetcher = fetcher

    def register_on(self, processor: Any) -> None:
        for kind in ("Create", "Update", "Delete", "Announce"):
            processor.register(kind, self.handle)

    async def handle(self, activity: _Activity) -> None:
        try:
            if activity.type == "Delete":
                await self._delete(activity.actor, activity.document.get("object"))
            elif activity.type in ("Create", "Update"):
                await self._store(activity.actor, activity.document.get("object"), via=activity.actor)
            elif activity.type == "Announce":
                await self._announce(activity.actor, activity.document.get("object"))
        except FederationError as exc:
            # An unreachable or lying origin is the peer's problem, not a reason to retry forever.
            log.info("%s from %s not ingested: %s", activity.type, activity.actor, exc)

    async def _announce(self, announcer: str, obj: Any) -> None:
        """A boost, or a group forwarding its members' activities (FEP-1b12: `Announce(Create/Update/Delete)`).

        What is forwarded is not signed by its author, so nothing in it is taken as is: a created or
        updated object is read from its origin, and a forwarded `Delete` is believed only when the origin
        answers that the object is gone."""
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "Delete":
            await self._forwarded_delete(announcer, url_of(obj.get("object")))
            return
        inner = obj.get("object") if kind in ("Create", "Update") else obj
        object_id = url_of(inner)
        if object_id is None:
            return
        await self._store(announcer, object_id, via=announcer, force_fetch=True)

    async def _forwarded_delete(self, announcer: str, object_id: str | None) -> None:
        if object_id is None:
            return
        try:
            await self.fetcher.fetch_object(object_id)
        except FetchError as exc:
            if exc.status_code in (404, 410):  # Mastodon answers 404 for a deleted status, others 410
                await self._drop(object_id)
            return
        log.info("Delete of %s forwarded by %s, but its origin still serves it: kept", object_id, announcer)

    async def _document(self, sender: str, obj: Any, *, force_fetch: bool) -> dict[str, Any] | None:
        if isinstance(obj, dict):
            kinds = obj.get("type")
            if not any(k in OBJECT_TYPES for k in (kinds if isinstance(kinds, list) else [kinds])):
                return None  # an actor Update, a Follow...: other handlers' business
            object_id = url_of(obj.get("id")) if isinstance(obj.get("id"), str) else None
            if object_id is None:
                return None
            if not force_fetch and host_of(object_id) == host_of(sender):
                return obj
        else:
            object_id = url_of(obj)
            if object_id is None:
                return None
        return await self.fetcher.fetch_object(object_id)

    async def _store(self, sender: str, obj: Any, *, via: str, force_fetch: bool = False) -> None:
        document = await self._document(sender, obj, force_fetch=force_fetch)
        parsed = parse_remote_object(document)
        if parsed is None:
            return
        author = parsed.attributed_to or sender
        if host_of(author) != host_of(parsed.id):
            log.info("%s claims an author on another host (%s): ignored", parsed.id, author)
            return
        async with self.ctx.db.transaction() as session:
            recipients = await self._recipients(session, via, author, parsed)
            now = self.ctx.clock.now()
            for local_actor_id in recipients:
                await store_copy(session, local_actor_id, parsed, author, now)
            if recipients:
                await _list_event(session, parsed, author, now)
        log.info("stored %s %s for %d local spaces", parsed.type, parsed.id, len(recipients))

    async def _recipients(self, session: AsyncSession, via: str, author: str, parsed: ParsedObject) -> set[int]:
        """Local actors that follow the sender or the author, or whom a Note mentions or addresses."""
        followers = (await session.scalars(
            select(Following.local_actor_id).join(RemoteActor, RemoteActor.id == Following.remote_actor_id)
            .where(RemoteActor.ap_id.in_({via, author}), Following.state.in_(_FOLLOWING))
        )).all()
        found = set(followers)
        named = {self.ctx.urls.username_of(url) for url in (*parsed.mentions, *parsed.audience)}
        usernames = {name for name in named if name}
        if usernames:
            found |= set((await session.scalars(select(LocalActor.id).where(
                LocalActor.username.in_(usernames), LocalActor.deleted_at.is_(None)))).all())
        # Updates reach whoever already holds a copy, even after an unfollow.
        found |= set((await session.scalars(
            select(ReceivedObject.local_actor_id).where(ReceivedObject.object_id == parsed.id))).all())
        return found

    async def _delete(self, sender: str, obj: Any) -> None:
        object_id = url_of(obj)
        if object_id is None or object_id == sender or host_of(object_id) != host_of(sender):
            return  # an actor's own deletion is handled elsewhere; another host's objects are not its to delete
        await self._drop(object_id)

    async def _drop(self, object_id: str) -> None:
        async with self.ctx.db.transaction() as session:
            result = await session.execute(delete(ReceivedObject).where(ReceivedObject.object_id == object_id))
            await remove_event_listing(session, object_id)
        # A DELETE's result is a CursorResult; the ORM session's execute() is typed for SELECTs.
        copies = cast("CursorResult[Any]", result).rowcount
        if copies:
            log.info("deleted %s (%d copies)", object_id, copies)


async def _list_event(session: AsyncSession, parsed: ParsedObject, author: str, now: datetime) -> None:
    """The directory's copy of a received event (shown while its space is listed), with the space's provenance."""
    listed_via = await session.scalar(select(DirectoryListing.listed_via).where(DirectoryListing.actor_id == author))
    entry = remote_event_entry(parsed, author, listed_via=listed_via)
    if entry is not None:
        await upsert_event_listing(session, entry, now)

