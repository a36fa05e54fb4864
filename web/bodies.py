"""Reading request bodies: JSON objects only, with a clear error otherwise."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from .errors import ApiError

__all__ = ["read_json_object"]


async def read_json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        raise ApiError(400, "bad_request", "body: a JSON object is required")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "bad_json", f"body: malformed JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "body: a JSON object is required")
    return data
