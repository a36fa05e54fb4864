"""A real, independent ActivityPub peer for interop tests: Fedify 2 on Node 22.

The peer is ``interop/fedify/peer.mjs``; see ``interop/fedify/README.md`` for its control API.

    with FedifyPeer.start() as peer:
        info = peer.lookup("http://127.0.0.1:8000/spaces/racale")   # Fedify's view of our actor
        peer.follow(info["id"])
        ...
        peer.received()

``ensure_installed()`` runs ``npm ci`` when ``node_modules`` is missing or older than the lock file;
Node 22 itself comes from npm (the ``node`` package), so only ``npm`` must be on PATH.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

PEER_DIR = Path(__file__).resolve().parents[2] / "interop" / "fedify"
SignatureSpec = Literal["rfc9421", "draft-cavage-http-signatures-12"]


class FedifyPeerError(RuntimeError):
    """The peer could not be installed or started, or a control call failed unexpectedly."""


class FedifyLookupError(FedifyPeerError):
    """Fedify could not fetch or parse the object; ``str(exc)`` is Fedify's own error text."""

    def __init__(self, url: str, error: str) -> None:
        super().__init__(f"Fedify could not look up {url}: {error}")
        self.url = url
        self.error = error


def ensure_installed() -> Path:
    """Install the peer's npm dependencies (Fedify and Node 22) if needed; return the peer directory."""
    modules = PEER_DIR / "node_modules"
    lock = PEER_DIR / "package-lock.json"
    node = modules / ".bin" / "node"
    installed = modules / ".package-lock.json"  # npm rewrites this hidden lock file on every install
    if node.exists() and installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return PEER_DIR
    npm = shutil.which("npm")
    if npm is None:
        message = "npm is not on PATH: it is needed once to install the Fedify peer (npm ci)"
        if os.environ.get("CI"):
            raise FedifyPeerError(message)  # CI installs it (.ci/run): a missing npm is a broken setup there
        pytest.skip(message)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0 or not node.exists():
        raise FedifyPeerError(f"npm ci failed in {PEER_DIR} (exit {result.returncode}):\n{result.stderr[-4000:]}")
    installed.touch()  # mark the install as newer than the lock file even if npm kept old mtimes
    return PEER_DIR


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FedifyPeer:
    """A running peer; use ``FedifyPeer.start()`` as a context manager."""

    def __init__(self, port: int, client: httpx.Client) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.actor_url = f"{self.base_url}/users/alice"
        self.inbox_url = f"{self.actor_url}/inbox"
        self.shared_inbox_url = f"{self.base_url}/inbox"
        self._client = client

    @classmethod
    @contextlib.contextmanager
    def start(
        cls,
        port: int | None = None,
        *,
        first_knock: SignatureSpec = "rfc9421",
        startup_timeout: float = 30.0,
    ) -> Iterator[FedifyPeer]:
        peer_dir = ensure_installed()
        port = port or free_port()
        env = {**os.environ, "PORT": str(port), "FIRST_KNOCK": first_knock}
        # stderr goes to a temporary file, not a pipe: nobody drains a pipe while tests run.
        with tempfile.TemporaryFile() as log, httpx.Client(timeout=30.0) as client:
            proc = subprocess.Popen(
                [str(peer_dir / "node_modules" / ".bin" / "node"), "peer.mjs", str(port)],
                cwd=peer_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                peer = cls(port, client)
                peer._wait_healthy(proc, log, startup_timeout)
                yield peer
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def _wait_healthy(self, proc: subprocess.Popen[bytes], log: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                if self._client.get(f"{self.base_url}/_control/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.1)
        log.seek(0)
        output = log.read().decode(errors="replace")[-8000:]
        state = f"exited with {proc.returncode}" if proc.poll() is not None else f"not healthy after {timeout}s"
        raise FedifyPeerError(f"Fedify peer on port {self.port} {state}; its output:\n{output}")

    # ---- control API ----
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self._client.request(method, f"{self.base_url}/_control/{path}", json=body)

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code != 200:
            raise FedifyPeerError(f"{response.request.url} answered {response.status_code}: {response.text}")
        return response.json()

    def health(self) -> dict[str, Any]:
        return dict(self._ok(self._call("GET", "health")))

    def lookup(self, url: str, *, signed: bool = False) -> dict[str, Any]:
        """Fedify's view of the object at ``url`` (``type``, ``id``, ``name``, ``location``, ``raw``, ...).

        ``signed=True`` fetches with alice's signed GET (for servers in secure mode).
        Raises ``FedifyLookupError`` with Fedify's error text when it cannot fetch or parse the object.
        """
        r = self._call("POST", "lookup", {"url": url, "signed": signed})
        if r.status_code == 422:
            raise FedifyLookupError(url, r.json()["error"])
        return dict(self._ok(r))

    def try_lookup(self, url: str, *, signed: bool = False) -> dict[str, Any]:
        """Like ``lookup`` but returns ``{"error": ...}`` instead of raising on a parse failure."""
        r = self._call("POST", "lookup", {"url": url, "signed": signed})
        return dict(r.json()) if r.status_code == 422 else dict(self._ok(r))

    def follow(self, actor_url: str, *, signed: bool = False) -> dict[str, Any]:
        """Send a Follow from alice; returns ``{"followId", "actor", "state"}`` (state becomes
        "accepted" in ``following()`` once an Accept arrives)."""
        return dict(self._ok(self._call("POST", "follow", {"actor": actor_url, "signed": signed})))

    def unfollow(self, actor_url: str) -> dict[str, Any]:
        return dict(self._ok(self._call("POST", "unfollow", {"actor": actor_url})))

    def received(self) -> list[dict[str, Any]]:
        """Activities that reached alice's inboxes, oldest first (``verified`` False: refused with 401)."""
        return list(self._ok(self._call("GET", "received")))

    def inbox_log(self) -> list[dict[str, Any]]:
        """Every POST to an inbox: status, signature scheme and an independent HTTP signature check."""
        return list(self._ok(self._call("GET", "inbox-log")))

    def sent(self) -> list[dict[str, Any]]:
        """Every outgoing request of the peer (method, url, signature scheme, status)."""
        return list(self._ok(self._call("GET", "sent")))

    def followers(self) -> list[str]:
        return list(self._ok(self._call("GET", "followers")))

    def following(self) -> list[dict[str, Any]]:
        return list(self._ok(self._call("GET", "following")))

    def publish_event(self, **fields: Any) -> dict[str, Any]:
        """Create(Event) to alice's followers. Fields: name, startTime, endTime (ISO 8601 instants;
        endTime=None omits it), summary, content, location={name, address, latitude, longitude}
        (or None). Returns ``{"id", "activityId", "placeId", "followers"}``."""
        return dict(self._ok(self._call("POST", "publish-event", fields)))

    def publish_place(self, **fields: Any) -> dict[str, Any]:
        """Create(Place) to alice's followers. Fields: name, address, latitude, longitude."""
        return dict(self._ok(self._call("POST", "publish-place", fields)))

    def set_signing(
        self, first_knock: SignatureSpec | None = None, *, fallback: bool | None = None, forget: bool = True
    ) -> dict[str, Any]:
        """Choose the scheme Fedify signs with first; ``fallback=False`` refuses the retry with the other
        scheme (so a delivery uses exactly one); ``forget`` drops what Fedify remembered per server."""
        body: dict[str, Any] = {"forget": forget}
        if first_knock is not None:
            body["firstKnock"] = first_knock
        if fallback is not None:
            body["fallback"] = fallback
        return dict(self._ok(self._call("POST", "signing", body)))

    def reset(self) -> None:
        """Forget received activities and the request logs (followers and follows are kept)."""
        self._ok(self._call("POST", "reset"))

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        """Poll ``received()`` until an activity satisfies ``predicate``; return it."""
        deadline = time.monotonic() + timeout
        while True:
            for activity in self.received():
                if predicate(activity):
                    return activity
            if time.monotonic() > deadline:
                raise FedifyPeerError(f"no matching activity within {timeout}s; received: {self.received()}")
            time.sleep(0.1)
