"""mypy (strict, configured in pyproject.toml) passes on every module of federation, directory and web.

mypy checks the three packages whole (``packages`` in ``[tool.mypy]``); the test fails on any
mypy error, grouped by module in the failure message."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("federation", "directory", "web")

_MESSAGE = re.compile(r"^(?P<path>[\w/]+\.py):\d+:(?:\d+:)? (?P<kind>error|note):")


def _messages_by_module(output: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for line in output.splitlines():
        match = _MESSAGE.match(line)
        if match is not None:
            found[match["path"]].append(line)
    return found


def _run_mypy() -> tuple[int, str]:
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


@pytest.mark.slow
def test_typing__mypy_passes_on_every_module() -> None:
    returncode, output = _run_mypy()
    assert returncode in (0, 1), f"mypy did not run:\n{output}"  # 2 is a crash or a bad configuration
    by_module = _messages_by_module(output)
    failures = [line for _, lines in sorted(by_module.items()) for line in lines]
    assert not failures, "mypy errors in " + ", ".join(sorted(by_module)) + ":\n" + "\n".join(failures)
    assert returncode == 0, f"mypy failed:\n{output}"


def test_typing__mypy_is_configured_for_the_three_packages_whole() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert sorted(config["packages"]) == sorted(PACKAGES)
    assert config["strict"] is True
    assert not config.get("exclude"), "every module of the packages is checked"


def test_typing__messages_are_grouped_by_module() -> None:
    output = (
        'web/app.py:3: error: Returning Any from function declared to return "int"  [no-any-return]\n'
        "web/app.py:3: note: See https://mypy.rtfd.io\n"
        "directory/spaces.py:7:12: error: Unused \"type: ignore\" comment  [unused-ignore]\n"
        "Success: no issues found in 1 source file\n"
    )
    assert {path: len(lines) for path, lines in _messages_by_module(output).items()} == {
        "web/app.py": 2, "directory/spaces.py": 1,
    }
