"""`espresso event create` and `espresso event list` as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import _run


def test_cli__event_create_and_list(tmp_path: Path) -> None:
    assert _run(tmp_path, "space", "create", "racale", "--name", "Coworking Racale", "--country", "IT").returncode == 0
    spec = tmp_path / "event.json"
    spec.write_text(json.dumps({"title": "Open day", "starts_at": "2027-09-22T09:30:00+02:00",
                                "timezone": "Europe/Rome"}))
    created = _run(tmp_path, "event", "create", "racale", "--file", str(spec))
    assert created.returncode == 0, created.stderr
    assert "http://127.0.0.1:8000/users/racale/events/1" in created.stdout
    listed = _run(tmp_path, "event", "list", "racale")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split("\t")[:4] == ["1", "2027-09-22T09:30:00+02:00", "scheduled", "Open day"]


def test_cli__event_bad_input_exits_2_naming_the_field(tmp_path: Path) -> None:
    assert _run(tmp_path, "space", "create", "racale", "--name", "Coworking Racale", "--country", "IT").returncode == 0
    spec = tmp_path / "event.json"
    spec.write_text(json.dumps({"title": "Open day", "starts_at": "2027-09-22T09:30:00"}))
    failed = _run(tmp_path, "event", "create", "racale", "--file", str(spec))
    assert failed.returncode == 2 and "starts_at" in failed.stderr
    missing = _run(tmp_path, "event", "list", "nobody")
    assert missing.returncode == 2 and "nobody" in missing.stderr
