"""An ASGI entry point for running under any server (`uvicorn --factory web.asgi:app`),
with settings from the environment. Migrations are not applied here: run
`espresso db upgrade` first (the `espresso serve` command does both)."""

from __future__ import annotations

from starlette.applications import Starlette

from .app import create_app
from .config import load_settings

__all__ = ["app"]


def app() -> Starlette:
    return create_app(load_settings())
