"""Inbox endpoints: each actor's `/users/{username}/inbox` and the shared `/inbox`.

The handler only hands the raw request to `federation.inbox.Inbox`: the
signature is verified before the body is parsed, and 202 is answered once
the activity is durably stored. Errors map to 401/400 in `web/errors.py`;
the 1 MiB cap is the `BodySizeLimit` middleware's (413).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..services import services_of

__all__ = ["routes"]


async def _receive(request: Request, recipient: str | None) -> Response:
    services = services_of(request)
    body = await request.body()
    # The URL as peers address us (our configured public URL), not as a reverse proxy forwarded it.
    path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    query = request.url.query
    url = services.urls.base_url + path + (f"?{query}" if query and "?" not in path else "")
    await services.inbox.receive(method=request.method, url=url, headers=request.headers, body=body,
                                 recipient=recipient)
    return Response(status_code=202)


async def actor_inbox(request: Request) -> Response:
    return await _receive(request, request.path_params["username"])


async def shared_inbox(request: Request) -> Response:
    return await _receive(request, None)


routes = [
    Route("/users/{username}/inbox", actor_inbox, methods=["POST"]),
    Route("/inbox", shared_inbox, methods=["POST"]),
]
