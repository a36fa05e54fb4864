"""Admin API: local spaces (`/api/v1/spaces`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory.spaces import parse_space, parse_space_patch

from ..auth import require_token
from ..bodies import read_json_object
from ..services import services_of

__all__ = ["routes"]


async def create_space(request: Request) -> Response:
    await require_token(request)
    space = parse_space(await read_json_object(request))
    view = await services_of(request).spaces.create(space)
    return JSONResponse(view.to_json(), status_code=201, headers={"Location": f"/api/v1/spaces/{space.username}"})


async def list_spaces(request: Request) -> Response:
    await require_token(request)
    views = await services_of(request).spaces.list()
    return JSONResponse({"items": [view.to_json() for view in views], "next": None})


async def read_space(request: Request) -> Response:
    await require_token(request)
    view = await services_of(request).spaces.get(request.path_params["username"])
    return JSONResponse(view.to_json())


async def update_space(request: Request) -> Response:
    await require_token(request)
    services = services_of(request)
    username = request.path_params["username"]
    patch = parse_space_patch(await read_json_object(request))
    view = await services.spaces.update(username, patch)
    services.documents.invalidate(f"actor:{username}")
    return JSONResponse(view.to_json())


async def delete_space(request: Request) -> Response:
    await require_token(request)
    services = services_of(request)
    username = request.path_params["username"]
    await services.spaces.delete(username)
    services.documents.invalidate(f"actor:{username}")
    return Response(status_code=204)


routes = [
    Route("/api/v1/spaces", create_space, methods=["POST"]),
    Route("/api/v1/spaces", list_spaces, methods=["GET"]),
    Route("/api/v1/spaces/{username}", read_space, methods=["GET"]),
    Route("/api/v1/spaces/{username}", update_space, methods=["PATCH"]),
    Route("/api/v1/spaces/{username}", delete_space, methods=["DELETE"]),
]
