"""The exception tree of the federation layer.

    FederationError
    ├── SignatureError          a request's signature is missing, malformed or wrong (HTTP 401)
    │   └── KeyResolutionError  the signing key could not be obtained
    ├── FetchError              a remote document could not be fetched
    │   ├── UnsafeAddressError  the URL resolves to a private/loopback address or a bad scheme
    │   ├── ResponseTooLarge    the body exceeded the size cap
    │   ├── BadContentType      the response is not ActivityStreams JSON
    │   └── RemoteGone          the remote answered 410 Gone
    ├── InvalidActivity         an activity or object breaks the origin or shape rules (HTTP 400)
    └── NotFound                a local resource does not exist (HTTP 404)

Every error carries a human-readable message saying what is wrong; the web
layer maps the classes to HTTP statuses in one place.
"""

from __future__ import annotations

__all__ = [
    "BadContentType",
    "FederationError",
    "FetchError",
    "InvalidActivity",
    "KeyResolutionError",
    "NotFound",
    "RemoteGone",
    "ResponseTooLarge",
    "SignatureError",
    "UnsafeAddressError",
]


class FederationError(Exception):
    """Root of every error raised by the federation layer."""


class SignatureError(FederationError):
    """The HTTP signature of a request cannot be trusted."""


class KeyResolutionError(SignatureError):
    """The key named by a signature could not be fetched or parsed."""


class FetchError(FederationError):
    """A remote document could not be fetched."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class UnsafeAddressError(FetchError):
    """The target is not a public http(s) address and private ones are not allowed."""


class ResponseTooLarge(FetchError):
    """The response body exceeded the configured cap."""


class BadContentType(FetchError):
    """The response is not ActivityStreams JSON."""


class RemoteGone(FetchError):
    """The remote answered 410 Gone: the resource was deleted."""


class InvalidActivity(FederationError):
    """An activity or object is malformed or breaks the origin rules."""


class NotFound(FederationError):
    """A local resource does not exist."""
