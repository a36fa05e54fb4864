"""What an instance needs before it starts: its data folder, secret key and schema."""

from __future__ import annotations

import secrets
from pathlib import Path

from .config import Settings
from .migrate import upgrade

__all__ = ["prepare_data_dir", "prepare_database", "secret_key"]


def prepare_data_dir(settings: Settings) -> Path:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.database_url.startswith("sqlite"):
        path = settings.database_url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return settings.data_dir


def secret_key(settings: Settings) -> str:
    """ESPRESSO_SECRET_KEY, or one generated into the data folder on first start."""
    if settings.secret_key:
        return settings.secret_key
    path = prepare_data_dir(settings) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


async def prepare_database(settings: Settings) -> None:
    """Create the data folder and apply pending migrations."""
    prepare_data_dir(settings)
    await upgrade(settings.database_url)
