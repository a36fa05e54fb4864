"""Host health and signature scheme: an in-memory book of ``HostState`` written back in bulk.

A worker consults the book before every POST (skip hosts that are resting,
send one probe to a host whose rest is over) and updates it after every
answer; the dirty entries are upserted with the batch's other changes."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .models import HostState
from .retry_policy import RetryPolicy
from .signatures import SignatureScheme

__all__ = ["HostBook", "HostInfo"]

logger = logging.getLogger(__name__)

# A healthy host's last_success_at is refreshed at most this often (saves a write per batch).
_SUCCESS_REFRESH = timedelta(minutes=10)
# What other workers learned about a host is read again after this long (seconds), not on every claim.
_RELOAD_AFTER = 10.0


@dataclass
class HostInfo:
    host: str
    signature_scheme: SignatureScheme | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    unavailable_until: datetime | None = None
    last_success_at: datetime | None = None
    dirty: bool = False
    loaded_at: float = float("-inf")  # time.monotonic() of the last read from the database

    def row(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "signature_scheme": self.signature_scheme,
            "consecutive_failures": self.consecutive_failures,
            "failing_since": self.failing_since,
            "unavailable_until": self.unavailable_until,
            "last_success_at": self.last_success_at,
        }


class HostBook:
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._hosts: dict[str, HostInfo] = {}

    async def load(self, session: AsyncSession, hosts: Iterable[str]) -> None:
        """Refresh the named hosts from the database (other workers may have learned something), unless
        read in the last few seconds or changed here and not yet written."""
        now = time.monotonic()
        wanted = set()
        for host in hosts:
            info = self._hosts.get(host)
            if info is None or (not info.dirty and now - info.loaded_at >= _RELOAD_AFTER):
                wanted.add(host)
        if not wanted:
            return
        columns = HostState.__table__.c
        query = select(
            columns.host, columns.signature_scheme, columns.consecutive_failures, columns.failing_since,
            columns.unavailable_until, columns.last_success_at,
        ).where(columns.host.in_(wanted))
        for host, scheme, failures, failing_since, unavailable_until, last_success_at in await session.execute(query):
            self._hosts[host] = HostInfo(
                host=host,
                signature_scheme=scheme if scheme in ("cavage", "rfc9421") else None,
                consecutive_failures=failures,
                failing_since=failing_since,
                unavailable_until=unavailable_until,
                last_success_at=last_success_at,
                loaded_at=now,
            )
            wanted.discard(host)
        for host in wanted:  # not in the database yet
            self._hosts[host] = HostInfo(host, loaded_at=now)

    def get(self, host: str) -> HostInfo:
        return self._hosts.setdefault(host, HostInfo(host))

    def resting_until(self, host: str, now: datetime) -> datetime | None:
        """When a host taken out of rotation may be tried again, if that is still in the future."""
        until = self.get(host).unavailable_until
        return until if until is not None and until > now else None

    def needs_probe(self, host: str) -> bool:
        """A host that failed enough to be rested gets one request at a time until one succeeds."""
        return self.get(host).consecutive_failures >= self._policy.host_failure_threshold

    def record_success(self, host: str, now: datetime, scheme: SignatureScheme | None) -> None:
        info = self.get(host)
        stale = info.last_success_at is None or now - info.last_success_at >= _SUCCESS_REFRESH
        learned = scheme is not None and scheme != info.signature_scheme
        if info.consecutive_failures or info.unavailable_until or stale or learned:
            if info.unavailable_until is not None:
                logger.info("host %s is available again", host)
            info.consecutive_failures = 0
            info.failing_since = None
            info.unavailable_until = None
            info.last_success_at = now
            if learned:
                info.signature_scheme = scheme
            info.dirty = True

    def record_failure(self, host: str, now: datetime) -> None:
        """A network error or 5xx; enough of them in a row rest the host."""
        info = self.get(host)
        info.consecutive_failures += 1
        info.failing_since = info.failing_since or now
        if info.consecutive_failures >= self._policy.host_failure_threshold:
            info.unavailable_until = now + self._policy.host_pause_for(info.consecutive_failures)
            logger.warning(
                "host %s unavailable until %s after %d failures in a row",
                host,
                info.unavailable_until.isoformat(),
                info.consecutive_failures,
            )
        info.dirty = True

    async def flush(self, session: AsyncSession) -> None:
        dirty = [info for info in self._hosts.values() if info.dirty]
        if not dirty:
            return
        rows = [info.row() for info in dirty]
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(HostState)
        statement = statement.on_conflict_do_update(
            index_elements=[HostState.host],
            set_={name: statement.excluded[name] for name in rows[0] if name != "host"},
        )
        connection = await session.connection()
        await connection.execute(statement, rows)
        for info in dirty:
            info.dirty = False
