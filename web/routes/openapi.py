"""`GET /api/v1/openapi.json`: the admin API described from the same pydantic
schemas that validate its input."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory.event_schema import Event, EventPatch
from directory.space_schema import Space, SpacePatch

__all__ = ["openapi_document", "routes"]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "string", "description": "what is wrong, naming the field"},
        "fields": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _answer(description: str, schema: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema:
        answer["content"] = {"application/json": {"schema": _ref(schema)}}
    return answer


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _answer("error", "Error") for status in statuses}


USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for model in (Space, SpacePatch, Event, EventPatch):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": "Espresso admin API", "version": "1"},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/spaces": {
                "post": {"summary": "Create a local space actor", "requestBody": _json_body("Space"),
                         "responses": {"201": _answer("created", "Space"), **_errors(400, 401, 409, 413, 422)}},
                "get": {"summary": "List local spaces", "responses": {"200": _answer("a list"), **_errors(401)}},
            },
            "/api/v1/spaces/{username}": {
                "parameters": [USERNAME],
                "get": {"summary": "Read a space", "responses": {"200": _answer("the space", "Space"),
                                                                  **_errors(401, 404, 410)}},
                "patch": {"summary": "Update a space (federates Update)", "requestBody": _json_body("SpacePatch"),
                          "responses": {"200": _answer("the space", "Space"), **_errors(400, 401, 404, 413, 422)}},
                "delete": {"summary": "Delete a space (federates Delete)",
                           "responses": {"204": _answer("deleted"), **_errors(401, 404)}},
            },
        },
    }


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


routes = [Route("/api/v1/openapi.json", openapi)]
