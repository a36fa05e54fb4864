"""Errors of the coworking domain; the web layer maps them to HTTP statuses."""

from __future__ import annotations

from federation.errors import FederationError, NotFound

__all__ = ["Conflict", "DomainError", "Gone", "NotFound", "ValidationFailed"]


class DomainError(FederationError):
    """Root of the domain's errors (under the federation tree, so one mapping serves both)."""


class Conflict(DomainError):
    """The thing exists already (e.g. a username that is taken)."""


class Gone(DomainError):
    """The thing existed and was deleted."""


class ValidationFailed(DomainError):
    """Input that breaks the rules; `errors` names each field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors
