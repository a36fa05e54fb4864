"""`espresso demo`: a whole federated network on this machine, for a newcomer to look at in a minute.

Each instance is a real `espresso serve` child process with its own data folder, port and
`ESPRESSO_DOMAIN=127.0.0.1:PORT`, so what the demo shows is what separate servers do: they
discover each other by WebFinger, sign their deliveries and follow each other across
"hosts". The children run in their own sessions so a terminal's Ctrl-C reaches only this
process, which then stops them in order; on Linux they also die with it if it is killed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

import httpx

from .demo_data import INSTANCES, MAX_SPACES, SampleSpace, sample_spaces
from .demo_seed import Node, Seeder, hub_actor_id

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "DemoError", "instance_ports", "run_demo"]

DEMO_EMAIL = "demo@espresso.example"
# A fixed password on purpose: the demo is loopback-only, and a kept --data folder keeps its administrator.
DEMO_PASSWORD = "espresso-demo"
HUB = "hub"
HUB_TITLE = "Espresso Directory"
LAYOUT_FILE = "demo.json"
_START_SECONDS = 60.0
_SETTLE_SECONDS = 60.0
_STOP_SECONDS = 15.0
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DemoError(Exception):
    """The demo cannot start as asked (a bad option, a port in use); the message says why."""


@dataclass(frozen=True)
class DemoInstance:
    key: str
    title: str
    port: int
    folder: Path

    @property
    def is_hub(self) -> bool:
        return self.key == HUB

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    def environment(self) -> dict[str, str]:
        """Every setting given explicitly, so neither the caller's ESPRESSO_* nor a .env leaks in."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("ESPRESSO_")}
        env.update(
            ESPRESSO_DOMAIN=self.domain,
            ESPRESSO_SCHEME="http",
            ESPRESSO_DATA_DIR=str(self.folder),
            ESPRESSO_DATABASE_URL=f"sqlite+aiosqlite:///{self.folder / 'espresso.db'}",
            ESPRESSO_ALLOW_PRIVATE_ADDRESSES="1",
            ESPRESSO_DIRECTORY="1" if self.is_hub else "0",
            ESPRESSO_WORKER="inprocess",
            ESPRESSO_INSTANCE_NAME=self.title,
        )
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        return env


@dataclass
class _Child:
    instance: DemoInstance
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @property
    def log_path(self) -> Path:
        return self.instance.folder / "espresso.log"


# -- ports and folders ----------------------------------------------------------------------------

def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn binds: a port left in TIME_WAIT by a previous run is free to reuse.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _free_ports(first: int) -> Iterator[int]:
    """`first`, then the ports after it, skipping those in use; any free port past a crowded range."""
    port = first
    while port <= min(first + 200, 65535):
        if _port_is_free(port):
            yield port
        port += 1
    while True:
        yield _any_free_port()


def instance_ports(root: Path, keys: list[str], first_port: int) -> dict[str, int]:
    """The port of each instance. A kept data folder keeps its ports: they are part of every actor id."""
    path = root / LAYOUT_FILE
    ports: dict[str, int] = json.loads(path.read_text(encoding="utf-8")).get("ports", {}) if path.exists() else {}
    for key in keys:
        if key in ports and not _port_is_free(ports[key]):
            raise DemoError(f"--data: port {ports[key]} of {root} is in use (is another demo running?); "
                            "stop what uses it, or start with another --data folder")
    taken = set(ports.values())
    free = (port for port in _free_ports(first_port) if port not in taken)
    for key in keys:
        if key not in ports:
            ports[key] = next(free)
    path.write_text(json.dumps({"ports": ports}, indent=2) + "\n", encoding="utf-8")
    return ports


def _instances(root: Path, samples: list[SampleSpace], first_port: int) -> list[DemoInstance]:
    keys = [HUB, *[key for key in INSTANCES if any(sample.instance == key for sample in samples)]]
    ports = instance_ports(root, keys, first_port)
    titles = {HUB: HUB_TITLE, **INSTANCES}
    return [DemoInstance(key, titles[key], ports[key], root / key) for key in keys]


