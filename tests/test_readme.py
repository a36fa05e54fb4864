"""The README stays in line with the code it documents."""

from __future__ import annotations

from pathlib import Path

from directory.vocabulary import vocabulary_markdown

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme__starts_with_the_demo_then_serve_then_the_tests() -> None:
    blocks = [block.split("```", 1)[0].strip() for block in README.split("```sh\n")[1:4]]
    assert blocks[0] == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/espresso demo"
    assert blocks[1].endswith("espresso serve")
    assert blocks[2] == "bash .ci/run"


def test_readme__vocabulary_tables_match_the_code() -> None:
    section = README.split("<!-- vocabulary:start -->", 1)[1].split("<!-- vocabulary:end -->", 1)[0]
    assert section.strip() == vocabulary_markdown().strip()
