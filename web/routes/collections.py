"""An actor's ActivityPub collections: followers, following, outbox, featured."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.featured import featured_events
from federation.collections import collection_document

from ..errors import ApiError
from ..negotiation import activity_response
from ..services import services_of

__all__ = ["routes"]


def _collection(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        services = services_of(request)
        page = request.query_params.get("page", "") in ("true", "1")
        raw_max_id = request.query_params.get("max_id")
        if raw_max_id is not None and not raw_max_id.isdigit():
            raise ApiError(400, "bad_request", "max_id: must be a number")
        # Served to browsers too: a collection has no HTML page of its own.
        result = await collection_document(
            services.ctx, request.path_params["username"], name, page=page,
            max_id=int(raw_max_id) if raw_max_id is not None else None,
            featured_items=featured_events(services.events),
        )
        return activity_response(result.document, status_code=result.status)

    return handler


routes = [
    Route("/users/{username}/followers", _collection("followers"), methods=["GET"]),
    Route("/users/{username}/following", _collection("following"), methods=["GET"]),
    Route("/users/{username}/outbox", _collection("outbox"), methods=["GET"]),
    Route("/users/{username}/collections/featured", _collection("featured"), methods=["GET"]),
]
