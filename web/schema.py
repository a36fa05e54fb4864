"""Every table of every layer, gathered for migrations and tests.

A new module with models must be imported here, or Alembic will not see it."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

__all__ = ["MODEL_MODULES", "all_metadata"]

MODEL_MODULES = (
    "federation.models",
    "directory.models",
    "web.tokens",
    "directory.listing_models",
    "directory.search_index",
    "directory.event_models",
    "web.admin_models",
)


def all_metadata() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from federation.db import Base

    return Base.metadata
