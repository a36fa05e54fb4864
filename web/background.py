"""The background worker of an instance: in the web process (`ESPRESSO_WORKER=inprocess`) or
alone (`espresso worker`, any number of them against one PostgreSQL database)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from federation.context import FederationContext
from federation.worker import InboxHandler, TaskHandler, Worker

from .config import Settings
from .services import Services, build_services

__all__ = ["build_worker", "inprocess_worker", "run_worker_process"]

log = logging.getLogger(__name__)
_STOP_TIMEOUT = 15.0


def build_worker(services: Services, *, ctx: FederationContext | None = None, **options: Any) -> Worker:
    """A worker wired to the instance's handlers (the inbox processor and task handlers, when present)."""
    # getattr: the inbox processing and the task kinds are added to Services by their own modules.
    inbox_handler: InboxHandler | None = getattr(services, "inbox_handler", None) or getattr(
        services, "inbox_processor", None
    )
    task_handlers: Mapping[str, TaskHandler] = getattr(services, "task_handlers", None) or {}
    return Worker(ctx or services.ctx, inbox_handler=inbox_handler, task_handlers=task_handlers, **options)


@asynccontextmanager
async def inprocess_worker(services: Services) -> AsyncIterator[Worker | None]:
    """Run the worker beside the web app for the app's lifetime, unless an external one is configured."""
    if services.settings.worker != "inprocess":
        yield None
        return
    worker = build_worker(services)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="espresso-worker")
    try:
        yield worker
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, _STOP_TIMEOUT)
        except TimeoutError:
            log.warning("the worker did not stop within %.0f s; cancelled", _STOP_TIMEOUT)
        await worker.close()


async def run_worker_process(settings: Settings) -> int:
    """`espresso worker`: run until SIGINT or SIGTERM, finishing the POSTs already under way."""
    from .bootstrap import prepare_database

    await prepare_database(settings)
    services = build_services(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    worker = build_worker(services)
    try:
        await worker.run(stop)
    finally:
        await worker.close()
        await _close_services(services)
    return 0


async def _close_services(services: Services) -> None:
    remote_actors = getattr(services, "remote_actors", None)
    if remote_actors is not None and hasattr(remote_actors, "aclose"):
        await remote_actors.aclose()
    await services.db.dispose()
