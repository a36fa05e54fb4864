"""At most so many requests in flight per host, first come first served.

Does what one ``asyncio.Semaphore`` per host would, for less: the delivery
runner takes a slot for every POST, thousands a second, and most hosts are
never at their limit, so the common path is a dict lookup and no future. A
host's entry goes away when its last request is done, so a worker that has
delivered to a hundred thousand hosts does not keep a hundred thousand locks.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["HostSlots"]


class HostSlots:
    def __init__(self, per_host: int) -> None:
        self._per_host = max(per_host, 1)
        self._busy: dict[str, int] = {}
        self._waiting: dict[str, deque[asyncio.Future[None]]] = {}

    def in_flight(self, host: str) -> int:
        return self._busy.get(host, 0)

    async def acquire(self, host: str) -> None:
        busy = self._busy.get(host, 0)
        if busy < self._per_host and host not in self._waiting:
            self._busy[host] = busy + 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting.setdefault(host, deque())
        queue.append(waiter)
        try:
            await waiter  # release() hands its slot straight to us: the busy count stays as it was
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(host)  # handed a slot just as we were cancelled: pass it on
            else:
                queue.remove(waiter)
                if not queue and self._waiting.get(host) is queue:
                    del self._waiting[host]
            raise

    def release(self, host: str) -> None:
        queue = self._waiting.get(host)
        while queue:
            waiter = queue.popleft()
            if not queue:
                del self._waiting[host]
            if not waiter.done():
                waiter.set_result(None)
                return
        busy = self._busy[host] - 1
        if busy:
            self._busy[host] = busy
        else:
            del self._busy[host]
