"""What the directory remembers about remote actors beyond their listing.

A listing (``directory.listing_models``) is rebuilt from an actor document and carries no
history; these rows keep what a rebuild must not lose: through which hub we learned
of a space (provenance survives its profile updates), a `Place` an actor published on
its own (software that has no `location` on actors), how we came to know it, and
the crawl's bookkeeping (when it was last walked, the last error).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from federation.db import Base, UTCDateTime

__all__ = ["NetworkActor"]

URL = String(2048)

# How we learned of an actor.
FOLLOWED = "followed"  # a local actor follows it
JOINED = "joined"  # it followed the hub to be listed
OPERATOR = "operator"  # an operator added it
CRAWLED = "crawled"  # found in the follow graph
HUB = "hub"  # a partner hub listed it


class NetworkActor(Base):
    __tablename__ = "directory_network_actors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[str] = mapped_column(URL, unique=True)
    source: Mapped[str] = mapped_column(String(16))
    # The hub or network actor that listed it to us; None when we know it first-hand.
    listed_via: Mapped[str | None] = mapped_column(URL, nullable=True)
    # A Place the actor published (Create(Place)), for actors whose document has no location.
    place: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    crawled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
