"""Inbox endpoints: each actor's `/users/{username}/inbox` and the shared `/inbox`.

The handler only hands the raw request to `federation.inbox.Inbox`: the
signature is verified before the body is parsed, and 202 is answered once
the activity is durably stored. Errors map to 401/400 in `web/errors.py`;
the 1 MiB cap is the `BodySizeLimit` middleware's (413).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..services import Services, services_of

__all__ = ["InboxFastPath", "routes"]


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


class InboxFastPath:
    """Inbox POSTs answered ahead of Starlette's router, as the routes above would answer them.

    Installed as the innermost middleware (after `BodySizeLimit`, whose 413 still applies to the
    body read here). An inbox POST is the hot path of federation: skipping the route table, the
    Request and Response objects and the exception middleware's wrappers saves ~0.1 ms of a
    ~0.4 ms request (bench/inbox.py, bench/follows.py). Errors go to the app's own exception
    handlers (`web/errors.py`), anything unexpected up to Starlette's server-error handling."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        recipient = _inbox_of(scope)
        if recipient is False:
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        services: Services = app.state.services
        try:
            body = await _body(receive)
            raw_path = scope.get("raw_path") or scope["path"].encode()
            query = scope.get("query_string", b"")
            url = services.urls.base_url + raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
            await services.inbox.receive(method="POST", url=url, headers=Headers(scope=scope), body=body,
                                         recipient=recipient)  # type: ignore[arg-type]
        except Exception as exc:
            handler = _handler_for(app, exc)
            if handler is None:
                raise  # ServerErrorMiddleware: a 500, as for any route
            response = await handler(Request(scope), exc)
            await response(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 202, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def _inbox_of(scope: Scope) -> str | None | bool:
    """None for the shared inbox, the username for an actor's inbox, False for anything else."""
    if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
        return False
    path: str = scope["path"]
    if path == "/inbox":
        return None
    if path.startswith("/users/") and path.endswith("/inbox"):
        username = path[len("/users/") : -len("/inbox")]
        if username and "/" not in username:
            return username
    return False


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _handler_for(app: Any, exc: Exception) -> Any:
    handlers = app.exception_handlers
    for kind in type(exc).__mro__:
        if kind is Exception:
            return None  # the catch-all belongs to ServerErrorMiddleware
        if kind in handlers:
            return handlers[kind]
    return None
