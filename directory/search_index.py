"""Full-text search over listings and events, chosen by dialect.

SQLite: FTS5 tables (`directory_listings_fts`, `directory_events_fts`) keyed by the
listing's rowid and kept in step by `directory.indexing` (through the functions
here), with the Porter stemmer and diacritics folded so "citta" finds "città".
Query terms become prefix queries, which also covers much of Italian inflection
the English stemmer does not know ("cowork" finds "coworking").

PostgreSQL: ``search_vector`` = ``to_tsvector('italian', search_text) ||
to_tsvector('english', search_text)``, stored and GIN-indexed, so both languages'
stemming applies; each query term must match in either language.
No prefix matching there: a stemmed prefix ("mar:*" from "mare") matches far too much.

The DDL is attached to the tables' ``after_create`` so ``create_all`` (tests) makes
it; :func:`ddl_statements` gives the same statements to migrations.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, cast

from sqlalchemy import DDL, ColumnElement, Select, Table, Text, event, func, literal, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from .listing_models import DirectoryEvent, DirectoryListing

__all__ = [
    "PG_VECTOR_SQL",
    "ddl_statements",
    "fold",
    "event_text_clause",
    "remove_event_text",
    "remove_space_text",
    "search_terms",
    "space_text_clause",
    "write_event_text",
    "write_space_text",
]

_TERM_RE = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 8
_SQLITE_TOKENIZER = "porter unicode61 remove_diacritics 2"

_SQLITE_DDL: dict[str, tuple[str, ...]] = {
    "directory_listings": (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS directory_listings_fts USING fts5("
        f"name, description, city, tags, tokenize='{_SQLITE_TOKENIZER}')",
    ),
    "directory_events": (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS directory_events_fts USING fts5("
        f"title, description, city, tags, tokenize='{_SQLITE_TOKENIZER}')",
    ),
}
PG_VECTOR_SQL = "to_tsvector('italian', search_text) || to_tsvector('english', search_text)"
_POSTGRES_DDL: dict[str, tuple[str, ...]] = {
    table: (
        # For a schema made before search_vector existed (a no-op once migration 0001 has it),
        # and its rows' vectors (a no-op on an empty table).
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_vector tsvector",
        f"UPDATE {table} SET search_vector = {PG_VECTOR_SQL} WHERE search_vector IS NULL",
        f"CREATE INDEX IF NOT EXISTS ix_{table}_fulltext ON {table} USING gin (search_vector)",
    )
    for table in ("directory_listings", "directory_events")
}
_SQLITE_DROP = {"directory_listings": "DROP TABLE IF EXISTS directory_listings_fts",
                "directory_events": "DROP TABLE IF EXISTS directory_events_fts"}


def ddl_statements(dialect: str, table: str) -> tuple[str, ...]:
    """The full-text DDL to run after creating ``table`` (for migrations)."""
    return (_SQLITE_DDL if dialect == "sqlite" else _POSTGRES_DDL if dialect == "postgresql" else {}).get(table, ())


def _ddl(statement: str) -> DDL:
    return DDL(statement)  # type: ignore[no-untyped-call]  # DDL.__init__ is unannotated in SQLAlchemy


def _attach_ddl() -> None:
    for table in (cast(Table, DirectoryListing.__table__), cast(Table, DirectoryEvent.__table__)):
        for statement in _SQLITE_DDL[table.name]:
            event.listen(table, "after_create", _ddl(statement).execute_if(dialect="sqlite"))
        for statement in _POSTGRES_DDL[table.name]:
            event.listen(table, "after_create", _ddl(statement).execute_if(dialect="postgresql"))
        event.listen(table, "after_drop", _ddl(_SQLITE_DROP[table.name]).execute_if(dialect="sqlite"))


_attach_ddl()  # DDL events are declarations about the tables, registered once with them.


def fold(value: str) -> str:
    """Lower case without diacritics ("Île" → "ile"), applied to indexed text and queries alike.

    FTS5 folds by itself; PostgreSQL would need the unaccent extension, which an
    expression index cannot use directly, so the text is folded before it is stored."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_terms(query: str) -> list[str]:
    """The words of a search box entry, folded, at most ``MAX_TERMS``."""
    return _TERM_RE.findall(fold(query))[:MAX_TERMS]


def _fts5_match(terms: list[str]) -> str:
    # Every term quoted (no FTS5 syntax from users) and made a prefix query; implicit AND.
    return " ".join(f'"{term}"*' for term in terms)


