"""full-text search structures (not described by the models)

SQLite: FTS5 virtual tables; PostgreSQL: GIN expression indexes with Italian
and English stemming. The statements come from `directory.search_index`, the
same ones `create_all` runs in tests.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from alembic import op

from directory.search_index import ddl_statements

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("directory_listings", "directory_events")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        for statement in ddl_statements(dialect, table):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "sqlite":
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
        elif dialect == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_fulltext")
