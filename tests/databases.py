"""Fresh databases for tests: a SQLite file by default, or a new PostgreSQL
database per test when ESPRESSO_TEST_DATABASE_URL names a server."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str | None:
    """The PostgreSQL server the whole suite runs against, if any."""
    return os.environ.get("ESPRESSO_TEST_DATABASE_URL") or None


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    head, _, _ = url.rpartition("/")
    return f"{head}/{name}"


@asynccontextmanager
async def postgres_database(server_url: str) -> AsyncIterator[str]:
    """Create a throw-away database on the server, yield its URL, drop it."""
    name = f"espresso_test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(server_url, name)
    finally:
        admin = await asyncpg.connect(_asyncpg_dsn(server_url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def fresh_database(tmp_path: Path, label: str = "espresso") -> AsyncIterator[str]:
    server = postgres_server_url()
    if server is None:
        yield f"sqlite+aiosqlite:///{tmp_path / (label + '.db')}"
        return
    async with postgres_database(server) as url:
        yield url


async def require_postgres() -> str:
    """The PostgreSQL URL for tests that need PostgreSQL whatever the suite runs on.

    Skips with a clear message on a laptop without PostgreSQL; fails under CI."""
    url = os.environ.get("ESPRESSO_TEST_POSTGRES_URL") or postgres_server_url() or DEFAULT_POSTGRES_URL
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL is not reachable at {url} ({exc}); set ESPRESSO_TEST_POSTGRES_URL"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    await conn.close()
    return url