_ITALIAN: ColumnElement[str] = literal_column("'italian'")
_ENGLISH: ColumnElement[str] = literal_column("'english'")


def _pg_vector(column: ColumnElement[str]) -> ColumnElement[object]:
    # Configurations inline (not bound): the same SQL as PG_VECTOR_SQL.
    return func.to_tsvector(_ITALIAN, column).op("||")(func.to_tsvector(_ENGLISH, column))


def _pg_query(terms: list[str]) -> ColumnElement[object]:
    parts = [
        func.plainto_tsquery(_ITALIAN, literal(term)).op("||")(func.plainto_tsquery(_ENGLISH, literal(term)))
        for term in terms
    ]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("&&")(part)
    return combined


# SQLite: up to this many full-text matches, the query reads the matching rows and sorts
# them; beyond it, the page order's index is walked and each row is probed in the set of
# matches (about `limit` × rows / matches rows), which stays short exactly when matches
# are many. SQLite has no statistics on FTS5 to choose, so a bounded count decides.
# (PostgreSQL chooses by itself: search_vector has statistics and is cheap to check.)
SORT_MATCHES_UP_TO = 800


async def space_text_clause(session: AsyncSession, terms: list[str]) -> ColumnElement[bool]:
    """A WHERE clause: the listing matches every term."""
    return await _text_clause(session, terms, DirectoryListing.id, DirectoryListing.search_vector,
                              "directory_listings_fts")


async def event_text_clause(session: AsyncSession, terms: list[str]) -> ColumnElement[bool]:
    return await _text_clause(session, terms, DirectoryEvent.id, DirectoryEvent.search_vector, "directory_events_fts")


async def _text_clause(
    session: AsyncSession, terms: list[str], id_column: InstrumentedAttribute[int],
    vector: InstrumentedAttribute[Any], fts_table: str,
) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return vector.op("@@")(_pg_query(terms))
    matches: Select[tuple[int]] = select(literal_column("rowid")).select_from(text(fts_table)).where(
        text(f"{fts_table} MATCH :{fts_table}").bindparams(**{fts_table: _fts5_match(terms)}))
    found = await session.scalar(
        select(func.count()).select_from(matches.limit(SORT_MATCHES_UP_TO + 1).subquery()))
    if (found or 0) <= SORT_MATCHES_UP_TO:
        return id_column.in_(matches)
    # `+ 0` keeps SQLite from driving the query from the matches: it walks the page order.
    return (id_column + 0).in_(matches)


async def write_space_text(session: AsyncSession, listing: DirectoryListing, description: str) -> None:
    """Bring the full-text index in line with a listing (already flushed, so it has an id)."""
    city = " ".join(part for part in (listing.locality, listing.region) if part)
    listing.search_text = fold(" ".join(p for p in (listing.name, description, city, " ".join(listing.tags)) if p))
    if session.get_bind().dialect.name != "sqlite":
        listing.search_vector = _pg_vector(literal(listing.search_text, Text()))
        return
    await remove_space_text(session, listing.id)
    await session.execute(
        text("INSERT INTO directory_listings_fts(rowid, name, description, city, tags) VALUES (:id, :n, :d, :c, :t)"),
        {"id": listing.id, "n": listing.name, "d": description, "c": city, "t": " ".join(listing.tags)},
    )


async def remove_space_text(session: AsyncSession, listing_id: int) -> None:
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("DELETE FROM directory_listings_fts WHERE rowid = :id"), {"id": listing_id})


async def write_event_text(session: AsyncSession, row: DirectoryEvent, tags: list[str]) -> None:
    city = " ".join(part for part in (row.location_name, row.locality, row.region) if part)
    row.search_text = fold(" ".join(part for part in (row.title, row.summary_text, city, " ".join(tags)) if part))
    if session.get_bind().dialect.name != "sqlite":
        row.search_vector = _pg_vector(literal(row.search_text, Text()))
        return
    await remove_event_text(session, row.id)
    await session.execute(
        text("INSERT INTO directory_events_fts(rowid, title, description, city, tags) VALUES (:id, :n, :d, :c, :t)"),
        {"id": row.id, "n": row.title, "d": row.summary_text, "c": city, "t": " ".join(tags)},
    )


async def remove_event_text(session: AsyncSession, event_row_id: int) -> None:
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("DELETE FROM directory_events_fts WHERE rowid = :id"), {"id": event_row_id})
