"""The protocol's tables: local actors and their keys, remote actors, follow
relations, the durable inbox, outgoing activities and their deliveries.

Every piece of work that leaves the process has an explicit lifecycle
(`state`, `next_attempt_at`, `locked_until`) so that any worker can lease it
and a killed worker's rows are picked up again when the lease expires."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime

__all__ = [
    "Block",
    "Delivery",
    "Follower",
    "Following",
    "HostState",
    "InboxActivity",
    "LocalActor",
    "OutgoingActivity",
    "RemoteActor",
    "Task",
]

URL = String(2048)


class LocalActor(Base):
    """An actor this instance hosts and signs for (a space, the instance, a directory)."""

    __tablename__ = "local_actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    actor_type: Mapped[str] = mapped_column(String(32))
    rsa_private_pem: Mapped[str] = mapped_column(Text)
    rsa_public_pem: Mapped[str] = mapped_column(Text)
    ed25519_private_pem: Mapped[str] = mapped_column(Text)
    ed25519_public_multibase: Mapped[str] = mapped_column(String(128))
    manually_approves_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RemoteActor(Base):
    """A cached copy of an actor on another server."""

    __tablename__ = "remote_actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ap_id: Mapped[str] = mapped_column(URL, unique=True)
    actor_type: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(255), index=True)
    preferred_username: Mapped[str | None] = mapped_column(String(255), nullable=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    inbox: Mapped[str] = mapped_column(URL)
    shared_inbox: Mapped[str | None] = mapped_column(URL, nullable=True)
    outbox: Mapped[str | None] = mapped_column(URL, nullable=True)
    followers_url: Mapped[str | None] = mapped_column(URL, nullable=True)
    following_url: Mapped[str | None] = mapped_column(URL, nullable=True)
    public_key_id: Mapped[str | None] = mapped_column(URL, nullable=True, index=True)
    public_key_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    blocked_us_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Follower(Base):
    """A remote actor following (or asking to follow) a local actor."""

    __tablename__ = "followers"
    __table_args__ = (UniqueConstraint("local_actor_id", "remote_actor_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_actor_id: Mapped[int] = mapped_column(ForeignKey("local_actors.id", ondelete="CASCADE"), index=True)
    remote_actor_id: Mapped[int] = mapped_column(ForeignKey("remote_actors.id", ondelete="CASCADE"), index=True)
    follow_activity_id: Mapped[str] = mapped_column(URL)
    state: Mapped[str] = mapped_column(String(16))  # pending | accepted | rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    remote_actor: Mapped[RemoteActor] = relationship(lazy="joined")


class Following(Base):
    """A local actor following (or asking to follow) a remote actor."""

    __tablename__ = "followings"
    __table_args__ = (UniqueConstraint("local_actor_id", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_actor_id: Mapped[int] = mapped_column(ForeignKey("local_actors.id", ondelete="CASCADE"), index=True)
    # What the operator asked for (`@user@host` or a URL), kept to report errors against.
    target: Mapped[str] = mapped_column(URL)
    remote_actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_actors.id", ondelete="CASCADE"), nullable=True, index=True
    )
    follow_activity_id: Mapped[str] = mapped_column(URL, unique=True)
    state: Mapped[str] = mapped_column(String(16))  # pending | accepted | rejected | failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    remote_actor: Mapped[RemoteActor | None] = relationship(lazy="joined")


class InboxActivity(Base):
    """An activity received on an inbox: stored once verified, processed by the worker."""

    __tablename__ = "inbox_activities"
    __table_args__ = (Index("ix_inbox_activities_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[str | None] = mapped_column(URL, unique=True, nullable=True)
    activity_type: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[str] = mapped_column(URL, index=True)
    signer_key_id: Mapped[str] = mapped_column(URL)
    recipient_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))  # queued | done | ignored | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Which worker holds the lease: a worker whose lease expired must not finish a row another one took.
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutgoingActivity(Base):
    """An activity a local actor published, serialized once for every delivery."""

    __tablename__ = "outgoing_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ap_id: Mapped[str] = mapped_column(URL, unique=True)
    local_actor_id: Mapped[int] = mapped_column(ForeignKey("local_actors.id", ondelete="CASCADE"), index=True)
    activity_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(URL, nullable=True, index=True)
    body: Mapped[str] = mapped_column(Text)
    # Public activities are listed in the actor's outbox; Accept/Reject/Follow are not.
    in_outbox: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Delivery(Base):
    """One POST of an outgoing activity to one remote inbox (shared when possible)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("activity_id", "inbox_url"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("outgoing_activities.id", ondelete="CASCADE"), index=True)
    inbox_url: Mapped[str] = mapped_column(URL)
    host: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Which worker holds the lease: a worker whose lease expired must not finish a row another one took.
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HostState(Base):
    """What we learned about a remote server: availability and signature scheme."""

    __tablename__ = "host_states"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    signature_scheme: Mapped[str | None] = mapped_column(String(16), nullable=True)  # rfc9421 | cavage
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unavailable_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Task(Base):
    """A generic piece of background work (fetch, refresh, crawl) with a lease."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    # At most one queued task per key (e.g. "refresh:<actor id>").
    dedupe_key: Mapped[str | None] = mapped_column(URL, unique=True, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # queued | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Which worker holds the lease: a worker whose lease expired must not finish a row another one took.
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Block(Base):
    """An instance-wide block (`federation.blocks`): one remote actor (`actor_id`) or a whole
    domain (`domain`, host[:port], covering its subdomains); exactly one of the two is set."""

    __tablename__ = "blocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[str | None] = mapped_column(URL, nullable=True, unique=True)
    domain: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
