"""SQLAlchemy's aiosqlite driver, with one thread hop per statement.

aiosqlite runs each SQLite call on the connection's own thread and hands the
answer back to the event loop. SQLAlchemy's adapter makes one such call to
open a cursor, one to execute, one to fetch the rows and one to close the
cursor; its commit and its rollback are one call each, and the pool rolls back
every connection it takes back. Each call is a hop between threads, and when
the loop is busy (an instance taking thousands of Follows a second) a hop
waits for the loop's current round: a write transaction of five statements
held SQLite's single write lock for 7-70 ms, most of it in these waits, and
every other writer queued behind it.

Here a statement is one call, run on aiosqlite's thread: execute, fetch every
row, read the description, row count and last row id, close. A transaction's
BEGIN travels with its first statement (`begin_with_next_statement`), a
transaction of one statement commits in that same call, and a commit or a
rollback with no transaction open (one that ran nothing, the pool's reset)
makes no call at all. Everything else is SQLAlchemy's own adapter (streamed
results too, with the pending BEGIN sent ahead of them). `Database` passes
`aiosqlite_dbapi()` as the engine's DBAPI module; nothing is registered
globally.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.util.concurrency import await_

__all__ = ["aiosqlite_dbapi"]

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: sqlite3.Connection, begin: str | None, commit: bool, operation: str, parameters: Any,
         many: bool) -> _Outcome:
    """On aiosqlite's thread: the transaction's BEGIN if it is still to come, the statement and everything
    SQLAlchemy reads from its cursor, then COMMIT when the transaction is this one statement."""
    cursor = connection.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        # rowcount after the fetch: with RETURNING, SQLite counts the rows as they are stepped through.
        outcome = description, rows, cursor.rowcount, cursor.lastrowid
        if commit:
            cursor.execute("COMMIT")
        return outcome
    except BaseException:
        if commit and connection.in_transaction:
            connection.rollback()  # SQLAlchemy will find nothing left to roll back
        raise
    finally:
        cursor.close()


class OneHopCursor:
    """A DBAPI cursor whose results are fetched whole on execution (what the stock adapter does too)."""

    server_side = False

    def __init__(self, adapt_connection: OneHopConnection) -> None:
        self._adapt_connection = adapt_connection
        self._connection: aiosqlite.Connection = adapt_connection._connection  # type: ignore[assignment]
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: collections.deque[Any] = collections.deque()

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._call(operation, parameters, many=False)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        self._call(operation, seq_of_parameters, many=True)

    def _call(self, operation: str, parameters: Any, *, many: bool) -> None:
        try:
            begin, commit = self._adapt_connection.take_pending()
            outcome = await_(self._in_thread(_run, begin, commit, operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description, rows, self.rowcount, self.lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _in_thread(self, function: Callable[..., _Outcome], *args: Any) -> _Outcome:
        async with self._adapt_connection._execute_mutex:
            # aiosqlite's own way to run a call on its thread (private, but what its public methods use
            # and what SQLAlchemy's adapter reaches for too); it raises if the connection is closed.
            outcome: _Outcome = await self._connection._execute(  # type: ignore[no-untyped-call]
                function, self._connection._conn, *args
            )
            return outcome

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's asyncio layer closes a cursor this way before buffering its rows: nothing to close."""

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass

    def nextset(self) -> None:
        return None

    def __enter__(self) -> OneHopCursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(self.arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class OneHopStreamingCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's own cursor for streamed results, sending the transaction's pending BEGIN first."""

    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        begin, commit = cast(OneHopConnection, self._adapt_connection).take_pending()
        if commit:
            raise RuntimeError("a one-statement transaction cannot stream its results")
        if begin is not None:
            connection = cast(aiosqlite.Connection, self._connection)
            await connection._execute(connection._conn.execute, begin)  # type: ignore[no-untyped-call]
        return await super()._execute_async(operation, parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_pending_begin", "_one_statement")
    _cursor_cls = OneHopCursor  # type: ignore[assignment]
    _ss_cursor_cls = OneHopStreamingCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)  # type: ignore[arg-type]
        self._pending_begin: str | None = None
        # None: an ordinary transaction; False: one statement, still to run; True: it ran and committed.
        self._one_statement: bool | None = None

    def begin_with_next_statement(self, begin: str, *, one_statement: bool = False) -> None:
        """Send ``begin`` (``BEGIN IMMEDIATE``, say) in the same call as the next statement: a transaction
        costs no call of its own, and one that runs no statement costs none at all. ``one_statement``:
        the COMMIT goes in that call too, and a second statement in the transaction is an error."""
        self._pending_begin = begin
        self._one_statement = False if one_statement else None

    def take_pending(self) -> tuple[str | None, bool]:
        """The BEGIN to send before the next statement, and whether to COMMIT after it."""
        if self._one_statement:
            raise RuntimeError("a one-statement transaction ran a second statement: it would not be atomic")
        begin, self._pending_begin = self._pending_begin, None
        commit = self._one_statement is False
        if commit:
            self._one_statement = True
        return begin, commit

    def _end(self) -> bool:
        """Forget the transaction's pending state; whether SQLite still has it open."""
        begun = self._pending_begin is None
        self._pending_begin, self._one_statement = None, None
        # Read between calls, never during one: SQLAlchemy uses a connection from one task at a time, and
        # when that task is cancelled while a call is still queued or running, it terminates the connection
        # (aiosqlite closes it after the call) instead of rolling back (tested). sqlite3_get_autocommit
        # only reads the connection's flag.
        connection: sqlite3.Connection | None = self._connection._connection
        return begun and connection is not None and connection.in_transaction

    def commit(self) -> None:
        if self._end():
            super().commit()

    def rollback(self) -> None:
        if self._end():
            super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        stock = super().connect(*arg, **kw)
        return OneHopConnection(self, cast(aiosqlite.Connection, stock._connection))


def aiosqlite_dbapi() -> OneHopDBAPI:
    """The DBAPI module to give `create_async_engine(url, module=...)` for a `sqlite+aiosqlite` URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
