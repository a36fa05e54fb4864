"""Process-wide runtime settings for the long-running processes (`espresso serve`, the ASGI factory,
`espresso worker`); never applied on import, nor in tests, which run many instances in one process."""

from __future__ import annotations

import gc
import sys

__all__ = ["raise_open_file_limit", "tune_server_process"]

# How long a thread may hold the GIL while another waits (CPython's default is 5 ms). The event
# loop hands work to helper threads (aiosqlite's connection threads, the signing pool) and waits
# for their answers; with the loop busy, every handoff waited up to 5 ms, which stretched a group
# commit of the inbox (about eight handoffs) to 15-20 ms under load.
SWITCH_INTERVAL = 0.001


def tune_server_process() -> None:
    """Call once the app is built: keep the startup heap out of full GC passes, shorten GIL handoffs.

    Everything imported and built at startup lives as long as the process; ``gc.freeze()`` moves it
    to the permanent generation, so a full collection no longer walks its ~125,000 objects (60-100 ms
    on the 2-core benchmark machine, paid by whichever request was in flight: the inbox's p99)."""
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL)
    raise_open_file_limit()


def raise_open_file_limit(wanted: int = 65536) -> int:
    """Raise the soft limit on open files towards the hard one; returns the limit now in force.

    A worker keeps up to 400 POSTs in flight and 512 idle keep-alive connections, beside the web
    server's own sockets and the database's files: past the 1,024 that many systems give a service by
    default, a fan-out would fail with "Too many open files". Raising the soft limit up to the hard
    one needs no privilege (Unix only; elsewhere nothing changes)."""
    try:
        import resource
    except ImportError:  # Windows
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft
