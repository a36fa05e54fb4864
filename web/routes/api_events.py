"""Admin API: a space's events, news posts and what it received
(`/api/v1/spaces/{username}/events`, `/posts`, `/received`)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory.events import parse_event, parse_event_patch
from directory.posts import parse_post

from ..auth import require_token
from ..bodies import read_json_object
from ..errors import ApiError
from ..services import services_of

__all__ = ["routes"]


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ApiError(400, "bad_request", f"{name}: must be a positive integer")
    return int(raw)


def _event_id(request: Request) -> int:
    raw = request.path_params["event_id"]
    if not raw.isdigit():
        raise ApiError(404, "not_found", f"no event {raw!r}")
    return int(raw)


def _page(request: Request, items: list[dict[str, object]], next_cursor: int | None) -> JSONResponse:
    next_url = None
    if next_cursor is not None:
        params = {k: v for k, v in request.query_params.items() if k != "cursor"} | {"cursor": str(next_cursor)}
        next_url = f"{request.url.path}?{urlencode(params)}"
    return JSONResponse({"items": items, "next": next_url})


async def create_event(request: Request) -> Response:
    await require_token(request)
    username = request.path_params["username"]
    event = parse_event(await read_json_object(request))
    services = services_of(request)
    view = await services.events.create(username, event)
    services.documents.invalidate(f"actor:{username}")
    return JSONResponse(view.to_json(), status_code=201,
                        headers={"Location": f"/api/v1/spaces/{username}/events/{view.id}"})


async def list_events(request: Request) -> Response:
    await require_token(request)
    views, next_cursor = await services_of(request).events.list(
        request.path_params["username"], cursor=_int_param(request, "cursor"))
    return _page(request, [view.to_json() for view in views], next_cursor)


async def read_event(request: Request) -> Response:
    await require_token(request)
    view = await services_of(request).events.get(request.path_params["username"], _event_id(request))
    return JSONResponse(view.to_json())


async def update_event(request: Request) -> Response:
    await require_token(request)
    patch = parse_event_patch(await read_json_object(request))
    view = await services_of(request).events.update(request.path_params["username"], _event_id(request), patch)
    return JSONResponse(view.to_json())


async def delete_event(request: Request) -> Response:
    await require_token(request)
    await services_of(request).events.delete(request.path_params["username"], _event_id(request))
    return Response(status_code=204)


async def create_post(request: Request) -> Response:
    await require_token(request)
    username = request.path_params["username"]
    post = parse_post(await read_json_object(request))
    view = await services_of(request).posts.create(username, post)
    return JSONResponse(view.to_json(), status_code=201,
                        headers={"Location": f"/api/v1/spaces/{username}/posts/{view.id}"})


async def list_posts(request: Request) -> Response:
    await require_token(request)
    views, next_cursor = await services_of(request).posts.list(
        request.path_params["username"], cursor=_int_param(request, "cursor"))
    return _page(request, [view.to_json() for view in views], next_cursor)


def _post_id(request: Request) -> int:
    raw = request.path_params["post_id"]
    if not raw.isdigit():
        raise ApiError(404, "not_found", f"no post {raw!r}")
    return int(raw)


async def read_post(request: Request) -> Response:
    await require_token(request)
    view = await services_of(request).posts.get(request.path_params["username"], _post_id(request))
    return JSONResponse(view.to_json())


async def update_post(request: Request) -> Response:
    await require_token(request)
    post = parse_post(await read_json_object(request))
    view = await services_of(request).posts.update(request.path_params["username"], _post_id(request), post)
    return JSONResponse(view.to_json())


async def delete_post(request: Request) -> Response:
    await require_token(request)
    await services_of(request).posts.delete(request.path_params["username"], _post_id(request))
    return Response(status_code=204)


async def list_received(request: Request) -> Response:
    await require_token(request)
    items, next_cursor = await services_of(request).received.list(
        request.path_params["username"], kind=request.query_params.get("type") or None,
        cursor=_int_param(request, "cursor"))
    return _page(request, items, next_cursor)


_SPACE = "/api/v1/spaces/{username}"
routes = [
    Route(f"{_SPACE}/events", create_event, methods=["POST"]),
    Route(f"{_SPACE}/events", list_events, methods=["GET"]),
    Route(f"{_SPACE}/events/{{event_id}}", read_event, methods=["GET"]),
    Route(f"{_SPACE}/events/{{event_id}}", update_event, methods=["PATCH"]),
    Route(f"{_SPACE}/events/{{event_id}}", delete_event, methods=["DELETE"]),
    Route(f"{_SPACE}/posts", create_post, methods=["POST"]),
    Route(f"{_SPACE}/posts", list_posts, methods=["GET"]),
    Route(f"{_SPACE}/posts/{{post_id}}", read_post, methods=["GET"]),
    Route(f"{_SPACE}/posts/{{post_id}}", update_post, methods=["PATCH"]),
    Route(f"{_SPACE}/posts/{{post_id}}", delete_post, methods=["DELETE"]),
    Route(f"{_SPACE}/received", list_received, methods=["GET"]),
]
