"""The directory hub (``ESPRESSO_DIRECTORY=1``): a `Service` actor ``directory`` that lists spaces.

Ways in:
* a space follows the hub: the hub accepts (at once, or when an operator approves the
  request with ``ESPRESSO_DIRECTORY_MODERATED=1``) and follows back; the space is
  listed when that follow is accepted (``directory.network``);
* an operator adds a space, a partner hub or an instance (:meth:`DirectoryHub.add`);
* the crawl finds it (``directory.crawl``).

Way out: a space that joined by following the hub leaves by unfollowing it. The
`Undo(Follow)` makes the hub unfollow the space and unlist it in the same worker
cycle, and remembers it as ``left`` so neither the crawl nor a partner hub brings
it back; following the hub again, or an operator's add, lists it again. (A space
that a space of the hub's own instance follows stays in that instance's network
view, as any followed space does.)

Hub to hub: each hub serves the spaces it lists as an `OrderedCollection`
(``listedSpaces`` on its actor) and sends `Add`/`Remove` (object: the space's actor id,
target: that collection) to the hubs that follow it. A hub that learns of a space from
a partner records the partner as ``listed_via`` and follows the space itself, so its
updates and deletion reach it first-hand.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from federation.actors import create_local_actor, get_local_actor
from federation.context import FederationContext
from federation.delivery import enqueue_activity, new_activity_id
from federation.errors import FederationError, InvalidActivity
from federation.follows import FollowService
from federation.models import Follower, Following, LocalActor, RemoteActor
from federation.remote_actors import RemoteActors
from federation.vocab import AS2_CONTEXT

from .listing_models import DirectoryListing
from .network import NetworkListings, remember_actor
from .network_models import HUB, JOINED, OPERATOR, NetworkActor
from .search import ListingPolicy, visible_listing

__all__ = ["HUB_USERNAME", "LEFT", "LISTED_SPACES", "DirectoryHub", "hub_document_fields"]

log = logging.getLogger(__name__)

HUB_USERNAME = "directory"
LISTED_SPACES = "listedSpaces"
ESPRESSO_NS = "https://github.com/espresso-coworking/espresso/ns#"
COLLECTION_PAGE = 100
MAX_PARTNER_PAGES = 20
# NetworkActor.source of a space that unfollowed the hub: not to be followed again unasked.
LEFT = "left"


def spaces_collection_url(ctx: FederationContext) -> str:
    return f"{ctx.urls.actor(HUB_USERNAME)}/spaces"


def hub_document_fields(ctx: FederationContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """(context terms, document fields) the hub actor adds to a service actor document."""
    terms = {"espresso": ESPRESSO_NS, LISTED_SPACES: {"@id": f"espresso:{LISTED_SPACES}", "@type": "@id"}}
    return terms, {LISTED_SPACES: spaces_collection_url(ctx)}


def _listed_spaces_of(document: dict[str, Any]) -> str | None:
    value = document.get(LISTED_SPACES) or document.get(f"espresso:{LISTED_SPACES}")
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


class DirectoryHub:
    username = HUB_USERNAME

    def __init__(self, ctx: FederationContext, actors: RemoteActors, follows: FollowService,
                 network: NetworkListings, *, moderated: bool, policy: ListingPolicy | None = None) -> None:
        self.ctx = ctx
        self.actors = actors
        self.follows = follows
        self.network = network
        self.moderated = moderated
        self.policy = policy or ListingPolicy()
        network.observe(self._announce)

    def register_on(self, processor: Any) -> None:
        processor.register("Follow", self._followed_by)
        processor.register("Undo", self._unfollowed_by)
        processor.register("Accept", self._accepted)
        processor.register("Add", self._added)
        processor.register("Remove", self._removed)

    async def ensure_actor(self) -> None:
        async with self.ctx.db.transaction() as session:
            actor = await get_local_actor(session, HUB_USERNAME)
            if actor is None:
                await create_local_actor(session, username=HUB_USERNAME, actor_type="Service", clock=self.ctx.clock,
                                         manually_approves_followers=self.moderated)
            else:
                actor.manually_approves_followers = self.moderated

    # ---- following ----
    async def follow(self, actor_id: str, source: str, *, listed_via: str | None = None) -> dict[str, Any] | None:
        """The hub follows an actor (a space, a partner hub); None for our own actors."""
        if self.ctx.urls.is_local(actor_id):
            return None
        async with self.ctx.db.transaction() as session:
            await remember_actor(session, self.ctx, actor_id, source, listed_via=listed_via)
        return await self.follows.follow(HUB_USERNAME, actor_id)

    async def follow_back(self, follower_row_id: int) -> None:
        async with self.ctx.db.sessions() as session:
            row = await session.get(Follower, follower_row_id)
            actor_id = row.remote_actor.ap_id if row is not None and row.state == "accepted" else None
        if actor_id is not None:
            await self.follow(actor_id, JOINED)

    async def _followed_by(self, activity: Any) -> None:
        if activity.object_id != self.ctx.urls.actor(HUB_USERNAME):
            return
        async with self.ctx.db.sessions() as session:
            row_id = await session.scalar(
                select(Follower.id).join(RemoteActor, RemoteActor.id == Follower.remote_actor_id)
                .join(LocalActor, LocalActor.id == Follower.local_actor_id)
                .where(RemoteActor.ap_id == activity.actor, LocalActor.username == HUB_USERNAME))
        if row_id is not None:
            await self.follow_back(row_id)  # a pending request waits for the operator (follows.decide)

    async def _unfollowed_by(self, activity: Any) -> None:
        """`Undo(Follow)` of the hub by a space that joined: it leaves the directory."""
        if activity.object_type not in (None, "Follow"):
            return
        obj = activity.object
        followed = obj.get("object") if isinstance(obj, dict) else None
        if followed is not None and followed != self.ctx.urls.actor(HUB_USERNAME):
            return
        async with self.ctx.db.sessions() as session:
            memory = await session.scalar(select(NetworkActor).where(NetworkActor.actor_id == activity.actor))
            # The inbox's own Undo handling ran first: a follower row left means it still follows the hub.
            still = await session.scalar(
                select(Follower.id).join(RemoteActor, RemoteActor.id == Follower.remote_actor_id)
                .join(LocalActor, LocalActor.id == Follower.local_actor_id)
                .where(RemoteActor.ap_id == activity.actor, LocalActor.username == HUB_USERNAME))
        if memory is not None and memory.source == JOINED and still is None:
            await self.leave(activity.actor)

    async def leave(self, actor_id: str) -> None:
        """A space asked to leave: the hub unfollows it, unlists it and will not follow it again unasked."""
        async with self.ctx.db.transaction() as session:
            await remember_actor(session, self.ctx, actor_id, LEFT)  # a first-hand source: replaces the old one
        try:
            await self.follows.unfollow(HUB_USERNAME, actor_id)
        except FederationError:
            pass  # the hub did not follow it (any more)
        await self.network.reconcile(actor_id)
        log.info("%s left the directory (unfollowed the hub)", actor_id)

    async def add(self, target: str) -> dict[str, Any]:
        """An operator's `directory add`: an actor (space or hub) by handle or URL, else an instance URL."""
        target = target.strip()
        if not target:
            raise InvalidActivity("target: an @user@host handle, an actor URL or an instance URL is required")
        try:
            remote = await self.actors.resolve(target)
        except FederationError as exc:
            if not target.startswith(("http://", "https://")):
                raise InvalidActivity(f"target: {target} cannot be resolved: {exc}") from None
            from .crawl import instance_spaces  # the crawl knows how to read an instance

            found = await instance_spaces(self.ctx, self.actors, target)
            followed = [item for actor_id in found if (item := await self.follow(actor_id, OPERATOR))]
            return {"target": target, "kind": "instance", "followed": followed}
        item = await self.follow(remote.ap_id, OPERATOR)
        kind = "directory" if _listed_spaces_of(remote.document) else "actor"
        return {"target": target, "kind": kind, "followed": [item] if item else []}

    # ---- partner hubs ----
    async def _partner_collection(self, session: AsyncSession, actor_id: str) -> str | None:
        """The listedSpaces of a hub the hub follows (accepted), else None."""
        remote = await session.scalar(
            select(RemoteActor).join(Following, Following.remote_actor_id == RemoteActor.id)
            .join(LocalActor, LocalActor.id == Following.local_actor_id)
            .where(RemoteActor.ap_id == actor_id, LocalActor.username == HUB_USERNAME,
                   Following.state == "accepted"))
        return _listed_spaces_of(remote.document) if remote is not None else None

    async def _accepted(self, activity: Any) -> None:
        async with self.ctx.db.sessions() as session:
            collection = await self._partner_collection(session, activity.actor)
        if collection is not None:
            await self.import_partner(activity.actor, collection)

    async def import_partner(self, partner: str, collection: str) -> int:
        """Follow every space a partner hub lists, with the partner as provenance."""
        count = 0
        try:
            async for actor_id in self._collection_items(collection):
                await self._follow_listed(actor_id, partner)
                count += 1
        except FederationError as exc:
            log.info("the spaces of %s could not be read: %s", partner, exc)
        return count

    async def _collection_items(self, url: str) -> AsyncIterator[str]:
        document = await self.actors.fetch_object(url)
        page: Any = document.get("first", document)
        for _ in range(MAX_PARTNER_PAGES):
            if isinstance(page, str):
                page = await self.actors.fetch_object(page)
            if not isinstance(page, dict):
                return
            for item in page.get("orderedItems") or page.get("items") or []:
                item_id = item.get("id") if isinstance(item, dict) else item
                if isinstance(item_id, str) and item_id.startswith(("http://", "https://")):
                    yield item_id
            page = page.get("next")
            if page is None:
                return

    async def _follow_listed(self, actor_id: str, partner: str) -> None:
        if self.ctx.urls.is_local(actor_id):
            return
        async with self.ctx.db.sessions() as session:
            known = await session.scalar(select(NetworkActor.id).where(NetworkActor.actor_id == actor_id))
        if known is None:
            await self.follow(actor_id, HUB, listed_via=partner)

    async def _added(self, activity: Any) -> None:
        target = activity.document.get("target")
        target_id = target.get("id") if isinstance(target, dict) else target
        async with self.ctx.db.sessions() as session:
            collection = await self._partner_collection(session, activity.actor)
        if collection is None or target_id != collection or activity.object_id is None:
            return
        await self._follow_listed(activity.object_id, activity.actor)

    async def _removed(self, activity: Any) -> None:
        actor_id = activity.object_id
        if actor_id is None:
            return
        async with self.ctx.db.sessions() as session:
            memory = await session.scalar(select(NetworkActor).where(NetworkActor.actor_id == actor_id))
        if memory is None or memory.listed_via != activity.actor:
            return  # we know it first-hand, or from someone else
        try:
            await self.follows.unfollow(HUB_USERNAME, actor_id)
        except FederationError:
            pass
        await self.network.reconcile(actor_id)

    # ---- what the hub tells its partners ----
    async def _announce(self, session: AsyncSession, actor_id: str, listed: bool) -> None:
        hub = await get_local_actor(session, HUB_USERNAME)
        if hub is None:
            return
        followers = (await session.scalars(
            select(RemoteActor).join(Follower, Follower.remote_actor_id == RemoteActor.id)
            .where(Follower.local_actor_id == hub.id, Follower.state == "accepted", RemoteActor.gone_at.is_(None))
        )).all()
        inboxes = {r.shared_inbox or r.inbox for r in followers if _listed_spaces_of(r.document)}
        if not inboxes:
            return
        activity = {
            "@context": AS2_CONTEXT, "id": new_activity_id(self.ctx, HUB_USERNAME),
            "type": "Add" if listed else "Remove", "actor": self.ctx.urls.actor(HUB_USERNAME),
            "object": actor_id, "target": spaces_collection_url(self.ctx),
            "to": [self.ctx.urls.followers(HUB_USERNAME)],
        }
        await enqueue_activity(session, self.ctx, actor=hub, activity=activity, inboxes=sorted(inboxes),
                               in_outbox=False)

    async def spaces_collection(self, *, page: int | None) -> dict[str, Any]:
        """The listed spaces as an OrderedCollection (pages of COLLECTION_PAGE, by listing id)."""
        collection_id = spaces_collection_url(self.ctx)
        visible = visible_listing(self.ctx.clock.now(), self.policy)
        async with self.ctx.db.sessions() as session:
            if page is None:
                ids = (await session.scalars(select(DirectoryListing.id).where(visible))).all()
                return {"@context": AS2_CONTEXT, "id": collection_id, "type": "OrderedCollection",
                        "totalItems": len(ids), "first": f"{collection_id}?page=1"}
            rows = (await session.execute(
                select(DirectoryListing.actor_id).where(visible).order_by(DirectoryListing.id)
                .offset((page - 1) * COLLECTION_PAGE).limit(COLLECTION_PAGE + 1))).scalars().all()
        document: dict[str, Any] = {
            "@context": AS2_CONTEXT, "id": f"{collection_id}?page={page}", "type": "OrderedCollectionPage",
            "partOf": collection_id, "orderedItems": list(rows[:COLLECTION_PAGE]),
        }
        if len(rows) > COLLECTION_PAGE:
            document["next"] = f"{collection_id}?page={page + 1}"
        return document
