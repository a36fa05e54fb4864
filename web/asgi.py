"""An ASGI entry point for running under any server (`uvicorn --factory web.asgi:app`),
with settings from the environment. Migrations are not applied here: run
`espresso db upgrade` first (the `espresso serve` command does both)."""

from __future__ import annotations

from starlette.applications import Starlette

from .app import create_app
from .config import load_settings
from .process_tuning import tune_server_process

__all__ = ["app"]


def app() -> Starlette:
    built = create_app(load_settings())
    tune_server_process()
    return built
