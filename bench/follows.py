"""Incoming Follows: 10,000 signed Follows accepted, processed and answered with an Accept.

    .venv/bin/python bench/follows.py [-n 10000] [-c 64] [--database-url postgresql+asyncpg://...]

Starts one instance (uvicorn on 127.0.0.1, a fresh SQLite file by default, the
worker in the web process as `ESPRESSO_WORKER=inprocess`, private addresses
allowed) in a child process, and a raw sink in another that stands for the
followers' servers: 100 loopback (address, port) pairs answering 202. The
remote actors (their inboxes on the sink) and their public keys are seeded in
the database beforehand, so no key fetch is timed; 20 RSA keys are shared among
them (generating 10,000 would take minutes, and verification does not care).
Every Follow is signed before the clock starts (draft-cavage, as Mastodon),
then POSTed to the shared inbox over keep-alive connections. The time is from
the first POST to the sink receiving the last Accept. Loopback only; bounded by -n.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from federation.keys import generate_rsa_key, public_key_to_pem  # noqa: E402
from federation.signatures import sign_cavage  # noqa: E402
from http_sink import next_request  # noqa: E402
# The instance runner, the keep-alive client and the throw-away PostgreSQL database of bench/inbox.py.
from inbox import _create_pg_database, _drop_pg_database, _fire, _listening_socket, _serve  # noqa: E402

_RESPONSE = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"


# --- the sink (its own process): counts Accepts, says when the last one came -----------------

class _Sink(asyncio.Protocol):
    def __init__(self, state: dict[str, float]) -> None:
        self.state = state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (request := next_request(self.buffer)) is not None:
            body, self.buffer = request
            if b'"Accept"' in body:
                self.state["accepts"] += 1
                self.state["last"] = time.time()
            assert self.transport is not None
            self.transport.write(_RESPONSE)


async def _sink(endpoints: int) -> None:
    import uvloop  # noqa: F401  (the parent runs us under uvloop)

    state = {"accepts": 0.0, "last": 0.0}
    bound = []
    loop = asyncio.get_running_loop()
    for n in range(endpoints):
        address = f"127.0.0.{1 + n % 8}"
        server = await loop.create_server(lambda: _Sink(state), address, 0, backlog=1024)
        bound.append(f"{address}:{server.sockets[0].getsockname()[1]}")
    print(json.dumps(bound), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # the parent asks: how many, and when?
    print(json.dumps(state), flush=True)
    os._exit(0)


# --- the benchmark ------------------------------------------------------------------------

def _follows(n: int, hosts: list[str], target: str, inbox_url: str) -> tuple[list[tuple[str, str, str, str]], list[bytes]]:
    """(actor id, key id, PEM, inbox) per remote actor, and each raw signed request."""
    keys = [generate_rsa_key() for _ in range(20)]
    pems = [public_key_to_pem(key.public_key()) for key in keys]
    now = datetime.now(timezone.utc)
    actors, raw = [], []
    for i in range(n):
        actor_id = f"http://{hosts[i % len(hosts)]}/users/u{i:05d}"
        key_id = f"{actor_id}#main-key"
        actors.append((actor_id, key_id, pems[i % len(keys)], f"{actor_id}/inbox"))
        body = orjson.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor_id}/follows/1",
                             "type": "Follow", "actor": actor_id, "object": target})
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign_cavage(method="POST", url=inbox_url, headers=headers, body=body, key_id=key_id,
                                   private_key=keys[i % len(keys)], now=now))
        head = "POST /inbox HTTP/1.1\r\n" + f"Content-Length: {len(body)}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        raw.append(head.encode("latin-1") + body)
    return actors, raw


async def _prepare_database(url: str, actors: list[tuple[str, str, str, str]], username: str) -> None:
    from sqlalchemy import insert

    from federation.actors import create_local_actor
    from federation.clock import SystemClock
    from federation.db import Database
    from federation.models import RemoteActor
    from web.schema import all_metadata

    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(all_metadata().create_all)
    now = datetime.now(timezone.utc)
    async with db.transaction() as session:
        await create_local_actor(session, username=username, actor_type="Organization", clock=SystemClock())
        await session.execute(insert(RemoteActor), [
            {"ap_id": actor_id, "actor_type": "Person", "domain": actor_id.split("/")[2], "inbox": inbox,
             "preferred_username": actor_id.rsplit("/", 1)[1], "public_key_id": key_id, "public_key_pem": pem,
             "document": {"id": actor_id, "type": "Person", "inbox": inbox,
                          "publicKey": {"id": key_id, "owner": actor_id, "publicKeyPem": pem}},
             "fetched_at": now}
            for actor_id, key_id, pem, inbox in actors
        ])
    await db.dispose()


def _work(settings: object) -> None:
    """A worker process beside the web process (`ESPRESSO_WORKER=external` + `espresso worker`), minus the
    migrations `espresso worker` applies first: the bench made its tables with create_all."""
    import signal

    import uvloop

    from web.background import build_worker
    from web.process_tuning import tune_server_process
    from web.services import build_services

    async def main() -> None:
        services = build_services(settings)  # type: ignore[arg-type]
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        worker = build_worker(services)
        try:
            await worker.run(stop)
        finally:
            await worker.close()
            await services.db.dispose()

    tune_server_process()
    uvloop.run(main())


async def _counts(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from federation.db import Database
    from federation.models import Delivery, Follower, InboxActivity

    db = Database(url)
    async with db.sessions() as session:
        counts = {
            "followers": await session.scalar(select(func.count()).select_from(Follower)),
            "inbox done": await session.scalar(
                select(func.count()).select_from(InboxActivity).where(InboxActivity.state == "done")),
            "accepts delivered": await session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.state == "delivered")),
        }
    await db.dispose()
    return {name: int(value or 0) for name, value in counts.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--follows", type=int, default=10_000)
    parser.add_argument("-c", "--concurrency", type=int, default=64)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up waiting for the Accepts after this")
    parser.add_argument("--worker-process", action="store_true",
                        help="run the worker as its own process (ESPRESSO_WORKER=external + espresso worker)")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        import uvloop

        uvloop.run(_sink(args.sink))
        return 0
    if not 1 <= args.follows <= 100_000 or not 1 <= args.concurrency <= 1000:
        parser.error("-n must be 1..100000 and -c 1..1000")

    from web.config import Settings

    sink = subprocess.Popen([sys.executable, __file__, "--sink", "100"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdin is not None and sink.stdout is not None
    hosts = json.loads(sink.stdout.readline())
    with tempfile.TemporaryDirectory(prefix="espresso-bench-") as folder:
        server_url = args.database_url
        url = _create_pg_database(server_url) if server_url else f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        sock = _listening_socket()
        port = sock.getsockname()[1]
        host = f"127.0.0.1:{port}"
        print(f"signing {args.follows} Follows ...", flush=True)
        actors, raw = _follows(args.follows, hosts, f"http://{host}/users/racale", f"http://{host}/inbox")
        asyncio.run(_prepare_database(url, actors, "racale"))
        settings = Settings(domain=host, scheme="http", database_url=url, data_dir=Path(folder), secret_key="bench",
                            worker="external" if args.worker_process else "inprocess",
                            allow_private_addresses=True)
        fork = multiprocessing.get_context("fork")
        ready = fork.Event()
        os.set_inheritable(sock.fileno(), True)
        process = fork.Process(target=_serve, args=(settings, sock.fileno(), ready))
        process.start()
        worker = fork.Process(target=_work, args=(settings,)) if args.worker_process else None
        if worker is not None:
            worker.start()
        try:
            if not ready.wait(30):
                print("the instance did not start", file=sys.stderr)
                return 1
            started = time.time()
            posted, latencies, statuses = asyncio.run(_fire(port, raw, args.concurrency))
            posted_at = time.time()
            accepts, last = 0, 0.0
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                counts = asyncio.run(_counts(url))
                if counts["accepts delivered"] >= args.follows:
                    break
                time.sleep(0.2)
            load = os.getloadavg()[0]
            sink.stdin.write("report\n")
            sink.stdin.flush()
            report = json.loads(sink.stdout.readline())
            accepts, last = int(report["accepts"]), float(report["last"])
            counts = asyncio.run(_counts(url))
        finally:
            process.terminate()
            process.join(10)
            if worker is not None:
                worker.terminate()
                worker.join(20)
            sink.kill()
            if server_url:
                _drop_pg_database(server_url, url)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    dialect += " (worker process)" if args.worker_process else ""
    print(f"{dialect}: {statuses.get(202, 0)}/{args.follows} Follows accepted (202) in {posted_at - started:.2f} s "
          f"({args.follows / (posted_at - started):,.0f}/s); {counts}")
    if accepts >= args.follows:
        print(f"all {accepts} Accepts received {last - started:.2f} s after the first POST "
              f"({args.follows / (last - started):,.0f} Follows/s end to end); load average {load:.1f}")
    else:
        print(f"only {accepts}/{args.follows} Accepts received within {args.timeout:g} s; load average {load:.1f}")
    return 0 if accepts >= args.follows else 1


if __name__ == "__main__":
    sys.exit(main())
