"""`espresso serve`: migrations, then uvicorn running the app."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from .app import create_app
from .config import Settings
from .bootstrap import prepare_database, secret_key
from .process_tuning import tune_server_process

__all__ = ["serve"]

log = logging.getLogger(__name__)


def _default_port(settings: Settings) -> int:
    host_port = settings.domain.rsplit(":", 1)
    if len(host_port) == 2 and host_port[1].isdigit() and not settings.domain.endswith("]"):
        return int(host_port[1])
    return 8000


def serve(settings: Settings, *, host: str, port: int | None) -> int:
    if settings.domain_is_default:
        log.warning(
            "ESPRESSO_DOMAIN is not set: using %s, so this instance can only federate on this machine",
            settings.domain,
        )
    asyncio.run(prepare_database(settings))
    secret_key(settings)
    app = create_app(settings)
    tune_server_process()
    port = port or _default_port(settings)
    log.info("Espresso at %s (listening on %s:%d)", settings.base_url, host, port)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info", access_log=False)
    return 0
