"""What every federation operation needs, gathered once per process."""

from __future__ import annotations

from dataclasses import dataclass

from .clock import Clock
from .db import Database
from .fetch import FetchPolicy
from .urls import LocalUrls

__all__ = ["FederationContext"]


@dataclass(frozen=True)
class FederationContext:
    db: Database
    clock: Clock
    urls: LocalUrls
    fetch_policy: FetchPolicy
    software_version: str = "0.1.0"
