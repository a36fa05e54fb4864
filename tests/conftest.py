from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from federation.db import Database
from web.schema import all_metadata

from .databases import fresh_database
from .servers import Instance, run_instance


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: SQLite, or PostgreSQL when ESPRESSO_TEST_DATABASE_URL is set."""
    async with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A database with every table created from the models."""
    db = Database(database_url)
    async with db.engine.begin() as conn:
        await conn.run_sync(all_metadata().create_all)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def instance(tmp_path: Path) -> AsyncIterator[Instance]:
    """One running instance on a loopback port."""
    async with run_instance(tmp_path, "a") as running:
        yield running
