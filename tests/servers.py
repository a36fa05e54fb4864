"""Real instances for tests: `create_app` served by uvicorn on a loopback
port, in a thread with its own event loop, each with its own database."""

from __future__ import annotations

import asyncio
import inspect
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from federation.clock import Clock
from federation.db import Database
from web.app import create_app
from web.config import Settings
from web.schema import all_metadata
from web.services import Services
from web.tokens import create_token

from .databases import fresh_database

__all__ = ["Instance", "ServerThread", "bound_socket", "drain", "run_instance"]


def bound_socket() -> socket.socket:
    """A listening loopback socket on a free port, handed to uvicorn as is (no race for the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    return sock


class ServerThread:
    """Any ASGI app served by uvicorn in a background thread."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test that started it
            self.error = exc

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve(sockets=[self.sock])

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"server failed to start: {self.error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 15 s")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


@dataclass
class Instance:
    """One running Espresso instance and a client for its admin API."""

    settings: Settings
    app: Starlette
    server: ServerThread
    token: str
    client: httpx.AsyncClient

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def domain(self) -> str:
        return self.settings.domain

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    async def run_worker_once(self) -> int:
        """One `Worker.run_once()` on the instance's own loop, with its services (handlers, clock).

        Its own loop, not the test's: the handlers hold the app's database engine and clients.
        The in-process worker may run at the same time; leases keep them apart."""
        assert self.server.loop is not None, "the server is not running"
        future = asyncio.run_coroutine_threadsafe(_run_worker_once(self.services), self.server.loop)
        return await asyncio.wrap_future(future)

    async def create_space(self, username: str, **fields: Any) -> dict[str, Any]:
        body = {"username": username, "name": fields.pop("name", username.title()),
                "address": fields.pop("address", {"country": "IT", "locality": "Racale"}), **fields}
        response = await self.client.post("/api/v1/spaces", json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data


async def _run_worker_once(services: Services) -> int:
    from web.background import build_worker

    async with build_worker(services) as worker:
        return await worker.run_once()


async def drain(*instances: Instance, max_rounds: int = 50) -> int:
    """Run every instance's queues until none has work due (a delivery may queue work on another)."""
    handled = 0
    for _ in range(max_rounds):
        counts = await asyncio.gather(*(instance.run_worker_once() for instance in instances))
        if not any(counts):
            return handled
        handled += sum(counts)
    raise RuntimeError(f"queues still busy after {max_rounds} rounds")


async def eventually(probe: Callable[[], Any], *instances: Instance, timeout: float = 20.0) -> Any:
    """Drain the instances' queues and ask again until ``probe()`` is truthy.

    For peers that answer asynchronously (a Fedify server, a remote process): our
    side's work still runs through `drain()`, only the waiting for them polls."""
    deadline = time.monotonic() + timeout
    while True:
        if instances:
            await drain(*instances)
        found = probe()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {getattr(probe, '__name__', probe)}")
        await asyncio.sleep(0.2)


@asynccontextmanager
async def run_instance(tmp_path: Path, name: str = "a", *, clock: Clock | None = None,
                       **overrides: Any) -> AsyncIterator[Instance]:
    """Start an instance on a free loopback port with a fresh database (and ``clock``, if given)."""
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    sock = bound_socket()
    domain = f"127.0.0.1:{sock.getsockname()[1]}"
    async with fresh_database(folder, name) as database_url:
        settings = Settings(
            domain=domain,
            scheme="http",
            database_url=database_url,
            data_dir=folder,
            allow_private_addresses=True,
            secret_key="test-secret",
            instance_name=f"Instance {name}",
            # Tests drain queues deterministically with `drain()`; an in-process worker
            # leasing rows at the same time would hide work from it. Pass worker="inprocess" to test that worker.
            worker="external",
        ).with_changes(**overrides)
        db = Database(database_url)
        async with db.engine.begin() as conn:
            await conn.run_sync(all_metadata().create_all)
        token = await create_token(db, _clock(), "tests")
        await db.dispose()
        app = create_app(settings, clock=clock)
        server = ServerThread(app, sock)
        server.start()
        client = httpx.AsyncClient(base_url=settings.base_url, headers={"Authorization": f"Bearer {token}"},
                                   timeout=30)
        try:
            yield Instance(settings=settings, app=app, server=server, token=token, client=client)
        finally:
            await client.aclose()
            server.stop()


def _clock() -> Any:
    from federation.clock import SystemClock

    return SystemClock()
