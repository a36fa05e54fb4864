"""docker-compose.yml and its Dockerfile: no Docker engine runs here, so the
file is checked by `docker compose config` where the client has it, and its
shape is checked everywhere."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _compose_command() -> list[str] | None:
    """`docker compose` (v2), else the standalone `docker-compose`, else None."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def test_compose__runs_postgres_a_migration_the_web_process_and_a_worker() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "web", "worker"}
    assert services["migrate"]["command"] == ["espresso", "db", "upgrade"]
    assert services["web"]["command"][:2] == ["espresso", "serve"]
    assert services["worker"]["command"] == ["espresso", "worker"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        environment = services[name]["environment"]
        assert environment["ESPRESSO_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert environment["ESPRESSO_WORKER"] == "external"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose__the_image_installs_every_package_it_runs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("federation", "directory", "web", "migrations"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_compose__docker_compose_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed here (.ci/run installs it)")
    result = subprocess.run([*command, "config", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
