"""`GET /api/v1/openapi.json` describes every endpoint under `/api/v1`, and only those;
its structure holds (every `$ref` resolves, every path parameter is declared)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Route

from tests.servers import Instance
from web.app import create_app
from web.config import Settings
from web.routes.openapi import openapi_document

PUBLIC_PATHS = {"/api/v1/directory/spaces", "/api/v1/directory/events", "/api/v1/openapi.json"}
METHODS = {"get", "put", "post", "patch", "delete"}
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


def _api_routes(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    found = set()
    for route in routes:
        if isinstance(route, Route) and route.path.startswith("/api/v1"):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method.lower(), route.path))
    return found


def _app_routes(tmp_path: Path) -> list[BaseRoute]:
    settings = Settings(domain="127.0.0.1:9", scheme="http", database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db",
                        data_dir=tmp_path, allow_private_addresses=True, secret_key="x", instance_name="x",
                        worker="external")
    return list(create_app(settings).routes)


def _sample(template: str) -> str:
    """A concrete URL for a documented path: `{username}` → `racale`, any id → `1`."""
    return _PARAM.sub(lambda m: "racale" if m[1] == "username" else "1", template)


def _documented_match(route_path: str, method: str, paths: dict[str, Any], routes: list[BaseRoute]) -> bool:
    route = next(r for r in routes if isinstance(r, Route) and r.path == route_path and method.upper() in (r.methods or ()))
    return any(method in operations and route.path_regex.fullmatch(_sample(path))
               for path, operations in paths.items())


def test_openapi__every_api_route_is_documented(tmp_path: Path) -> None:
    routes = _app_routes(tmp_path)
    paths = openapi_document()["paths"]
    missing = sorted(f"{m.upper()} {p}" for m, p in _api_routes(routes) if not _documented_match(p, m, paths, routes))
    assert not missing, f"routes missing from openapi.json: {missing}"


def test_openapi__documents_only_routes_that_exist(tmp_path: Path) -> None:
    routes = [r for r in _app_routes(tmp_path) if isinstance(r, Route)]
    for path, operations in openapi_document()["paths"].items():
        for method in set(operations) & METHODS:
            served = [r for r in routes if r.path_regex.fullmatch(_sample(path))
                      and method.upper() in (r.methods or ())]
            assert served, f"{method.upper()} {path} is documented but not served"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_openapi__structure_holds() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1") and {"title", "version"} <= set(document["info"])
    refs = _refs(document)
    assert refs and all(_resolve(document, ref) is not None for ref in refs)
    assert set(document["components"]["securitySchemes"]) == {"bearer"}
    for path, item in document["paths"].items():
        assert path.startswith("/api/v1/")
        for method, operation in item.items():
            if method not in METHODS:
                continue
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation["responses"], f"{method} {path} has no responses"
            for status, answer in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status) and answer.get("description"), (method, path, status)
            declared = {p["name"] for p in [*item.get("parameters", []), *operation.get("parameters", [])]
                        if p["in"] == "path"}
            assert declared == set(_PARAM.findall(path)), f"{method} {path}: path parameters {declared}"
            if "requestBody" in operation:
                assert operation["requestBody"]["content"], (method, path)
            if path in PUBLIC_PATHS:
                assert operation.get("security") == [], f"{method} {path} is public"
            else:
                assert {"401"} <= set(operation["responses"]), f"{method} {path} needs a token"


def test_openapi__request_bodies_come_from_the_pydantic_models() -> None:
    schemas = openapi_document()["components"]["schemas"]
    assert {"title", "starts_at"} <= set(schemas["Event"]["required"])
    assert "content" in schemas["PostInput"]["properties"] and "username" in schemas["Space"]["required"]
    assert set(schemas["Event"]["properties"]) <= set(schemas["EventPatch"]["properties"]) | {"username"}


async def test_openapi__served_and_responses_match_their_schemas(instance: Instance) -> None:
    served = await instance.client.get("/api/v1/openapi.json", headers={"Authorization": ""})
    assert served.status_code == 200 and served.json() == openapi_document()
    schemas = served.json()["components"]["schemas"]
    await instance.create_space("racale")
    post = (await instance.client.post("/api/v1/spaces/racale/posts", json={"content": "Ciao"})).json()
    read_post = (await instance.client.get(f"/api/v1/spaces/racale/posts/{post['id']}")).json()
    assert set(read_post) <= set(schemas["PostView"]["properties"])
    space = (await instance.client.get("/api/v1/spaces/racale")).json()
    assert set(space) <= set(schemas["Space"]["properties"]) | set(schemas["SpaceView"]["allOf"][1]["properties"])
    error = (await instance.client.get("/api/v1/spaces/nobody")).json()
    assert set(schemas["Error"]["required"]) <= set(error)
    for path in PUBLIC_PATHS:  # what the document calls public answers without a token
        assert (await instance.client.get(path, headers={"Authorization": ""})).status_code == 200, path
    assert (await instance.client.get("/api/v1/spaces", headers={"Authorization": ""})).status_code == 401
