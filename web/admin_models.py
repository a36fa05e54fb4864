"""Tables of the web admin: administrators, which spaces they manage, their
signed-in sessions and failed sign-in attempts (for the lockout)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from federation.db import Base, UTCDateTime

__all__ = ["AdminSession", "Administrator", "AdministratorSpace", "LoginAttempt"]


class Administrator(Base):
    """A person who signs in to the web admin; `all_spaces` managers see every space."""

    __tablename__ = "administrators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stored lower-cased so sign-in is case-insensitive on SQLite and PostgreSQL alike.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    all_spaces: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AdministratorSpace(Base):
    """A space a manager of only some spaces may edit."""

    __tablename__ = "administrator_spaces"

    administrator_id: Mapped[int] = mapped_column(
        ForeignKey("administrators.id", ondelete="CASCADE"), primary_key=True
    )
    space_username: Mapped[str] = mapped_column(String(64), primary_key=True)


class AdminSession(Base):
    """A signed-in browser. Only a hash of the cookie's session id is stored,
    so a leaked database does not hand out live sessions."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    administrator_id: Mapped[int] = mapped_column(ForeignKey("administrators.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """A failed sign-in; recent failures per email and address lock sign-in for a while."""

    __tablename__ = "admin_login_attempts"
    __table_args__ = (Index("ix_admin_login_attempts_email_ip_at", "email", "ip", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
