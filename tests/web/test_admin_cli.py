"""`espresso admin create EMAIL --password-stdin`: the first administrator from the shell."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from federation.clock import SystemClock
from federation.db import Database
from web.admin.accounts import AdminAccounts
from web.cli import main


async def test_admin_create__from_stdin_then_refuses_bad_input(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ESPRESSO_DATABASE_URL", database_url)
    monkeypatch.setenv("ESPRESSO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    import asyncio

    # main() runs its own event loop, so it goes to a thread.
    assert await asyncio.to_thread(main, ["admin", "create", "Ada@Example.org", "--password-stdin"]) == 0
    assert "created administrator ada@example.org" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert await asyncio.to_thread(main, ["admin", "create", "bob@example.org", "--password-stdin"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    db = Database(database_url)
    try:
        accounts = AdminAccounts(db, SystemClock())
        admin = await accounts.authenticate("ada@example.org", "correct horse battery", "127.0.0.1")
        assert admin.all_spaces
    finally:
        await db.dispose()
