"""The SQLite driver (federation.sqlite_driver): what SQLAlchemy gets back is what the stock aiosqlite
adapter gives, transactions keep SQLite's write lock, and a statement costs one call on aiosqlite's thread.

Calls are counted at aiosqlite's `Connection._execute`, the one door to its thread that both our driver and
SQLAlchemy's adapter use (wrapped, not replaced: the call still runs)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from federation.db import Database

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String, unique=True))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the functions sent to aiosqlite's threads while the test runs."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield seen


async def _warm(db: Database) -> None:
    # Open the pooled connection first, so that connecting (and its PRAGMAs) is not counted.
    async with db.sessions() as session:
        await session.execute(text("SELECT 1"))


async def test_sqlite_driver__a_write_transaction_is_one_call_per_statement_and_one_commit(
    db: Database, calls: list[str]
) -> None:
    await _warm(db)
    calls.clear()
    async with db.transaction() as session:
        await session.execute(insert(notes).values(text="a"))
        await session.execute(insert(notes), [{"text": "b"}, {"text": "c"}])
    assert len(calls) == 3, calls  # BEGIN IMMEDIATE with the first INSERT, the executemany, COMMIT
    async with db.sessions() as session:
        assert (await session.scalars(select(notes.c.text).order_by(notes.c.id))).all() == ["a", "b", "c"]


async def test_sqlite_driver__a_transaction_that_runs_nothing_makes_no_call(db: Database, calls: list[str]) -> None:
    await _warm(db)
    calls.clear()
    async with db.transaction() as session:
        await session.connection()  # begun (SQLAlchemy's begin event has run), but no statement
    assert calls == []


async def test_sqlite_driver__write_transactions_hold_the_write_lock_from_their_first_statement(db: Database) -> None:
    statements: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection._conn.set_trace_callback(statements.append)

    event.listen(db.engine.sync_engine, "connect", trace)
    await db.engine.dispose()  # the fixture's connection was made before the listener
    async with db.transaction() as session:
        await session.execute(insert(notes).values(text="a"))
        await session.execute(insert(notes), [{"text": "b"}, {"text": "c"}])  # executemany: one statement
    async with db.sessions() as session:
        await session.execute(select(notes.c.id))
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT", "INSERT", "SELECT notes"))] == [
        "BEGIN IMMEDIATE", "INSERT INTO notes (text) VALUES ('a')", "INSERT INTO notes (text) VALUES ('b'), ('c')",
        "COMMIT", "BEGIN", "SELECT notes.id \nFROM notes",
    ]


async def test_sqlite_driver__rows_counts_and_ids_are_what_sqlalchemy_expects(db: Database) -> None:
    async with db.transaction() as session:
        returned = (await session.execute(
            insert(notes).returning(notes.c.id, notes.c.text, sort_by_parameter_order=True),
            [{"text": "x"}, {"text": "y"}, {"text": "z"}],
        )).all()
        assert [row.text for row in returned] == ["x", "y", "z"]
        single = await session.execute(insert(notes).values(text="w"))
        assert single.inserted_primary_key == (returned[-1].id + 1,)  # from the cursor's lastrowid
        changed = await session.execute(update(notes).where(notes.c.text.in_(["x", "y"])).values(text=notes.c.text + "!"))
        assert changed.rowcount == 2
        updated = await session.execute(update(notes).where(notes.c.id > 0).values(text=notes.c.text).returning(notes.c.id))
        assert len(updated.all()) == 4
    async with db.sessions() as session:
        result = await session.execute(select(notes.c.text).order_by(notes.c.id))
        assert result.fetchone() == ("x!",)
        assert result.fetchmany(2) == [("y!",), ("z",)]
        assert result.fetchall() == [("w",)]


async def test_sqlite_driver__a_failed_statement_rolls_back_and_the_connection_stays_usable(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(insert(notes).values(text="kept"))
    with pytest.raises(IntegrityError, match="UNIQUE constraint failed: notes.text"):
        async with db.transaction() as session:
            await session.execute(insert(notes).values(text="lost"))
            await session.execute(insert(notes).values(text="kept"))
    async with db.transaction() as session:
        await session.execute(insert(notes).values(text="after"))
    async with db.sessions() as session:
        assert (await session.scalars(select(notes.c.text).order_by(notes.c.id))).all() == ["kept", "after"]


async def test_sqlite_driver__streamed_results_still_work(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(insert(notes), [{"text": str(n)} for n in range(50)])
    async with db.engine.connect() as conn:
        stream = await conn.stream(select(notes.c.text).order_by(notes.c.id))
        assert [row.text async for row in stream] == [str(n) for n in range(50)]
        raw = await conn.get_raw_connection()
        assert raw.driver_connection._conn.in_transaction  # its BEGIN was sent before the streamed query


async def test_sqlite_driver__a_one_statement_transaction_is_one_call_and_atomic(db: Database, calls: list[str]) -> None:
    await _warm(db)
    calls.clear()
    async with db.transaction(one_statement=True) as session:
        await session.execute(insert(notes), [{"text": "a"}, {"text": "b"}])
    assert len(calls) == 1, calls  # BEGIN IMMEDIATE, the executemany and COMMIT together
    with pytest.raises(IntegrityError):
        async with db.transaction(one_statement=True) as session:
            await session.execute(insert(notes), [{"text": "c"}, {"text": "a"}])  # "c" goes in, then "a" fails
    async with db.sessions() as session:
        assert (await session.scalars(select(notes.c.text).order_by(notes.c.id))).all() == ["a", "b"]


async def test_sqlite_driver__a_one_statement_transaction_refuses_a_second_statement(db: Database) -> None:
    with pytest.raises(RuntimeError, match="one-statement transaction ran a second statement"):
        async with db.transaction(one_statement=True) as session:
            await session.execute(insert(notes).values(text="first"))
            await session.execute(insert(notes).values(text="second"))
    async with db.transaction() as session:  # the pooled connection is usable again, in a transaction
        await session.execute(insert(notes).values(text="third"))
        await session.execute(insert(notes).values(text="fourth"))
    async with db.sessions() as session:
        assert (await session.scalars(select(notes.c.text).order_by(notes.c.id))).all() == ["first", "third", "fourth"]


async def test_sqlite_driver__a_statement_cancelled_in_flight_is_rolled_back_after_it_ends(db: Database) -> None:
    # A statement queued for aiosqlite's thread still runs there after its task is cancelled. Here the
    # thread is kept busy so that the cancellation comes before the statement (and its BEGIN) has even
    # started: the rollback has to follow it through the thread's queue, or the pooled connection would
    # keep SQLite's write lock with nobody to release it.
    async def insert_behind_a_busy_thread() -> None:
        async with db.transaction() as session:
            raw = await (await session.connection()).get_raw_connection()
            driver_connection: Any = raw.driver_connection
            busy = asyncio.ensure_future(driver_connection._execute(time.sleep, 0.3))
            await session.execute(insert(notes).values(text="cancelled"))
            await busy

    task = asyncio.create_task(insert_behind_a_busy_thread())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):  # SQLite's busy timeout is 15 s: a lock left held shows as a timeout here
        for n in range(3):
            async with db.transaction() as session:
                await session.execute(insert(notes).values(text=f"after {n}"))
    async with db.sessions() as session:
        assert (await session.scalars(select(notes.c.text).order_by(notes.c.id))).all() == ["after 0", "after 1", "after 2"]
