"""Serialized documents kept in memory, so a hot actor GET costs no database
round trip and no JSON encoding: they are built once per change."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["DocumentCache"]


@dataclass(frozen=True)
class _Entry:
    body: bytes
    expires: float


class DocumentCache:
    """A small TTL cache of encoded bodies, invalidated by key on local changes.

    The TTL bounds staleness when another process (a worker, a second web
    process) changed what a document shows."""

    def __init__(self, ttl_seconds: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, _Entry] = {}

    async def get_or_build(self, key: str, build: Callable[[], Awaitable[bytes | None]]) -> bytes | None:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry.expires > now:
            return entry.body
        body = await build()
        if body is not None:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = _Entry(body, now + self.ttl)
        return body

    def invalidate(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
