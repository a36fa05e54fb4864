"""Migrations match the models, on SQLite and on PostgreSQL: upgrade to head,
autogenerate finds nothing to change, downgrade to base leaves nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from web.migrate import current_revision, downgrade, upgrade
from web.schema import all_metadata, include_in_autogenerate

from .databases import postgres_database, require_postgres


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_in_autogenerate})
    return list(compare_metadata(context, all_metadata()))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _check_round_trip(url: str) -> None:
    await upgrade(url)
    assert "(head)" in await current_revision(url)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            assert set(all_metadata().tables) <= await connection.run_sync(_tables)
        await downgrade(url, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) <= {"alembic_version"}
        await upgrade(url)  # and back up again: downgrade left nothing behind
    finally:
        await engine.dispose()


async def test_migrations__round_trip_on_sqlite(tmp_path: Path) -> None:
    await _check_round_trip(f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}")


@pytest.mark.postgres
async def test_migrations__round_trip_on_postgresql() -> None:
    server = await require_postgres()
    async with postgres_database(server) as url:
        await _check_round_trip(url)
