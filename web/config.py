"""Settings: read once from the environment (or a `.env` file) into a frozen
object that is passed down. The only module that reads the environment."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = ["ConfigError", "Settings", "load_settings", "read_env_file"]


DEFAULT_DOMAIN = "127.0.0.1:8000"
_DOMAIN_RE = re.compile(r"^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    domain: str = DEFAULT_DOMAIN
    scheme: str = "http"
    database_url: str = "sqlite+aiosqlite:///./data/espresso.db"
    data_dir: Path = Path("./data")
    allow_private_addresses: bool = False
    directory: bool = False
    worker: str = "inprocess"
    secret_key: str | None = None
    instance_name: str = "Espresso"
    # True when ESPRESSO_DOMAIN was not set: `serve` warns that such an instance only federates locally.
    domain_is_default: bool = False
    max_body_bytes: int = 1_048_576
    max_image_bytes: int = 8 * 1_048_576
    # Directory: the map's tile URL template, and how long a space on an unreachable instance stays listed.
    map_tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    directory_hide_unreachable_days: int = 7
    # Hub: follow requests wait for an operator; minutes between crawls; seconds between requests to one host.
    directory_moderated: bool = False
    directory_crawl_minutes: int = 360
    directory_crawl_delay: float = 1.0
    # Set by tests and the demo; never read from the environment.
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines of a `.env` file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_settings(environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")) -> Settings:
    """Build Settings from `.env` overlaid by the environment; fail naming the bad setting."""
    values = read_env_file(env_file) if env_file is not None else {}
    values.update(os.environ if environ is None else environ)

    domain = values.get("ESPRESSO_DOMAIN", DEFAULT_DOMAIN).strip()
    if not _DOMAIN_RE.match(domain):
        raise ConfigError(f"ESPRESSO_DOMAIN must be host or host:port, got {domain!r}")
    scheme = values.get("ESPRESSO_SCHEME") or ("http" if _is_loopback_domain(domain) else "https")
    if scheme not in ("http", "https"):
        raise ConfigError(f"ESPRESSO_SCHEME must be 'http' or 'https', got {scheme!r}")

    data_dir = Path(values.get("ESPRESSO_DATA_DIR", "./data"))
    database_url = values.get("ESPRESSO_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'espresso.db'}"
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError(
            "ESPRESSO_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://, "
            f"got {database_url.split('://')[0]!r}"
        )
    worker = values.get("ESPRESSO_WORKER", "inprocess")
    if worker not in ("inprocess", "external"):
        raise ConfigError(f"ESPRESSO_WORKER must be 'inprocess' or 'external', got {worker!r}")
    return Settings(
        domain=domain,
        scheme=scheme,
        database_url=database_url,
        data_dir=data_dir,
        allow_private_addresses=_flag(values, "ESPRESSO_ALLOW_PRIVATE_ADDRESSES"),
        directory=_flag(values, "ESPRESSO_DIRECTORY"),
        directory_moderated=_flag(values, "ESPRESSO_DIRECTORY_MODERATED"),
        worker=worker,
        secret_key=values.get("ESPRESSO_SECRET_KEY") or None,
        instance_name=values.get("ESPRESSO_INSTANCE_NAME", "Espresso").strip() or "Espresso",
        map_tiles=values.get("ESPRESSO_MAP_TILES", "").strip() or Settings.map_tiles,
        directory_hide_unreachable_days=_days(values, "ESPRESSO_DIRECTORY_HIDE_UNREACHABLE_DAYS", 7),
        domain_is_default="ESPRESSO_DOMAIN" not in values,
    )


def _days(values: Mapping[str, str], key: str, default: int) -> int:
    raw = values.get(key, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 365:
        raise ConfigError(f"{key} must be a number of days from 1 to 365, got {raw!r}")
    return int(raw)


def _flag(values: Mapping[str, str], key: str) -> bool:
    raw = values.get(key, "0").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{key} must be 1 or 0, got {raw!r}")


def _is_loopback_domain(domain: str) -> bool:
    host = domain.rsplit(":", 1)[0] if not domain.startswith("[") else domain[1 : domain.index("]")]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