# -- instances ------------------------------------------------------------------------------------

async def _prepare(instance: DemoInstance) -> str:
    """Make sure the demo administrator exists, and return a new API token.

    Runs once the instance answers, so its own start-up has applied the migrations; the
    instance is idle then, so these two writes do not contend with it for the SQLite file."""
    from federation.clock import SystemClock
    from federation.db import Database

    from .admin.accounts import AccountError, AdminAccounts
    from .tokens import create_token

    db = Database(f"sqlite+aiosqlite:///{instance.folder / 'espresso.db'}")
    try:
        try:
            await AdminAccounts(db, SystemClock()).create(DEMO_EMAIL, DEMO_PASSWORD, all_spaces=True)
        except AccountError:
            pass  # a kept --data folder already has it
        return await create_token(db, SystemClock(), "demo")
    finally:
        await db.dispose()


async def _prepare_all(instances: list[DemoInstance]) -> dict[str, str]:
    tokens = await asyncio.gather(*(_prepare(instance) for instance in instances))
    return {instance.key: token for instance, token in zip(instances, tokens)}


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM if the demo process dies without cleaning up."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(instance: DemoInstance) -> _Child:
    instance.folder.mkdir(parents=True, exist_ok=True)
    log = (instance.folder / "espresso.log").open("ab")
    command = [sys.executable, "-c", "import sys; from web.cli import main; sys.exit(main(sys.argv[1:]))",
               "serve", "--host", "127.0.0.1", "--port", str(instance.port)]
    process = subprocess.Popen(
        command, cwd=instance.folder, env=instance.environment(), stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    return _Child(instance, process, log)


def _log_tail(child: _Child, lines: int = 15) -> str:
    try:
        text = child.log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def _wait_until_up(children: list[_Child]) -> None:
    deadline = time.monotonic() + _START_SECONDS
    waiting = list(children)
    with httpx.Client(timeout=2) as client:
        while waiting:
            for child in list(waiting):
                if child.process.poll() is not None:
                    raise RuntimeError(f"{child.instance.title} did not start; its log ({child.log_path}) ends with:\n"
                                    + _log_tail(child))
                try:
                    if client.get(f"{child.instance.base_url}/nodeinfo/2.1").status_code == 200:
                        waiting.remove(child)
                except httpx.TransportError:
                    pass
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"{waiting[0].instance.title} did not answer within {_START_SECONDS:.0f} s; "
                                f"see {waiting[0].log_path}")
            time.sleep(0.1)


def _stop(children: list[_Child]) -> None:
    """SIGTERM to each (uvicorn then finishes its requests and the worker), SIGKILL to any that hang."""
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _STOP_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
        child.log.close()


# -- seeding and the summary ----------------------------------------------------------------------

async def _seed(instances: list[DemoInstance], tokens: dict[str, str], samples: list[SampleSpace],
                say: Callable[[str], None]) -> tuple[Seeder, bool]:
    nodes = {i.key: Node(i.key, i.base_url, i.domain, tokens[i.key]) for i in instances}
    async with httpx.AsyncClient(timeout=30) as client:
        hub_node = nodes.pop(HUB)
        hub_actor = await hub_actor_id(client, hub_node)
        seeder = Seeder(client, nodes, samples, date.today(), hub=hub_node if hub_actor else None, hub_actor=hub_actor)
        deadline = time.monotonic() + _SETTLE_SECONDS
        say(f"Creating {len(samples)} coworking spaces…")
        created = await seeder.create_spaces()
        say("The spaces follow each other across instances" + (" and the directory hub…" if hub_actor else "…"))
        await seeder.follow_each_other()
        await seeder.wait_for_follows(deadline)
        say("Publishing events and news…")
        await seeder.publish(created)
        await seeder.wait_for_deliveries(deadline)
        await seeder.wait_for_hub(deadline)
    return seeder, hub_actor is not None


