"""CSRF tokens: an HMAC of the session id under the instance secret.

Nothing to store, and the token changes with the session id (so at sign-in too)."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["CSRF_FIELD", "CsrfFailed", "check_csrf", "csrf_token"]

CSRF_FIELD = "csrf_token"


class CsrfFailed(Exception):
    """A form came without the token of the session that showed it."""


def csrf_token(secret: str, session_id: str) -> str:
    return hmac.new(secret.encode("utf-8"), b"csrf:" + session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def check_csrf(secret: str, session_id: str | None, submitted: object) -> None:
    if session_id is None or not isinstance(submitted, str) or not submitted:
        raise CsrfFailed("missing CSRF token or session")
    if not hmac.compare_digest(csrf_token(secret, session_id), submitted):
        raise CsrfFailed("wrong CSRF token")
