"""Every table of every layer, gathered for migrations and tests.

A new module with models must be imported here, or Alembic will not see it."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

__all__ = ["MODEL_MODULES", "all_metadata", "include_in_autogenerate"]

MODEL_MODULES = (
    "federation.models",
    "directory.models",
    "web.tokens",
    "directory.event_models",
    "directory.listing_models",
    "directory.search_index",
    "web.admin_models",
    "directory.network_models",
)


def all_metadata() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from federation.db import Base

    return Base.metadata


def include_in_autogenerate(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave out of autogenerate what the models do not describe: the full-text
    search structures (SQLite FTS5 tables and their shadow tables, PostgreSQL
    expression indexes), made by migration 0002 from `directory.search_index`."""
    if name is None:
        return True
    if type_ == "table" and "_fts" in name:
        return False
    return not (type_ == "index" and name.endswith("_fulltext"))
