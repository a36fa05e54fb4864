"""The delivery pipeline of one worker: claim in batches, send concurrently, finish in bulk.

Up to ``concurrency`` POSTs are in flight; more rows are claimed when half of
them are done, and outcomes are written back every ``batch_size`` rows or
``flush_interval`` seconds in one transaction (an executemany UPDATE, the
host book's upserts, dropped followers). A per-host semaphore caps what one
server gets at once; a host being probed after a rest gets one request at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Row, select, type_coerce
from sqlalchemy.types import NullType
from sqlalchemy.ext.asyncio import AsyncSession

from .context import FederationContext
from .deliverer import Attempt, Deliverer
from .delivery_signing import DeliveryPayload
from .delivery import DELIVERED, FAILED, PENDING, drop_gone_recipients
from .host_slots import HostSlots
from .hosts import HostBook
from .keys import load_private_key
from .models import Delivery, HostState, LocalActor, OutgoingActivity
from .queue import QueueTable, claim, finish, finish_alike
from .retry_policy import RetryPolicy, Verdict

__all__ = ["DELIVERIES", "DeliveryRunner"]

logger = logging.getLogger(__name__)

DELIVERIES = QueueTable(Delivery.__table__, PENDING)  # type: ignore[arg-type]

# What the sender needs of a claimed row, and no more. The two timestamps come back as the driver gives them
# (SQLite: text; asyncpg: a naive UTC datetime), without UTCDateTime's per-row processing: next_attempt_at
# only orders the batch and is never written back from here (None = keep, see `_change`), and created_at
# is converted by `_utc` only when a retry has to ask the policy whether to give up.
_c = DELIVERIES.table.c
_CLAIMED = (
    _c.id, _c.activity_id, _c.inbox_url, _c.host, _c.attempts, _c.last_status, _c.last_error,
    type_coerce(_c.next_attempt_at, NullType()).label("next_attempt_at"),
    type_coerce(_c.created_at, NullType()).label("created_at"),
)
del _c
_ACTIVITY_CACHE_SIZE = 512


@dataclass(frozen=True)
class _Outcome:
    row: Row[Any]
    attempt: Attempt | None  # None: not tried, the host is resting
    at: datetime
    defer_until: datetime | None = None


class DeliveryRunner:
    def __init__(
        self,
        ctx: FederationContext,
        deliverer: Deliverer,
        *,
        owner: str,
        policy: RetryPolicy,
        concurrency: int,
        per_host: int,
        batch_size: int,
        lease: timedelta,
        flush_interval: float = 0.1,
        grace: float = 10.0,
    ) -> None:
        self._ctx = ctx
        self._deliverer = deliverer
        self._owner = owner
        self._policy = policy
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._lease = lease
        self._flush_interval = flush_interval
        self._grace = grace
        self._hosts = HostBook(policy)
        self._slots = HostSlots(per_host)
        self._probes: dict[str, asyncio.Lock] = {}
        self._activities: dict[int, DeliveryPayload] = {}
        self._stopping = False

    async def drain(self) -> int:
        """Deliver everything due now; returns how many rows were handled."""
        self._stopping = False
        in_flight: set[asyncio.Task[_Outcome]] = set()
        finished: list[asyncio.Task[_Outcome]] = []
        outcomes: list[_Outcome] = []
        handled = 0
        exhausted = False
        last_flush = time.monotonic()
        wake = asyncio.Event()

        # One callback per task, instead of asyncio.wait() over the whole in-flight set after every
        # completion (which re-registers a callback on each of ~200 tasks every time: quadratic).
        def on_done(task: asyncio.Task[_Outcome]) -> None:
            in_flight.discard(task)
            finished.append(task)
            wake.set()

        try:
            while True:
                outcomes.extend(task.result() for task in finished)  # a bug in _send surfaces here
                finished.clear()
                claim = 0
                if not exhausted and len(in_flight) <= self._concurrency // 2:
                    claim = min(self._concurrency - len(in_flight), self._batch_size)
                due = (
                    len(outcomes) >= self._batch_size
                    or time.monotonic() - last_flush >= self._flush_interval
                    or not in_flight  # the last ones
                )
                if claim or (outcomes and due):
                    # Finishing and claiming share one transaction: one commit per round, not two.
                    written = len(outcomes)
                    jobs = await self._round(outcomes, claim)
                    handled += written
                    outcomes = []
                    last_flush = time.monotonic()
                    exhausted = exhausted or len(jobs) < claim
                    for row, activity in jobs:
                        task = asyncio.create_task(self._send(row, activity))
                        in_flight.add(task)
                        task.add_done_callback(on_done)
                    continue  # outcomes may have come in meanwhile
                if not in_flight and not finished:
                    break
                if not finished:
                    wake.clear()
                    try:
                        async with asyncio.timeout(self._flush_interval):
                            await wake.wait()
                    except TimeoutError:
                        pass
            return handled
        except asyncio.CancelledError:
            outcomes.extend(t.result() for t in finished if not t.cancelled() and t.exception() is None)
            await self._wind_down(in_flight, outcomes)
            raise

    async def _wind_down(self, in_flight: set[asyncio.Task[_Outcome]], outcomes: list[_Outcome]) -> None:
        """On cancellation, let the POSTs already sent finish and record them, so a restart does not repeat them."""
        self._stopping = True  # rows still waiting for a host slot are released untried
        if in_flight:
            done, late = await asyncio.wait(set(in_flight), timeout=self._grace)
            outcomes.extend(task.result() for task in done if not task.cancelled() and task.exception() is None)
            for task in late:
                task.cancel()  # their rows stay leased and are retried when the lease expires
        await self._round(outcomes, 0)

    async def _round(self, outcomes: list[_Outcome], limit: int) -> list[tuple[Row[Any], DeliveryPayload]]:
        """Write back ``outcomes`` and claim up to ``limit`` more rows, in one transaction."""
        if not outcomes and not limit:
            return []
        # Deliveries that succeeded (nearly all of them) are written by status in one UPDATE each; the
        # rest row by row. Their finished_at is the latest of the group: a round spans ~0.1 s at most.
        delivered: dict[int, tuple[list[int], datetime]] = {}
        succeeded: list[tuple[_Outcome, int]] = []
        others: list[_Outcome] = []
        for outcome in outcomes:
            attempt = outcome.attempt
            if attempt is not None and attempt.verdict is Verdict.DONE and attempt.status is not None:
                succeeded.append((outcome, attempt.status))
                ids, at = delivered.setdefault(attempt.status, ([], outcome.at))
                ids.append(outcome.row.id)
                if outcome.at > at:
                    delivered[attempt.status] = (ids, outcome.at)
            else:
                others.append(outcome)
        changes = [self._change(outcome) for outcome in others]
        gone = [o.row.inbox_url for o in others if o.attempt is not None and o.attempt.verdict is Verdict.GONE]
        rows: Sequence[Row[Any]] = ()
        now = self._ctx.clock.now()
        written = 0
        async with self._ctx.db.transaction() as session:
            for status, (ids, at) in delivered.items():
                written += await finish_alike(
                    session, DELIVERIES, owner=self._owner, ids=ids, values=_delivered(status, at)
                )
            if changes:
                taken = await finish(
                    session, DELIVERIES, owner=self._owner, changes=changes, keep_when_none=("next_attempt_at",)
                )
                written = -1 if taken < 0 else written + taken
            if outcomes:
                await self._hosts.flush(session)
            if gone:
                await drop_gone_recipients(session, gone, now)
            if limit:
                resting = select(HostState.host).where(HostState.unavailable_until > now)
                rows = await claim(
                    session,
                    DELIVERIES,
                    owner=self._owner,
                    now=now,
                    lease=self._lease,
                    limit=limit,
                    where=[DELIVERIES.column("host").not_in(resting)],
                    returning=_CLAIMED,
                )
        if rows:
            # Read after the commit, in a session of its own: on SQLite every writer waits while a write
            # transaction is open, and neither the activities nor the host states need the lease's lock
            # (a session that needs no query, the usual case once the caches are warm, costs nothing).
            async with self._ctx.db.sessions() as session:
                await self._hosts.load(session, {row.host for row in rows})
                await self._load_activities(session, {row.activity_id for row in rows})
        if outcomes:
            if 0 <= written < len(outcomes):
                logger.warning("%d deliveries had been taken over by another worker", len(outcomes) - written)
            for outcome, status in succeeded:
                logger.info("delivery %d to %s delivered (HTTP %s)", outcome.row.id, outcome.row.inbox_url, status)
            for outcome, change in zip(others, changes):
                _log(outcome, change)
        # Resolved now: the cache may be cleared while these are in flight.
        return [(row, self._activities[row.activity_id]) for row in rows]

    async def _load_activities(self, session: AsyncSession, ids: set[int]) -> None:
        missing = ids - self._activities.keys()
        if not missing:
            return
        if len(self._activities) + len(missing) > _ACTIVITY_CACHE_SIZE:
            self._activities.clear()
            missing = set(ids)
        query = (
            select(OutgoingActivity.id, OutgoingActivity.body, LocalActor.username, LocalActor.rsa_private_pem)
            .join(LocalActor, LocalActor.id == OutgoingActivity.local_actor_id)
            .where(OutgoingActivity.id.in_(missing))
        )
        for activity_id, body, username, pem in (await session.execute(query)).all():
            self._activities[activity_id] = DeliveryPayload(
                body=body.encode("utf-8"),
                key_id=self._ctx.urls.key_id(username),
                private_key=load_private_key(pem),
            )

    async def _send(self, row: Row[Any], activity: DeliveryPayload) -> _Outcome:
        host = row.host
        await self._slots.acquire(host)
        try:
            if self._hosts.needs_probe(host):
                async with self._probes.setdefault(host, asyncio.Lock()):
                    return await self._send_now(row, activity)
            return await self._send_now(row, activity)
        finally:
            self._slots.release(host)

    async def _send_now(self, row: Row[Any], activity: DeliveryPayload) -> _Outcome:
        now = self._ctx.clock.now()
        if self._stopping:
            return _Outcome(row, None, now)  # released untried, due as it was
        resting = self._hosts.resting_until(row.host, now)
        if resting is not None:
            return _Outcome(row, None, now, defer_until=resting)
        attempt = await self._deliverer.deliver(row.inbox_url, activity, self._hosts.get(row.host).signature_scheme)
        now = self._ctx.clock.now()
        if attempt.verdict is Verdict.DONE:
            self._hosts.record_success(row.host, now, attempt.learned_scheme)
        elif attempt.host_failure:
            self._hosts.record_failure(row.host, now)
        return _Outcome(row, attempt, now)

    def _change(self, outcome: _Outcome) -> dict[str, Any]:
        row, attempt, now = outcome.row, outcome.attempt, outcome.at
        change: dict[str, Any] = {
            "id": row.id,
            "state": PENDING,
            "attempts": row.attempts,
            "next_attempt_at": None,  # None: unchanged (finish keeps the stored value)
            "last_status": row.last_status,
            "last_error": row.last_error,
            "finished_at": None,
        }
        if attempt is None:
            change["next_attempt_at"] = outcome.defer_until
            return change
        change.update(attempts=row.attempts + 1, last_status=attempt.status, last_error=attempt.error)
        if attempt.verdict is Verdict.DONE:
            change.update(state=DELIVERED, finished_at=now)
        elif attempt.verdict is Verdict.RETRY and not self._policy.gives_up(created_at=_utc(row.created_at), now=now):
            change["next_attempt_at"] = self._policy.next_attempt(
                attempts=row.attempts + 1, now=now, retry_after=attempt.retry_after
            )
        else:
            change.update(state=FAILED, finished_at=now)
        return change


def _delivered(status: int, at: datetime) -> dict[str, Any]:
    column = DELIVERIES.table.c
    return {
        "state": DELIVERED,
        "attempts": column.attempts + 1,
        "last_status": status,
        "last_error": None,
        "finished_at": at,
    }


def _utc(value: datetime | str) -> datetime:
    """A timestamp column as the driver gave it (SQLite: text), as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


def _log(outcome: _Outcome, change: dict[str, Any]) -> None:
    row = outcome.row
    if outcome.attempt is None:
        until = change["next_attempt_at"]
        logger.info("delivery %d to %s put back until %s", row.id, row.inbox_url, until or "its due time, unchanged")
    elif change["state"] == DELIVERED:
        logger.info("delivery %d to %s delivered (HTTP %s)", row.id, row.inbox_url, change["last_status"])
    elif change["state"] == PENDING:
        logger.info(
            "delivery %d to %s will retry at %s (attempt %d): %s",
            row.id, row.inbox_url, change["next_attempt_at"].isoformat(), change["attempts"], change["last_error"],
        )
    else:
        logger.warning(
            "delivery %d to %s failed after %d attempts: %s",
            row.id, row.inbox_url, change["attempts"], change["last_error"],
        )
