from __future__ import annotations

from pathlib import Path

import pytest

from web.config import ConfigError, load_settings


def test_settings__defaults_are_an_embedded_loopback_instance() -> None:
    settings = load_settings({}, env_file=None)
    assert settings.domain == "127.0.0.1:8000"
    assert settings.scheme == "http"
    assert settings.database_url == "sqlite+aiosqlite:///data/espresso.db"
    assert settings.allow_private_addresses is False
    assert settings.worker == "inprocess"
    assert settings.domain_is_default is True
    assert load_settings({"ESPRESSO_DOMAIN": "cowo.example"}, env_file=None).domain_is_default is False


def test_settings__public_domain_defaults_to_https() -> None:
    settings = load_settings({"ESPRESSO_DOMAIN": "cowo.example"}, env_file=None)
    assert settings.base_url == "https://cowo.example"


def test_settings__env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nESPRESSO_DOMAIN=cowo.example\nexport ESPRESSO_DIRECTORY='1'\n")
    settings = load_settings({"ESPRESSO_DOMAIN": "other.example"}, env_file=env)
    assert settings.domain == "other.example"
    assert settings.directory is True


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ESPRESSO_DOMAIN", "not a domain/"),
        ("ESPRESSO_SCHEME", "ftp"),
        ("ESPRESSO_DATABASE_URL", "mysql://x"),
        ("ESPRESSO_WORKER", "threads"),
        ("ESPRESSO_ALLOW_PRIVATE_ADDRESSES", "maybe"),
        ("ESPRESSO_DIRECTORY", "2"),
    ],
)
def test_settings__malformed_setting_is_named(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings({key: value}, env_file=None)


def test_settings__malformed_env_file_line_is_named(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ESPRESSO_DOMAIN\n")
    with pytest.raises(ConfigError, match=r"\.env:1"):
        load_settings({}, env_file=env)


def test_settings__private_addresses_are_never_implied() -> None:
    settings = load_settings({"ESPRESSO_DOMAIN": "127.0.0.1:9000", "ESPRESSO_DIRECTORY": "1"}, env_file=None)
    assert settings.allow_private_addresses is False
