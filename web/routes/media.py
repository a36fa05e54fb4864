"""Uploaded images: the admin API's `PUT .../icon|image` and `GET /media/{name}`."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..auth import require_token
from ..errors import ApiError
from ..media import IMAGE_KINDS, ImageRejected, media_dir, store_space_image
from ..services import services_of

__all__ = ["routes"]

_NAME_RE = re.compile(r"[A-Za-z0-9_-]{10,64}\.(png|jpg|webp)")
_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


async def put_image(request: Request) -> Response:
    await require_token(request)
    kind = request.path_params["kind"]
    if kind not in IMAGE_KINDS:
        raise ApiError(404, "not_found", "only /icon and /image take uploads")
    data = await _upload_bytes(request)
    try:
        value = await store_space_image(services_of(request), request.path_params["username"], kind, data)
    except ImageRejected as exc:
        raise ApiError(422, "invalid_image", f"{kind}: {exc.message}") from None
    return JSONResponse({kind: value})


async def _upload_bytes(request: Request) -> bytes:
    """The raw body, or the `file` part of a multipart form."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise ApiError(400, "bad_request", "file: a multipart part named 'file' is required")
            return await upload.read()
    return await request.body()


async def media_file(request: Request) -> Response:
    name = request.path_params["name"]
    match = _NAME_RE.fullmatch(name)
    path = media_dir(services_of(request)) / name
    if match is None or not path.is_file():
        raise ApiError(404, "not_found", "no such file")
    # Names are random and never reused, so the file can be cached for good.
    return FileResponse(path, media_type=_TYPES[match[1]], headers={
        "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"})


routes = [
    Route("/api/v1/spaces/{username}/{kind:str}", put_image, methods=["PUT"]),
    Route("/media/{name:str}", media_file, methods=["GET"]),
]
