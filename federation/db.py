"""Database access shared by every layer: the declarative base, the engine and
its sessions, tuned for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from .sqlite_driver import OneHopConnection, aiosqlite_dbapi

__all__ = ["Base", "Database", "UTCDateTime"]

# Stable constraint names, so Alembic migrations name things the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases.

    SQLite has no time zone type and hands back naive values; storing naive UTC
    and re-attaching UTC on the way out keeps comparisons correct everywhere."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while the worker writes; NORMAL sync is durable
    # across process crashes, which is what the queue needs.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Reads (directory search): map the file instead of copying pages through read(), keep
    # 32 MiB of pages per connection (default 2 MiB), and sort in memory, not temp files.
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _begin_immediate(conn: Any) -> None:
    # A deferred SQLite transaction that later writes can fail with "database
    # is locked" without waiting; taking the write lock up front lets
    # busy_timeout queue concurrent writers instead.
    # Read-only sessions (`Database.sessions()`, never committed) begin deferred: in WAL mode they
    # then read a snapshot without taking the write lock, instead of queueing behind every writer
    # (a key lookup on the inbox path waited for the group commit and the worker's transactions).
    options = conn.get_execution_options()
    begin = "BEGIN" if options.get(_READS_ONLY) else "BEGIN IMMEDIATE"
    driver_connection = conn.connection.dbapi_connection
    if isinstance(driver_connection, OneHopConnection):  # no thread hop of its own (federation.sqlite_driver)
        driver_connection.begin_with_next_statement(begin, one_statement=bool(options.get(_ONE_STATEMENT)))
    else:
        conn.exec_driver_sql(begin)


_READS_ONLY = "espresso_reads_only"
_ONE_STATEMENT = "espresso_one_statement"


class Database:
    """The engine and session factory of one instance."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if url.startswith("postgresql"):
            # pool_pre_ping costs a round trip per checkout (~300 us wall, ~210 us CPU per transaction measured
            # on the 2-core bench machine) but stays: asyncpg does not reconnect a dead pooled connection, so
            # without it the first transaction after a database restart (or a killed backend) fails with
            # "connection is closed" in every process, before SQLAlchemy invalidates the pool.
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        elif url.startswith("sqlite+aiosqlite"):
            kwargs["module"] = aiosqlite_dbapi()  # one thread hop per statement (federation.sqlite_driver)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            # An executemany INSERT goes as multi-row VALUES statements (SQLAlchemy's "insertmanyvalues",
            # which it uses on SQLite only with RETURNING): SQLite runs each in one step where the
            # executemany steps once per row, and the driver hands Python's GIL to and from the busy
            # event loop at every step (a run of 150 Follows: 5 ms for 1 ms of work per INSERT).
            self.engine.sync_engine.dialect.use_insertmanyvalues_wo_returning = True
            event.listen(self.engine.sync_engine, "connect", _configure_sqlite)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        # `sessions()` is for reading (nothing in the code base commits one); `transaction()` writes.
        self.read_engine: AsyncEngine = self.engine.execution_options(**{_READS_ONLY: True})
        self.sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._one_statement_sessions = async_sessionmaker(
            self.engine.execution_options(**{_ONE_STATEMENT: True}), expire_on_commit=False
        )
        # SQLite has one writer: the write transactions of one process take turns on an asyncio lock
        # rather than in SQLite's busy handler, which sleeps (1, 2, 5 ... 100 ms) between retries.
        self._write_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def transaction(self, *, one_statement: bool = False) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on error.

        ``one_statement``: the transaction runs a single statement (a group commit, a queue claim). On
        SQLite it is then sent, begun and committed in one call to the database thread, which shortens
        the time the write lock is held; a second statement raises instead of running unprotected."""
        if not self.is_sqlite:
            async with self._write_sessions() as session, session.begin():
                yield session
            return
        loop = asyncio.get_running_loop()
        turn = self._write_turns.get(loop)
        if turn is None:
            turn = self._write_turns[loop] = asyncio.Lock()
        sessions = self._one_statement_sessions if one_statement else self._write_sessions
        async with turn, sessions() as session, session.begin():
            yield session

    async def create_all(self) -> None:
        """Create every table from the models (tests; production uses migrations)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()
