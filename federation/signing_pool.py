"""Signing in a thread pool, in batches: the jobs asked for in one event-loop turn share a few executor calls.

RSA-2048 signing (~0.25 ms) runs outside the GIL in ``cryptography``, so a
pool of threads signs while the loop sends. One executor call per signature
costs a queue put, a thread wake-up and a self-pipe write back to the loop
per delivery; when the delivery runner starts a hundred POSTs at once, their
signatures are instead cut into at most ``threads`` chunks of at most
``chunk`` jobs, and each chunk comes back to the loop in one call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

__all__ = ["SigningPool"]

T = TypeVar("T")
_Job = tuple[Callable[[], Any], "asyncio.Future[Any]"]


class SigningPool:
    def __init__(self, executor: Executor, *, threads: int, chunk: int = 16) -> None:
        self._executor = executor
        self._threads = max(threads, 1)
        self._chunk = max(chunk, 1)
        self._pending: list[_Job] = []

    def run(self, work: Callable[[], T]) -> asyncio.Future[T]:
        """``work()`` in the pool; awaiting the future gives its result (or raises its exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((work, future))
        if len(self._pending) == 1:
            # After the tasks already runnable in this turn have added their jobs.
            loop.call_soon(self._dispatch, loop)
        return future

    def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        jobs, self._pending = self._pending, []
        size = min(self._chunk, -(-len(jobs) // self._threads))
        for start in range(0, len(jobs), size):
            chunk = jobs[start : start + size]
            self._executor.submit(_run_chunk, loop, chunk)


def _run_chunk(loop: asyncio.AbstractEventLoop, chunk: list[_Job]) -> None:
    results: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
    for work, future in chunk:
        try:
            results.append((future, work(), None))
        except Exception as exc:  # handed to the awaiting coroutine, which decides
            results.append((future, None, exc))
    try:
        loop.call_soon_threadsafe(_resolve, results)
    except RuntimeError:
        pass  # the loop is closed: nobody is waiting any more


def _resolve(results: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, value, error in results:
        if future.done():  # cancelled meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)
