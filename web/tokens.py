"""Admin API bearer tokens: random, shown once, stored as SHA-256 hashes.

A slow password hash is not needed here: the tokens carry 256 random bits,
so a fast hash cannot be brute-forced."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from federation.clock import Clock
from federation.db import Base, Database, UTCDateTime

__all__ = ["ApiToken", "create_token", "find_token"]

TOKEN_PREFIX = "esp_"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(db: Database, clock: Clock, name: str) -> str:
    """Store a new token and return it in clear: the only time it is seen."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction() as session:
        session.add(ApiToken(name=name, token_hash=_hash(token), created_at=clock.now()))
    return token


async def find_token(db: Database, token: str) -> ApiToken | None:
    async with db.sessions() as session:
        return (await session.execute(select(ApiToken).where(ApiToken.token_hash == _hash(token)))).scalar_one_or_none()
