"""Content negotiation between browsers (HTML) and ActivityPub peers (JSON)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from federation.vocab import is_activity_json

__all__ = ["ACTIVITY_CONTENT_TYPE", "activity_response", "json_bytes_response", "wants_activity_json"]

ACTIVITY_CONTENT_TYPE = "application/activity+json; charset=utf-8"


def wants_activity_json(request: Request) -> bool:
    """True when the Accept header names ActivityStreams JSON (either spelling).

    Browsers send text/html first; peers send activity+json or the ld+json
    profile. A plain `application/json` is treated as a peer too (curl users)."""
    accept = request.headers.get("accept", "")
    for item in accept.split(","):
        if is_activity_json(item):
            return True
    return "application/json" in accept and "text/html" not in accept


def json_bytes_response(body: bytes, *, status_code: int = 200, content_type: str = ACTIVITY_CONTENT_TYPE,
                        cache_seconds: int = 0) -> Response:
    headers = {"Vary": "Accept"}
    if cache_seconds:
        headers["Cache-Control"] = f"max-age={cache_seconds}, public"
    return Response(body, status_code=status_code, media_type=content_type, headers=headers)


def activity_response(document: dict[str, Any], *, status_code: int = 200) -> Response:
    return json_bytes_response(orjson.dumps(document), status_code=status_code)
