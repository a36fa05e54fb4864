"""Actor document GETs per second (target ≥ 8,000/s on a 2-core machine).

Starts a real instance (uvicorn, SQLite in a temporary folder unless
--database-url is given) with one space, then drives it with `wrk` (Debian
package `wrk`) over loopback for a fixed time, and prints requests/s and
latency percentiles. Loopback only; stops by itself.

    .venv/bin/python bench/actor_get.py [--workers 2] [--seconds 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    espresso = str(Path(sys.executable).parent / "espresso")
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        env = {**os.environ, "ESPRESSO_DATA_DIR": folder, "ESPRESSO_DOMAIN": f"127.0.0.1:{port}",
               "ESPRESSO_WORKER": "external"}
        if args.database_url:
            env["ESPRESSO_DATABASE_URL"] = args.database_url
        subprocess.run([espresso, "space", "create", "racale", "--name", "Coworking Racale", "--country", "IT"],
                       env=env, cwd=folder, check=True, capture_output=True)
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "web.asgi:app", "--port", str(port),
             "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"],
            env=env, cwd=ROOT,
        )
        try:
            url = f"http://127.0.0.1:{port}/users/racale"
            _wait(url)
            result = subprocess.run(
                [wrk, "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                 "-H", "Accept: application/activity+json", url],
                capture_output=True, text=True, check=True,
            )
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    print(result.stdout)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    print(f"actor GETs/s: {float(rate.group(1)) if rate else 'n/a':.0f} (target ≥ 8,000)")
    return 0


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, headers={"Accept": "application/activity+json"}, timeout=1)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the instance did not start")


if __name__ == "__main__":
    raise SystemExit(main())
