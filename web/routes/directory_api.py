"""Public directory API: `GET /api/v1/directory/spaces` and `/events` (no token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory.listings import DirectoryListings
from directory.search import ListingPolicy
from directory.search_params import InvalidParameter

from ..bootstrap import secret_key
from ..errors import ApiError
from ..services import services_of

__all__ = ["listings_of", "next_url", "query_params", "routes"]


def listings_of(request: Request) -> DirectoryListings:
    """The directory reader of this app, made on first use (it needs the secret key for cursors)."""
    listings: DirectoryListings | None = getattr(request.app.state, "directory_listings", None)
    if listings is None:
        services = services_of(request)
        settings = services.settings
        policy = ListingPolicy(hide_unreachable_after=timedelta(days=settings.directory_hide_unreachable_days))
        listings = DirectoryListings(services.ctx, secret_key(settings), policy)
        request.app.state.directory_listings = listings
    return listings


def query_params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getlist(key) for key in request.query_params.keys()}


def next_url(request: Request, cursor: str | None) -> str | None:
    """The same request with the next page's cursor (absolute, as the contract's `next`)."""
    if cursor is None:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    base = f"{services_of(request).settings.base_url}{request.url.path}"
    return f"{base}?{urlencode([*params, ('cursor', cursor)])}"


def invalid_parameter(exc: InvalidParameter) -> ApiError:
    return ApiError(400, "invalid_parameter", str(exc))


def _public(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def wrapped(request: Request) -> Response:
        try:
            response = await handler(request)
        except InvalidParameter as exc:
            raise invalid_parameter(exc) from None
        # Any site may embed the directory; nothing here depends on who asks.
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Cache-Control"] = "public, max-age=60"
        return response

    return wrapped


@_public
async def directory_spaces(request: Request) -> Response:
    listings = listings_of(request)
    page = await listings.spaces(listings.space_query(query_params(request)))
    return JSONResponse({"items": [hit.to_json() for hit in page.items], "next": next_url(request, page.next_cursor)})


@_public
async def directory_events(request: Request) -> Response:
    listings = listings_of(request)
    page = await listings.events(listings.event_query(query_params(request)))
    return JSONResponse({"items": [hit.to_json() for hit in page.items], "next": next_url(request, page.next_cursor)})


routes = [
    Route("/api/v1/directory/spaces", directory_spaces, methods=["GET"]),
    Route("/api/v1/directory/events", directory_events, methods=["GET"]),
]


def page_query(params: dict[str, list[str]]) -> str:
    """Query string of a page's filters, for links that keep them."""
    return urlencode([(k, v) for k, values in params.items() if k != "cursor" for v in values])
