"""Admin API: instance-wide blocks (`GET/POST /api/v1/blocks`, `DELETE /api/v1/blocks/{id}`).

`POST` takes `{"actor": "@user@host" or URL}` or `{"domain": "example.org"}`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.blocks import BlockConflict, BlockView
from federation.errors import InvalidActivity

from ..auth import require_token
from ..bodies import read_json_object
from ..errors import ApiError
from ..services import Services, services_of

__all__ = ["add_block", "routes"]


async def add_block(services: Services, *, actor: str = "", domain: str = "") -> BlockView:
    """The one code path for the API and the admin page; raises `ApiError` naming the field."""
    actor, domain = actor.strip(), domain.strip()
    if bool(actor) == bool(domain):
        raise ApiError(422, "invalid", "actor or domain: give exactly one of them",
                       fields=[{"field": "actor" if not domain else "domain", "message": "give exactly one"}])
    field = "actor" if actor else "domain"
    try:
        if actor:
            return await services.blocks.block_actor(actor)
        return await services.blocks.block_domain(domain)
    except BlockConflict as exc:
        raise ApiError(409, "conflict", f"{field}: {exc}") from None
    except InvalidActivity as exc:
        message = str(exc).removeprefix(f"{field}: ")
        raise ApiError(422, "invalid", f"{field}: {message}", fields=[{"field": field, "message": message}]) from None


async def list_blocks(request: Request) -> Response:
    await require_token(request)
    views = await services_of(request).blocks.list()
    return JSONResponse({"items": [view.to_json() for view in views], "next": None})


async def create_block(request: Request) -> Response:
    await require_token(request)
    data: dict[str, Any] = await read_json_object(request)
    actor, domain = data.get("actor") or "", data.get("domain") or ""
    if not isinstance(actor, str) or not isinstance(domain, str):
        raise ApiError(422, "invalid", "actor or domain: must be a string")
    view = await add_block(services_of(request), actor=actor, domain=domain)
    return JSONResponse(view.to_json(), status_code=201, headers={"Location": f"/api/v1/blocks/{view.id}"})


async def delete_block(request: Request) -> Response:
    await require_token(request)
    await services_of(request).blocks.unblock(request.path_params["id"])
    return Response(status_code=204)


routes = [
    Route("/api/v1/blocks", list_blocks, methods=["GET"]),
    Route("/api/v1/blocks", create_block, methods=["POST"]),
    Route("/api/v1/blocks/{id:int}", delete_block, methods=["DELETE"]),
]
