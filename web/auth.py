"""Bearer-token authentication of the admin API."""

from __future__ import annotations

from starlette.requests import Request

from .errors import ApiError
from .services import services_of
from .tokens import find_token

__all__ = ["require_token"]


async def require_token(request: Request) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Authorization: a 'Bearer <token>' header is required (espresso token create)")
    if await find_token(services_of(request).db, token.strip()) is None:
        raise ApiError(401, "unauthorized", "Authorization: the token is not valid")
