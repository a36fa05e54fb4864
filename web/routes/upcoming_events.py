"""`GET /users/{username}/collections/upcoming-events`: FEP-8a8e's `upcomingEvents`.

Served as ActivityStreams JSON to browsers too, like the other collections: it has
no HTML page of its own (the space's profile lists the same events)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from directory.upcoming_events import upcoming_events_document

from ..errors import ApiError
from ..negotiation import activity_response
from ..services import services_of

__all__ = ["routes"]


async def upcoming_events(request: Request) -> Response:
    username = request.path_params["username"]
    found = await upcoming_events_document(services_of(request).events, username)
    if found is None:
        raise ApiError(404, "not_found", f"no space named {username!r}")
    return activity_response(found.document, status_code=found.status)


routes = [Route("/users/{username}/collections/upcoming-events", upcoming_events, methods=["GET"])]
