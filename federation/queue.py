"""Leased claiming, shared by every queue table (deliveries, inbox activities, tasks).

A row is *due* when it is in its table's ready state, its ``next_attempt_at``
has come and nobody holds a live lease on it. Claiming sets ``locked_until``
and ``locked_by`` in one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)
RETURNING``: on PostgreSQL the inner select takes ``FOR UPDATE SKIP LOCKED``
so concurrent workers split the rows instead of waiting on each other; on
SQLite the write transaction is already exclusive (``BEGIN IMMEDIATE``).
Finishing only touches rows the worker still holds (``locked_by``), so a
worker whose lease expired cannot overwrite what the next holder did.

Wake-ups: ``nudge_after_commit`` lets an in-process worker start within
milliseconds of a commit that queued work, instead of at its next poll.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Row, Table, bindparam, event, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "QueueTable", "Waker", "claim", "finish", "finish_alike", "nudge", "nudge_after_commit", "register_waker",
]


@dataclass(frozen=True)
class QueueTable:
    """A table with the lifecycle columns `state`, `attempts`, `next_attempt_at`, `locked_until`, `locked_by`."""

    table: Table
    ready_state: str

    def column(self, name: str) -> Column[Any]:
        return self.table.c[name]


def due_condition(queue: QueueTable, now: datetime) -> ColumnElement[bool]:
    t = queue.table.c
    return (
        (t.state == queue.ready_state)
        & (t.next_attempt_at <= now)
        & or_(t.locked_until.is_(None), t.locked_until <= now)
    )


async def claim(
    session: AsyncSession,
    queue: QueueTable,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    where: Sequence[ColumnElement[bool]] = (),
    returning: Sequence[ColumnElement[Any]] | None = None,
) -> Sequence[Row[Any]]:
    """Lease up to ``limit`` due rows to ``owner`` and return them, oldest due first.

    ``returning``: the columns to give back (every column by default); they must include ``id`` and
    ``next_attempt_at``, which order the result (a hot path may return the latter as the driver gives it,
    without type processing: it sorts the same way)."""
    t = queue.table.c
    due = (
        select(t.id)
        .where(due_condition(queue, now), *where)
        .order_by(t.next_attempt_at, t.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(queue.table)
        .where(t.id.in_(due.scalar_subquery()))
        .values(locked_until=now + lease, locked_by=owner)
        .returning(*(queue.table.c if returning is None else returning))
    )
    # The session's connection: a Core statement on a plain Table needs none of the ORM's execution path.
    rows = (await (await session.connection()).execute(statement)).all()
    return sorted(rows, key=lambda row: (row.next_attempt_at, row.id))


async def finish(
    session: AsyncSession,
    queue: QueueTable,
    *,
    owner: str,
    changes: Sequence[Mapping[str, Any]],
    keep_when_none: Collection[str] = (),
) -> int:
    """Apply per-row changes in one executemany, releasing the lease; rows another worker holds are left alone.

    Every mapping must carry ``id`` and the same set of column names. Returns how many rows were
    updated, or -1 when the driver cannot tell for a batch. A column named in ``keep_when_none``
    (non-nullable ones only) keeps its stored value where the change gives None."""
    if not changes:
        return 0
    columns = [name for name in changes[0] if name != "id"]
    t = queue.table.c
    statement = (
        update(queue.table)
        .where(t.id == bindparam("_id"), t.locked_by == bindparam("_owner"))
        .values(
            {
                **{name: _new_value(t[name], name in keep_when_none) for name in columns},
                "locked_until": None,
                "locked_by": None,
            }
        )
    )
    params = [{"_id": change["id"], "_owner": owner, **{f"_v_{n}": change[n] for n in columns}} for change in changes]
    connection = await session.connection()
    result = await connection.execute(statement, params)
    if len(params) > 1 and not connection.dialect.supports_sane_multi_rowcount:
        return -1  # asyncpg's executemany does not say how many rows matched
    return int(result.rowcount or 0)


async def finish_alike(
    session: AsyncSession, queue: QueueTable, *, owner: str, ids: Sequence[int], values: Mapping[str, Any]
) -> int:
    """Apply one change to many rows in one ``UPDATE ... WHERE id IN (...)``, releasing the lease.

    For the common case (a batch of deliveries that all succeeded): far cheaper than ``finish``'s
    per-row parameters. ``values`` may hold SQL expressions (``attempts + 1``). Rows another worker
    holds are left alone; returns how many rows were updated."""
    if not ids:
        return 0
    t = queue.table.c
    statement = (
        update(queue.table)
        .where(t.id.in_(ids), t.locked_by == owner)
        .values({**values, "locked_until": None, "locked_by": None})
    )
    result = await (await session.connection()).execute(statement)
    return int(result.rowcount or 0)


def _new_value(column: Column[Any], keep_when_none: bool) -> ColumnElement[Any]:
    value = bindparam(f"_v_{column.name}", type_=column.type)
    return func.coalesce(value, column) if keep_when_none else value


class Waker:
    """An asyncio.Event of one worker's loop that any thread may set."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()

    def set(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.event.set()
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.event.set)


# Workers waiting for work, by database URL. Filled only by running workers.
_wakers: dict[str, set[Waker]] = {}
_wakers_lock = threading.Lock()


def register_waker(database_url: str) -> Waker:
    waker = Waker(asyncio.get_running_loop())
    with _wakers_lock:
        _wakers.setdefault(database_url, set()).add(waker)
    return waker


def unregister_waker(database_url: str, waker: Waker) -> None:
    with _wakers_lock:
        wakers = _wakers.get(database_url)
        if wakers is not None:
            wakers.discard(waker)
            if not wakers:
                del _wakers[database_url]


def nudge(database_url: str) -> None:
    """Wake every in-process worker of that database."""
    with _wakers_lock:
        wakers = list(_wakers.get(database_url, ()))
    for waker in wakers:
        waker.set()


def nudge_after_commit(session: AsyncSession, database_url: str) -> None:
    """Nudge once the caller's transaction commits: before that the worker would find nothing."""
    if session.info.get("_espresso_nudge"):
        return
    session.info["_espresso_nudge"] = True

    def after_commit(_session: Any) -> None:
        session.info.pop("_espresso_nudge", None)
        nudge(database_url)

    def after_rollback(_session: Any) -> None:
        session.info.pop("_espresso_nudge", None)

    event.listen(session.sync_session, "after_commit", after_commit, once=True)
    event.listen(session.sync_session, "after_soft_rollback", after_rollback, once=True)
