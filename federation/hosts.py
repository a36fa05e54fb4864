"""Host health and signature scheme: an in-memory book of ``HostState`` written back in bulk.

A worker consults the book before every POST (skip hosts that are resting,
send one probe to a host whose rest is over) and updates it after every
answer; the dirty entries are upserted with the batch's other changes."""

from __future__ import annotations

import logging
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


@dataclass
class HostInfo:
    host: str
    signature_scheme: SignatureScheme | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    unavailable_until: datetime | None = None
    last_success_at: datetime | None = None
    dirty: bool = False

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
        """Refresh the named hosts from the database (other workers may have learned something)."""
        wanted = {host for host in hosts if not self._hosts.get(host, HostInfo(host)).dirty}
        if not wanted:
            return
        found = (await session.scalars(select(HostState).where(HostState.host.in_(wanted)))).all()
        for state in found:
            scheme = state.signature_scheme if state.signature_scheme in ("cavage", "rfc9421") else None
            self._hosts[state.host] = HostInfo(
                host=state.host,
                signature_scheme=scheme,  # type: ignore[arg-type]
                consecutive_failures=state.consecutive_failures,
                failing_since=state.failing_since,
                unavailable_until=state.unavailable_until,
                last_success_at=state.last_success_at,
            )
        for host in wanted - {state.host for state in found}:
            self._hosts.setdefault(host, HostInfo(host))

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
