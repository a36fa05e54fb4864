"""The background worker: deliveries, inbox activities and generic tasks, all leased.

``run_once()`` claims and finishes everything due now (tests drain with it);
``run(stop)`` loops, woken within milliseconds by ``enqueue_*`` in the same
process and polling otherwise (other processes, retries coming due). Any
number of workers may share a PostgreSQL database; a killed worker's rows are
claimed again once their lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar, runtime_checkable

from .context import FederationContext
from .deliverer import Deliverer
from .delivery_client import DeliveryClient
from .delivery_runner import DeliveryRunner
from .fetch import AddressFilter
from .models import InboxActivity, Task
from .queue import QueueTable, claim, finish, finish_alike, register_waker, unregister_waker
from .retry_policy import RetryPolicy

__all__ = ["BatchInboxHandler", "InboxHandler", "TaskHandler", "Worker"]

logger = logging.getLogger(__name__)

InboxHandler = Callable[[InboxActivity], Awaitable[None]]


@runtime_checkable
class BatchInboxHandler(Protocol):
    """An inbox handler that takes a claimed batch at once (``InboxProcessor``): it must apply the rows in
    order, and return for each None (done) or the exception that has the row retried."""

    async def __call__(self, row: InboxActivity) -> None: ...

    async def process_batch(self, rows: Sequence[InboxActivity]) -> list[Exception | None]: ...

TaskHandler = Callable[[Task], Awaitable[None]]
_Item = TypeVar("_Item", InboxActivity, Task)

INBOX = QueueTable(InboxActivity.__table__, "queued")  # type: ignore[arg-type]
TASKS = QueueTable(Task.__table__, "queued")  # type: ignore[arg-type]
_NO_TASK_HANDLERS: Mapping[str, TaskHandler] = {}


def _default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# While inbox batches are being processed, how soon (seconds) to look for the deliveries they queued.
_DELIVERY_RECHECK = 0.05


class Worker:
    def __init__(
        self,
        ctx: FederationContext,
        *,
        inbox_handler: InboxHandler | None = None,
        task_handlers: Mapping[str, TaskHandler] = _NO_TASK_HANDLERS,
        worker_id: str | None = None,
        concurrency: int = 400,
        per_host: int = 4,
        batch_size: int = 200,
        lease: timedelta = timedelta(minutes=5),
        policy: RetryPolicy | None = None,
        sign_threads: int | None = None,
        poll_interval: float = 1.0,
        address_filter: AddressFilter | None = None,
    ) -> None:
        self.ctx = ctx
        self.worker_id = worker_id or _default_worker_id()
        self._inbox_handler = inbox_handler
        self._task_handlers = dict(task_handlers)
        self._policy = policy or RetryPolicy()
        self._lease = lease
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        # One client for the worker's life: keep-alive connections per host, every hop through the SSRF guard.
        self._client = DeliveryClient(ctx.fetch_policy, address_filter=address_filter)
        # One signing thread per core (up to 8): they only run RSA, outside the GIL. Measured on 2 cores,
        # 2 threads beat 3 (bench/delivery.py): a third only adds switching.
        sign_threads = sign_threads or max(1, min(os.cpu_count() or 2, 8))
        self._executor = ThreadPoolExecutor(
            max_workers=sign_threads, thread_name_prefix="espresso-sign", initializer=_lower_thread_priority
        )
        self._deliveries = DeliveryRunner(
            ctx,
            Deliverer(
                self._client,
                self._executor,
                clock=ctx.clock.now,
                max_redirects=ctx.fetch_policy.max_redirects,
                sign_threads=sign_threads,
            ),
            owner=self.worker_id,
            policy=self._policy,
            concurrency=concurrency,
            per_host=per_host,
            batch_size=batch_size,
            lease=lease,
        )

    async def __aenter__(self) -> Worker:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._client.aclose()
        self._executor.shutdown(wait=False)

    async def run_once(self) -> int:
        """Claim and finish everything due now; returns how many items were handled.

        Deliveries go on beside the inbox and the tasks, not after them: answering 10,000 Follows is
        processing them in batches and sending the Accepts those batches queue, and taking turns left
        the signing threads idle while a batch was processed and the loop idle while one was signed
        (bench/follows.py). Each side loops until it finds nothing; the round repeats until neither did."""
        handled = 0
        while True:
            async with asyncio.TaskGroup() as group:  # a failure on one side cancels the other
                items = group.create_task(self._drain_inbox_and_tasks())
                deliveries = group.create_task(self._deliver_while(items))
            round_ = deliveries.result() + items.result()
            if round_ == 0:
                return handled
            handled += round_

    async def _deliver_while(self, busy: asyncio.Task[int]) -> int:
        """Deliver what is due, and again as ``busy`` (the inbox batches) queues more, until it is done."""
        handled = 0
        while True:
            delivered = await self._deliveries.drain()
            handled += delivered
            if busy.done():
                return handled
            if not delivered:
                await asyncio.wait({busy}, timeout=_DELIVERY_RECHECK)

    async def _drain_inbox_and_tasks(self) -> int:
        handled = 0
        if isinstance(self._inbox_handler, BatchInboxHandler):
            handled += await self._drain_inbox_batches(self._inbox_handler)
        elif self._inbox_handler is not None:
            handled += await self._drain_items(INBOX, InboxActivity, self._run_inbox_item)
        if self._task_handlers:
            handled += await self._drain_items(TASKS, Task, self._run_task)
        return handled

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; a failing cycle (database down) is logged and retried."""
        waker = register_waker(self.ctx.db.url)
        logger.info("worker %s started", self.worker_id)
        try:
            while not stop.is_set():
                waker.event.clear()
                try:
                    await self.run_once()
                except Exception:  # the worker boundary: keep serving once the database is back
                    logger.exception("worker %s: cycle failed", self.worker_id)
                await _first_of(stop.wait(), waker.event.wait(), timeout=self._poll_interval)
        finally:
            unregister_waker(self.ctx.db.url, waker)
            logger.info("worker %s stopped", self.worker_id)

    async def _drain_items(
        self,
        queue: QueueTable,
        model: type[_Item],
        run_item: Callable[[_Item], Awaitable[dict[str, Any]]],
    ) -> int:
        # One at a time, in the order they came: an Undo must not overtake its Follow.
        handled = 0
        while True:
            items = await self._claim_items(queue, model)
            if not items:
                return handled
            for item in items:
                change = await run_item(item)
                async with self.ctx.db.transaction() as session:
                    await finish(session, queue, owner=self.worker_id, changes=[change])
                handled += 1

    async def _drain_inbox_batches(self, handler: BatchInboxHandler) -> int:
        """Claimed rows go to the handler together, which keeps their order; the done ones are finished in
        one UPDATE, the others (retried or failed, each its own error) in one executemany."""
        handled = 0
        done_values = {"state": "done", "attempts": INBOX.column("attempts") + 1, "error": None}
        while True:
            items = await self._claim_items(INBOX, InboxActivity)
            if not items:
                return handled
            errors = await handler.process_batch(items)
            done: list[int] = []
            failed: list[dict[str, Any]] = []
            for item, error in zip(items, errors):
                if error is None:
                    logger.info("inbox activity %d (%s) done", item.id, item.activity_type)
                    done.append(item.id)
                else:
                    failed.append(
                        self._failed_change(item, "inbox activity", item.activity_type, item.attempts + 1, error)
                    )
            async with self.ctx.db.transaction(one_statement=not (done and failed)) as session:
                await finish_alike(session, INBOX, owner=self.worker_id, ids=done, values=done_values)
                await finish(session, INBOX, owner=self.worker_id, changes=failed)
            handled += len(items)

    async def _claim_items(self, queue: QueueTable, model: type[_Item]) -> list[_Item]:
        now = self.ctx.clock.now()
        where = [queue.column("kind").in_(sorted(self._task_handlers))] if model is Task else []
        async with self.ctx.db.transaction(one_statement=True) as session:
            rows = await claim(
                session, queue, owner=self.worker_id, now=now, lease=self._lease, limit=self._batch_size, where=where
            )
        # The claim returned every column (typed): the rows become detached model objects as they are,
        # without reading them a second time through the ORM (a SELECT and an identity map per batch).
        return [model(**row._mapping) for row in rows]

    async def _run_inbox_item(self, item: InboxActivity) -> dict[str, Any]:
        assert self._inbox_handler is not None  # only claimed when there is a handler
        return await self._run_handled(item, "inbox activity", item.activity_type, self._inbox_handler)

    async def _run_task(self, item: Task) -> dict[str, Any]:
        return await self._run_handled(item, "task", item.kind, self._task_handlers[item.kind])

    async def _run_handled(
        self, item: _Item, what: str, kind: str, handler: Callable[[_Item], Awaitable[None]]
    ) -> dict[str, Any]:
        attempts = item.attempts + 1
        try:
            await handler(item)
        except Exception as exc:  # the worker boundary: the error goes on the row
            return self._failed_change(item, what, kind, attempts, exc)
        return self._done_change(item, what, kind)

    def _done_change(self, item: _Item, what: str, kind: str) -> dict[str, Any]:
        logger.info("%s %d (%s) done", what, item.id, kind)
        return _change(item.id, "done", item.attempts + 1, item.next_attempt_at, None)

    def _failed_change(self, item: _Item, what: str, kind: str, attempts: int, exc: Exception) -> dict[str, Any]:
        error = f"{type(exc).__name__}: {exc}"[:2048]
        now = self.ctx.clock.now()
        if attempts >= self._policy.max_task_attempts:
            logger.warning("%s %d (%s) failed after %d attempts: %s", what, item.id, kind, attempts, error)
            return _change(item.id, "failed", attempts, item.next_attempt_at, error)
        retry_at = self._policy.next_attempt(attempts=attempts, now=now)
        logger.info("%s %d (%s) will retry at %s: %s", what, item.id, kind, retry_at.isoformat(), error)
        return _change(item.id, "queued", attempts, retry_at, error)


def _change(item_id: int, state: str, attempts: int, next_attempt_at: datetime, error: str | None) -> dict[str, Any]:
    return {"id": item_id, "state": state, "attempts": attempts, "next_attempt_at": next_attempt_at, "error": error}


async def _first_of(*waits: Awaitable[Any], timeout: float) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()  # not awaited: awaiting here could swallow our own cancellation


def _lower_thread_priority() -> None:
    """Let the event loop and the database thread run before the signing threads when the cores are busy.

    Signing is throughput work: each thread runs RSA for milliseconds at a time. The loop and the
    database driver's thread are latency work: every claim and write-back waits on them, and on a busy
    2-core machine a claim round took 100 ms instead of 5 while the signers held both cores, leaving
    nothing in flight (bench/delivery.py). A higher nice value for these threads only (Linux sets it
    per thread; elsewhere this does nothing) fixes that without slowing the signing on an idle core."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass
