"""HTTP status mapping, in one place: every error the layers below raise
becomes a JSON `{"error", "detail"}` answer (or a plain page for browsers)."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from directory.errors import Conflict, Gone, ValidationFailed
from federation.errors import (
    FederationError,
    FetchError,
    InvalidActivity,
    NotFound,
    SignatureError,
)

from .pages import pages_of

__all__ = ["ApiError", "error_response", "exception_handlers"]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answer decided by a route handler."""

    def __init__(self, status: int, code: str, detail: str, *, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.fields = fields


def error_response(status: int, code: str, detail: str, fields: list[dict[str, str]] | None = None) -> JSONResponse:
    body: dict[str, object] = {"error": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return JSONResponse(body, status_code=status)


_STATUS_BY_ERROR: list[tuple[type[Exception], int, str]] = [
    (SignatureError, 401, "bad_signature"),
    (InvalidActivity, 400, "invalid_activity"),
    (Conflict, 409, "conflict"),
    (Gone, 410, "gone"),
    (NotFound, 404, "not_found"),
    (FetchError, 422, "remote_unreachable"),
]


async def _handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.detail, exc.fields)


async def _handle_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationFailed)
    return error_response(422, "invalid", str(exc), exc.errors)


async def _handle_federation_error(request: Request, exc: Exception) -> Response:
    for error_type, status, code in _STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return error_response(status, code, str(exc))
    log.exception("unmapped federation error", exc_info=exc)
    return error_response(500, "internal", "an internal error occurred")


def _wants_page(request: Request) -> bool:
    """Browsers on HTML pages get a page, in their language; API clients keep JSON."""
    return not request.url.path.startswith(("/api/", "/.well-known/", "/nodeinfo")) and \
        "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, status: int) -> Response:
    from .i18n import N_  # web.i18n imports nothing from here; kept local to stay a leaf

    pages = pages_of(request)
    translate = pages.gettext(request)
    title, message = {
        404: (N_("Not found"), N_("There is no such page.")),
        405: (N_("Not found"), N_("There is no such page.")),
    }.get(status, (N_("Something went wrong"), N_("The server could not finish this request. Please try again in a moment.")))
    response: Response = pages.render(request, "error.html", {"title": translate(title), "message": translate(message)},
                                      status_code=status)
    return response


async def _handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405) and _wants_page(request):
        return _error_page(request, exc.status_code)
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             413: "too_large", 415: "unsupported_media_type"}
    return error_response(exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail))


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    # Never a stack trace to the client; the log has it.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _wants_page(request):
        return _error_page(request, 500)
    return error_response(500, "internal", "an internal error occurred")


exception_handlers = {
    ApiError: _handle_api_error,
    ValidationFailed: _handle_validation,
    FederationError: _handle_federation_error,
    HTTPException: _handle_http_exception,
    Exception: _handle_unexpected,
}
