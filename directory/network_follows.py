"""Follow relations as the directory sees them: the admin API's `FollowService`, plus
what a change of follows means for the listing (``federation`` knows nothing of it).

* the last local unfollow of a remote space unlists it (``NetworkListings.reconcile``);
* approving a follow request of the hub actor makes the hub follow the space back,
  which lists it once the space accepts (``DirectoryHub.follow_back``).
"""

from __future__ import annotations

from typing import Any

from federation.context import FederationContext
from federation.follows import FollowService
from federation.remote_actors import RemoteActors

from .network import NetworkListings

__all__ = ["ListingFollowService"]


class ListingFollowService(FollowService):
    def __init__(self, ctx: FederationContext, actors: RemoteActors, network: NetworkListings) -> None:
        super().__init__(ctx, actors)
        self.network = network
        self.hub: Any = None  # directory.hub.DirectoryHub on a hub (it needs this service to exist first)

    async def unfollow(self, username: str, target: str) -> None:
        async with self.ctx.db.sessions() as session:
            local = await self._local(session, username)
            actor_ids = [row.remote_actor.ap_id for row in await self._matching(session, local, target.strip())
                         if row.remote_actor is not None]
        await super().unfollow(username, target)
        for actor_id in actor_ids:
            await self.network.reconcile(actor_id)

    async def decide(self, username: str, follower_id: int, *, accept: bool) -> dict[str, Any]:
        item = await super().decide(username, follower_id, accept=accept)
        if accept and self.hub is not None and username == self.hub.username:
            await self.hub.follow_back(follower_id)
        return item
