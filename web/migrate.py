"""Database migrations, run programmatically (no alembic.ini to find)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["alembic_config", "current_revision", "downgrade", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str, *, output: io.StringIO | None = None) -> Config:
    config = Config(stdout=output) if output is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


async def _with_connection(database_url: str, action: str, *args: str) -> str:
    """Run an Alembic command on one async connection, inside a running loop."""
    output = io.StringIO()
    config = alembic_config(database_url, output=output)
    engine = create_async_engine(database_url)

    def run(connection: Connection) -> None:
        config.attributes["connection"] = connection
        getattr(command, action)(config, *args)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()
    return output.getvalue()


async def upgrade(database_url: str, revision: str = "head") -> None:
    await _with_connection(database_url, "upgrade", revision)


async def downgrade(database_url: str, revision: str = "base") -> None:
    await _with_connection(database_url, "downgrade", revision)


async def current_revision(database_url: str) -> str:
    return (await _with_connection(database_url, "current")).strip()


def upgrade_sync(database_url: str) -> None:
    asyncio.run(upgrade(database_url))
