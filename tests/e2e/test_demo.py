"""`espresso demo` as a newcomer runs it: every address it prints works, the directory lists the
sample spaces, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import bound_socket
from web.demo import DemoError, instance_ports
from web.demo_data import sample_spaces


ESPRESSO = shutil.which("espresso", path=str(Path(sys.executable).parent)) or "espresso"
READY_LINE = "Press Ctrl-C to stop."
URL_RE = re.compile(r"http://127\.0\.0\.1:\d+/\S*")
HANDLE_RE = re.compile(r"^\s+(@[a-z0-9_]+@127\.0\.0\.1:\d+)\s*$", re.MULTILINE)


def _read_lines(stream: object, lines: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)
    lines.put(None)


def _output_until_ready(process: subprocess.Popen[str], lines: queue.Queue[str | None], seconds: float) -> str:
    """What the demo prints up to its ready line, read in a thread so the deadline holds."""
    output: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            raise AssertionError(f"espresso demo exited ({process.wait()}):\n{''.join(output)}")
        output.append(line)
        if READY_LINE in line:
            return "".join(output)
    raise AssertionError(f"espresso demo was not ready within {seconds:.0f} s:\n{''.join(output)}")


def _children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _all_items(client: httpx.Client, url: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    next_url: str | None = url
    while next_url:
        page = client.get(next_url).json()
        items += page["items"]
        next_url = page["next"]
    return items


def test_demo__bad_spaces_exits_2_naming_the_option(tmp_path: Path) -> None:
    result = subprocess.run([ESPRESSO, "demo", "--spaces", "0"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("espresso: --spaces")


def test_demo__ports_in_use_are_skipped_and_a_kept_folder_keeps_its_ports(tmp_path: Path) -> None:
    with bound_socket() as taken:
        port = taken.getsockname()[1]
        ports = instance_ports(tmp_path, ["hub", "sud"], port)
        assert port not in ports.values() and len(set(ports.values())) == 2
    assert instance_ports(tmp_path, ["hub", "sud"], 1) == ports
    with socket.create_server(("127.0.0.1", ports["sud"])):
        with pytest.raises(DemoError, match="in use"):
            instance_ports(tmp_path, ["hub", "sud"], 1)


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")
def test_demo__prints_working_urls_lists_the_spaces_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    sock = bound_socket()
    first_port = sock.getsockname()[1]
    sock.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPRESSO_")}
    env["TMPDIR"] = str(tmp_path)  # the demo's temporary data folder lands inside the test's
    process = subprocess.Popen([ESPRESSO, "demo", "--spaces", "6", "--port", str(first_port)], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        output = _output_until_ready(process, lines, 90)
        children = _children_of(process.pid)
        urls = URL_RE.findall(output)
        handles = HANDLE_RE.findall(output)
        assert urls and len(handles) >= 2, output
        assert len(children) >= 3, output
        usernames = {sample.username for sample in sample_spaces(6)}

        with httpx.Client(timeout=10) as client:
            for url in urls:
                assert client.get(url).status_code == 200, url
            for handle in handles:
                user, host = handle[1:].split("@")
                finger = client.get(f"http://{host}/.well-known/webfinger", params={"resource": f"acct:{user}@{host}"})
                assert finger.status_code == 200, handle

            hubs = [url for url in urls if url.endswith("/directory")]
            if hubs:
                listed = _all_items(client, hubs[0].replace("/directory", "/api/v1/directory/spaces"))
            else:  # no hub built in yet: each instance's own directory lists its spaces
                instances = {url for url in urls if url.endswith(("/",)) and url.count("/") == 3}
                listed = [item for base in instances for item in _all_items(client, f"{base}api/v1/directory/spaces")]
            assert {str(item["handle"]).split("@")[1] for item in listed} == usernames, output
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
    assert code == 0
    ports = {int(url.split(":")[2].split("/")[0]) for url in urls}
    assert not [pid for pid in children if _alive(pid)]
    assert not [port for port in ports if _listening(port)]
