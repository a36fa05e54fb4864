"""The coworking domain's tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation.db import Base, UTCDateTime
from federation.models import LocalActor

__all__ = ["SpaceRecord"]


class SpaceRecord(Base):
    """A coworking space hosted here; its actor and keys live in `local_actors`."""

    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_actor_id: Mapped[int] = mapped_column(ForeignKey("local_actors.id", ondelete="CASCADE"), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # The validated Space shape of the contract, as JSON.
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    icon: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    image: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    actor: Mapped[LocalActor] = relationship(lazy="joined")
