"""Admin API: follow relations of a local space (contract: following, followers, follow-requests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.follows import Page

from ..auth import require_token
from ..bodies import read_json_object
from ..errors import ApiError
from ..services import services_of

__all__ = ["routes"]


def _cursor(request: Request) -> int | None:
    raw = request.query_params.get("cursor")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ApiError(400, "bad_request", "cursor: not a cursor this API returned")
    return int(raw)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise ApiError(400, "bad_request", "limit: a number from 1 to 200")
    return int(raw)


def _page_response(request: Request, page: Page) -> Response:
    next_url = str(request.url.include_query_params(cursor=page.next_cursor)) if page.next_cursor else None
    return JSONResponse({"items": page.items, "next": next_url})


async def follow(request: Request) -> Response:
    await require_token(request)
    data: dict[str, Any] = await read_json_object(request)
    target = data.get("target")
    if not isinstance(target, str) or not target.strip():
        raise ApiError(422, "invalid", "target: an @user@host handle or an actor URL is required",
                       fields=[{"field": "target", "message": "required"}])
    item = await services_of(request).follows.follow(request.path_params["username"], target)
    return JSONResponse(item, status_code=202)


async def unfollow(request: Request) -> Response:
    await require_token(request)
    target = request.query_params.get("target", "").strip()
    if not target:
        raise ApiError(400, "bad_request", "target: the query parameter is required")
    await services_of(request).follows.unfollow(request.path_params["username"], target)
    return Response(status_code=202)


async def list_following(request: Request) -> Response:
    await require_token(request)
    page = await services_of(request).follows.following(
        request.path_params["username"], cursor=_cursor(request), limit=_limit(request)
    )
    return _page_response(request, page)


async def list_followers(request: Request) -> Response:
    await require_token(request)
    page = await services_of(request).follows.followers(
        request.path_params["username"], cursor=_cursor(request), limit=_limit(request)
    )
    return _page_response(request, page)


async def list_follow_requests(request: Request) -> Response:
    await require_token(request)
    page = await services_of(request).follows.followers(
        request.path_params["username"], cursor=_cursor(request), pending_only=True, limit=_limit(request)
    )
    return _page_response(request, page)


def _decide(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        await require_token(request)
        raw = request.path_params["id"]
        item = await services_of(request).follows.decide(request.path_params["username"], raw, accept=accept)
        return JSONResponse(item)

    return handler


_SPACE = "/api/v1/spaces/{username}"
routes = [
    Route(f"{_SPACE}/following", follow, methods=["POST"]),
    Route(f"{_SPACE}/following", unfollow, methods=["DELETE"]),
    Route(f"{_SPACE}/following", list_following, methods=["GET"]),
    Route(f"{_SPACE}/followers", list_followers, methods=["GET"]),
    Route(f"{_SPACE}/follow-requests", list_follow_requests, methods=["GET"]),
    Route(f"{_SPACE}/follow-requests/{{id:int}}/accept", _decide(True), methods=["POST"]),
    Route(f"{_SPACE}/follow-requests/{{id:int}}/reject", _decide(False), methods=["POST"]),
]
