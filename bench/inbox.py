"""Inbox throughput: verified, durably stored activities per second, and latency.

    .venv/bin/python bench/inbox.py [-n 5000] [-c 64] [--database-url postgresql+asyncpg://...]

Starts one instance (uvicorn on 127.0.0.1, a fresh SQLite file by default,
no background worker so only the inbox is measured) in a child process,
pre-seeds the remote actors and their public keys in its database (so no key
fetch is timed), signs every activity before the clock starts (draft-cavage
RSA-SHA256, as Mastodon does), then fires them at the shared inbox over
keep-alive connections with the given concurrency and reports accepted/s,
p50 and p99. Loopback only; every run is bounded by -n.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from federation.keys import generate_rsa_key, public_key_to_pem  # noqa: E402
from federation.signatures import sign_cavage  # noqa: E402

REMOTE = "http://remote.bench.invalid"


def _listening_socket() -> Any:
    """A loopback socket on a free port, listening before the instance starts (no race for the port)."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    return sock


def _serve(settings: Any, sock_fd: int, ready: Any) -> None:
    import socket

    import uvicorn

    from web.app import create_app

    from web.process_tuning import tune_server_process

    import uvloop  # what `espresso serve` runs: uvicorn's loop="auto" picks it when uvicorn makes the loop

    sock = socket.socket(fileno=sock_fd)
    app = create_app(settings)
    tune_server_process()  # as `espresso serve` and web.asgi do
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", loop="auto", http="auto")
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        ready.set()
        await task

    uvloop.run(main())


async def _prepare_database(url: str, actors: list[tuple[str, str, str]]) -> None:
    from federation.db import Database
    from federation.models import RemoteActor
    from web.schema import all_metadata

    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(all_metadata().create_all)
    now = datetime.now(timezone.utc)
    async with db.transaction() as session:
        for actor_id, key_id, pem in actors:
            session.add(RemoteActor(
                ap_id=actor_id, actor_type="Person", domain="remote.bench.invalid", preferred_username=actor_id[-6:],
                inbox=f"{actor_id}/inbox", public_key_id=key_id, public_key_pem=pem,
                document={"id": actor_id, "type": "Person", "inbox": f"{actor_id}/inbox",
                          "publicKey": {"id": key_id, "owner": actor_id, "publicKeyPem": pem}},
                fetched_at=now,
            ))
    await db.dispose()


async def _count_stored(url: str) -> int:
    from sqlalchemy import func, select

    from federation.db import Database
    from federation.models import InboxActivity

    db = Database(url)
    async with db.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(InboxActivity))
    await db.dispose()
    return int(total or 0)


def _requests(n: int, n_actors: int, host: str) -> tuple[list[tuple[str, str, str]], list[bytes]]:
    keys = [generate_rsa_key() for _ in range(n_actors)]
    actors = [(f"{REMOTE}/users/u{i:05d}", f"{REMOTE}/users/u{i:05d}#main-key", public_key_to_pem(k.public_key()))
              for i, k in enumerate(keys)]
    url = f"http://{host}/inbox"
    now = datetime.now(timezone.utc)
    raw: list[bytes] = []
    for i in range(n):
        actor_id, key_id, _ = actors[i % n_actors]
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor_id}/statuses/{i}/activity", "type": "Create", "actor": actor_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {"id": f"{actor_id}/statuses/{i}", "type": "Note", "attributedTo": actor_id,
                       "content": f"<p>Coffee number {i} at the space</p>"},
        }
        body = orjson.dumps(activity)
        headers = {"Content-Type": "application/activity+json"}
        headers.update(sign_cavage(method="POST", url=url, headers=headers, body=body, key_id=key_id,
                                   private_key=keys[i % n_actors], now=now))
        head = f"POST /inbox HTTP/1.1\r\nContent-Length: {len(body)}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        raw.append(head.encode("latin-1") + body)
    return actors, raw


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


async def _fire(port: int, requests: list[bytes], concurrency: int) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in queue:
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


def _admin_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _create_pg_database(server_url: str) -> str:
    import uuid

    import asyncpg

    name = f"espresso_bench_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect(_admin_dsn(server_url))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{server_url.rpartition('/')[0]}/{name}"


def _drop_pg_database(server_url: str, url: str) -> None:
    import asyncpg

    name = url.rpartition("/")[2]

    async def drop() -> None:
        conn = await asyncpg.connect(_admin_dsn(server_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--requests", type=int, default=5000)
    parser.add_argument("-c", "--concurrency", type=int, default=64)
    parser.add_argument("--actors", type=int, default=20, help="distinct remote signers")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temporary folder")
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    if not 1 <= args.requests <= 200_000 or not 1 <= args.concurrency <= 1000:
        parser.error("-n must be 1..200000 and -c 1..1000")

    from web.config import Settings

    with tempfile.TemporaryDirectory(prefix="espresso-bench-") as folder:
        server_url = args.database_url
        # A throw-away database on the server, never the one named: the bench must not touch real data.
        url = _create_pg_database(server_url) if server_url else f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        sock = _listening_socket()
        port = sock.getsockname()[1]
        host = f"127.0.0.1:{port}"
        print(f"signing {args.requests + args.warmup} activities ...", flush=True)
        actors, raw = _requests(args.requests + args.warmup, args.actors, host)
        asyncio.run(_prepare_database(url, actors))
        settings = Settings(domain=host, scheme="http", database_url=url, data_dir=Path(folder),
                            secret_key="bench", worker="external")
        fork = multiprocessing.get_context("fork")
        ready = fork.Event()
        os.set_inheritable(sock.fileno(), True)
        process = fork.Process(target=_serve, args=(settings, sock.fileno(), ready))
        process.start()
        try:
            if not ready.wait(30):
                print("the instance did not start", file=sys.stderr)
                return 1
            asyncio.run(_fire(port, raw[: args.warmup], min(args.concurrency, args.warmup)))
            elapsed, latencies, statuses = asyncio.run(_fire(port, raw[args.warmup :], args.concurrency))
            stored = asyncio.run(_count_stored(url))
        finally:
            process.terminate()
            process.join(10)
            if server_url:
                _drop_pg_database(server_url, url)
    accepted = statuses.get(202, 0)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"{dialect}: {accepted}/{args.requests} accepted (statuses {statuses}), {stored} stored in all, "
          f"concurrency {args.concurrency}")
    print(f"accepted/s {accepted / elapsed:,.0f}   p50 {statistics.median(latencies) * 1000:.1f} ms   "
          f"p99 {p99 * 1000:.1f} ms")
    return 0 if accepted == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
