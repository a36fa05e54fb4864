"""A directory hub's own endpoints: the operator's `POST /api/v1/directory/follows` and the
`OrderedCollection` of listed spaces partner hubs read (`/users/directory/spaces`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory.hub import HUB_USERNAME, DirectoryHub

from ..auth import require_token
from ..bodies import read_json_object
from ..errors import ApiError
from ..negotiation import activity_response
from ..services import services_of

__all__ = ["routes"]


def _hub(request: Request) -> DirectoryHub:
    hub = services_of(request).hub
    if hub is None:
        raise ApiError(404, "not_found", "this instance is not a directory hub (ESPRESSO_DIRECTORY=1)")
    return hub


async def add_follow(request: Request) -> Response:
    await require_token(request)
    hub = _hub(request)
    data: dict[str, Any] = await read_json_object(request)
    target = data.get("target")
    if not isinstance(target, str) or not target.strip():
        raise ApiError(422, "invalid", "target: an @user@host handle, an actor URL or an instance URL is required",
                       fields=[{"field": "target", "message": "required"}])
    return JSONResponse(await hub.add(target), status_code=202)


async def listed_spaces(request: Request) -> Response:
    hub = _hub(request)
    raw = request.query_params.get("page")
    if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= 100_000):
        raise ApiError(400, "bad_request", "page: a page number from 1")
    return activity_response(await hub.spaces_collection(page=int(raw) if raw else None))


routes = [
    Route("/api/v1/directory/follows", add_follow, methods=["POST"]),
    Route(f"/users/{HUB_USERNAME}/spaces", listed_spaces, methods=["GET"]),
]
