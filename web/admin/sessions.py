"""Signed-in sessions: a random id in an HttpOnly cookie, its hash in the database.

Every visitor of an admin form gets a session id (so the form can carry a
CSRF token); signing in issues a *new* id (no session fixation) and stores
it; signing out deletes it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from starlette.requests import Request
from starlette.responses import Response

from federation.clock import Clock
from federation.db import Database

from ..admin_models import AdminSession, Administrator

__all__ = ["SESSION_COOKIE", "SessionStore", "new_session_id", "session_id_of", "set_session_cookie"]

SESSION_COOKIE = "espresso_session"
SESSION_LIFETIME = timedelta(days=14)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def session_id_of(request: Request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE, "")
    # token_urlsafe(32) gives 43 characters; anything else was not issued here.
    return value if 40 <= len(value) <= 64 else None


def set_session_cookie(response: Response, session_id: str, *, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, session_id, max_age=int(SESSION_LIFETIME.total_seconds()), path="/",
                        httponly=True, secure=secure, samesite="lax")


class SessionStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def start(self, admin: Administrator) -> str:
        session_id = new_session_id()
        now = self.clock.now()
        async with self.db.transaction() as session:
            # Expired rows go whenever someone signs in: no separate sweeper needed.
            await session.execute(delete(AdminSession).where(AdminSession.expires_at < now))
            session.add(AdminSession(id_hash=_hash(session_id), administrator_id=admin.id, created_at=now,
                                     expires_at=now + SESSION_LIFETIME))
        return session_id

    async def administrator(self, session_id: str | None) -> Administrator | None:
        if session_id is None:
            return None
        async with self.db.sessions() as session:
            row = await session.get(AdminSession, _hash(session_id))
            if row is None or row.expires_at < self.clock.now():
                return None
            return (await session.execute(
                select(Administrator).where(Administrator.id == row.administrator_id)
            )).scalar_one_or_none()

    async def end(self, session_id: str | None) -> None:
        if session_id is None:
            return
        async with self.db.transaction() as session:
            await session.execute(delete(AdminSession).where(AdminSession.id_hash == _hash(session_id)))
