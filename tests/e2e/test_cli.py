"""The `espresso` command as an operator runs it, in a fresh folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import bound_socket

ESPRESSO = shutil.which("espresso", path=str(Path(sys.executable).parent)) or "espresso"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESPRESSO_")}
    env.update(ESPRESSO_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def _run(tmp_path: Path, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ESPRESSO, *args], cwd=tmp_path, env=_env(tmp_path, **env), input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_cli__space_create_and_list_in_a_fresh_folder(tmp_path: Path) -> None:
    created = _run(tmp_path, "space", "create", "racale", "--name", "Coworking Racale", "--country", "IT")
    assert created.returncode == 0, created.stderr
    assert "@racale@127.0.0.1:8000" in created.stdout
    assert (tmp_path / "data" / "espresso.db").is_file()
    listed = _run(tmp_path, "space", "list")
    assert listed.stdout.split("\t")[:2] == ["@racale@127.0.0.1:8000", "Coworking Racale"]
    assert "(head)" in _run(tmp_path, "db", "current").stdout


def test_cli__space_from_a_file(tmp_path: Path) -> None:
    spec = tmp_path / "space.json"
    spec.write_text(json.dumps({"address": {"country": "IT", "locality": "Lecce"}, "amenities": ["wifi"]}))
    created = _run(tmp_path, "space", "create", "lecce", "--name", "Lecce Hub", "--file", str(spec))
    assert created.returncode == 0, created.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("space", "create", "Bad", "--name", "x", "--country", "IT"), "username"),
        (("space", "create", "ok", "--name", "x"), "address.country"),
        (("space", "create", "ok", "--name", "x", "--country", "ZZ"), "address.country"),
        (("space", "create", "ok", "--name", "x", "--file", "missing.json"), "--file"),
    ],
)
def test_cli__bad_input_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = _run(tmp_path, *args)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("espresso: ") and message in last


def test_cli__bad_setting_exits_2_naming_it(tmp_path: Path) -> None:
    result = _run(tmp_path, "space", "list", ESPRESSO_WORKER="threads")
    assert result.returncode == 2
    assert "ESPRESSO_WORKER" in result.stderr


def test_cli__duplicate_username_exits_2(tmp_path: Path) -> None:
    assert _run(tmp_path, "space", "create", "racale", "--name", "A", "--country", "IT").returncode == 0
    again = _run(tmp_path, "space", "create", "racale", "--name", "A", "--country", "IT")
    assert again.returncode == 2
    assert "taken" in again.stderr


def test_cli__serve_migrates_and_answers_webfinger_with_a_token_made_by_the_cli(tmp_path: Path) -> None:
    token = _run(tmp_path, "token", "create", "--name", "test").stdout.strip()
    assert token.startswith("esp_")
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = _env(tmp_path, ESPRESSO_DOMAIN=f"127.0.0.1:{port}")
    server = subprocess.Popen([ESPRESSO, "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, server)
        headers = {"Authorization": f"Bearer {token}"}
        body = {"username": "racale", "name": "Coworking Racale", "address": {"country": "IT"},
                "geo": {"lat": 39.96, "lon": 18.09}}
        assert httpx.post(f"{base}/api/v1/spaces", json=body, headers=headers).status_code == 201
        finger = httpx.get(f"{base}/.well-known/webfinger", params={"resource": f"acct:racale@127.0.0.1:{port}"})
        actor_url = next(link["href"] for link in finger.json()["links"] if link["rel"] == "self")
        actor = httpx.get(actor_url, headers={"Accept": "application/activity+json"}).json()
        assert actor["type"] == "Organization"
        assert actor["location"]["type"] == "Place"
        assert (tmp_path / "data" / "secret_key").is_file()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert server.returncode in (0, -15), output


def _wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"espresso serve exited: {server.stdout.read() if server.stdout else ''}")
        try:
            if httpx.get(f"{base}/nodeinfo/2.1", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("espresso serve did not answer within 60 s")
