"""Offline JSON-LD checks: expand our documents with only the contexts a strict
peer (Fedify 2.x) has preloaded, and walk the compact and expanded forms side
by side so a term that a processor would drop fails the test."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pyld import jsonld

JSONLD_DIR = Path(__file__).parent / "data" / "jsonld"
# The only contexts a strict peer (Fedify 2.x) has preloaded that our documents may name.
LOCAL_CONTEXTS = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "https://w3id.org/security/v1": "security-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
}


def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    name = LOCAL_CONTEXTS.get(url.rstrip("/").replace("http://", "https://", 1))
    if name is None:
        raise AssertionError(f"the document references a context no strict peer has preloaded: {url}")
    path = JSONLD_DIR / name
    if not path.exists():
        raise AssertionError(f"missing JSON-LD context file {path} (needed for {url})")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(path.read_text("utf-8"))}


def expand(document: dict[str, Any]) -> dict[str, Any]:
    [expanded] = jsonld.expand(document, {"documentLoader": offline_loader})
    return expanded  # type: ignore[no-any-return]


def assert_every_term_expanded(compact: dict[str, Any], expanded: dict[str, Any], *,
                               aliases: Mapping[str, str], opaque: Collection[str] = (), path: str = "") -> None:
    """Each compact key must reach an absolute IRI (`aliases`: terms whose IRI's local name differs;
    `opaque`: keys whose values are not walked, e.g. language maps)."""
    for key, value in compact.items():
        where = f"{path}.{key}".lstrip(".")
        if key == "@context":
            continue
        if key in ("id", "type"):
            assert f"@{key}" in expanded, f"{where} was dropped"
            continue
        local = aliases.get(key, key)
        matches = [iri for iri in expanded if iri.startswith("http") and iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1] == local]
        assert matches, f"term {where!r} was dropped or expanded to a blank node: {sorted(expanded)}"
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            if isinstance(item, dict) and key not in opaque:
                assert_every_term_expanded(item, expanded[matches[0]][index], aliases=aliases, opaque=opaque,
                                           path=f"{where}[{index}]")
    for item_type in expanded.get("@type", []):
        assert item_type.startswith("http"), f"type {item_type!r} at {path or 'top'} is not an IRI"