def _summary(instances: list[DemoInstance], seeder: Seeder, has_hub: bool, root: Path, seconds: float) -> str:
    spaces = {i.key: [s for s in seeder.samples if s.instance == i.key] for i in instances}
    lines = ["", "☕ The Espresso demo network is running on this computer.", ""]
    if has_hub:
        hub = next(i for i in instances if i.is_hub)
        lines += ["The whole network, gathered by the directory hub:", f"    {hub.base_url}/directory", ""]
    lines.append("Each instance is a separate Espresso server with its own coworking spaces:")
    for instance in instances:
        if not instance.is_hub:
            names = ", ".join(sample.name for sample in spaces[instance.key])
            lines.append(f"    {instance.title:<16} {instance.base_url}/    ({names})")
    if not has_hub:
        lines += ["    This version has no directory hub yet: each instance's Directory page lists its own spaces,",
                  "    and the spaces' events and news reach the spaces that follow them."]
    first = next(i for i in instances if not i.is_hub)
    lines += [
        "",
        "Try the management pages (the same sign-in works on every instance):",
        f"    {first.base_url}/admin/login",
        f"    e-mail:   {DEMO_EMAIL}",
        f"    password: {DEMO_PASSWORD}",
        "",
        "Follow a space from Mastodon-like apps running on this computer:",
        *[f"    {seeder.handle_of(sample)}" for sample in seeder.samples[:2]],
        "",
    ]
    lines += [f"Note: {warning}" for warning in seeder.warnings]
    lines += [f"Ready in {seconds:.0f} seconds. Data and logs: {root}", "", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def _say(text: str) -> None:
    print(text, flush=True)


def run_demo(*, spaces: int, first_port: int, data: Path | None) -> int:
    """Run the demo until Ctrl-C or SIGTERM; 0 when stopped that way."""
    if not 1 <= spaces <= MAX_SPACES:
        raise DemoError(f"--spaces: from 1 to {MAX_SPACES}, got {spaces}")
    if not 1 <= first_port <= 65535:
        raise DemoError(f"--port: from 1 to 65535, got {first_port}")
    started = time.monotonic()
    # Each request of the seeding would be a log line; the person watching needs the summary.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    root = data.resolve() if data else Path(tempfile.mkdtemp(prefix="espresso-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    samples = sample_spaces(spaces)
    instances = _instances(root, samples, first_port)
    # SIGTERM ends the demo the way Ctrl-C does: through KeyboardInterrupt and the `finally` below.
    # SIGINT too, even when started with it ignored (a shell's `&` does that), so Ctrl-C always works.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    children: list[_Child] = []
    try:
        _say(f"Starting {len(instances)} Espresso instances on ports "
             f"{', '.join(str(i.port) for i in instances)} (data in {root})…")
        children = [_start(instance) for instance in instances]
        _wait_until_up(children)
        tokens = asyncio.run(_prepare_all(instances))
        try:
            seeder, has_hub = asyncio.run(_seed(instances, tokens, samples, _say))
        except (RuntimeError, httpx.HTTPError) as exc:
            raise RuntimeError(f"{exc} (the instances' logs are in {root}/*/espresso.log)") from exc
        if not has_hub:
            hub_child = next(c for c in children if c.instance.is_hub)
            _stop([hub_child])
            children.remove(hub_child)
            instances = [i for i in instances if not i.is_hub]
        _say(_summary(instances, seeder, has_hub, root, time.monotonic() - started))
        return _watch(children)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave children behind
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if children:
            _say("\nStopping the demo…")
            _stop(children)
            _say("Stopped.")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)


def _watch(children: list[_Child]) -> int:
    """Sleep until interrupted; a child that dies on its own ends the demo with code 1."""
    while True:
        for child in children:
            if child.process.poll() is not None:
                _say(f"{child.instance.title} stopped unexpectedly; its log ({child.log_path}) ends with:\n"
                     + _log_tail(child))
                return 1
        time.sleep(0.5)
