"""`GET /api/v1/openapi.json`: every admin and public endpoint under `/api/v1`, described
from the same pydantic schemas that validate their input.

Bodies the API reads are the pydantic models themselves (`Space`, `SpacePatch`, `Event`,
`EventPatch`, `PostInput`); what it answers is the input model plus the fields the
server adds, written here with `allOf`. `tests/web/test_openapi.py` walks the app's
routes and fails when one is missing from this document."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from directory.event_schema import Event, EventPatch
from directory.posts import PostInput
from directory.space_schema import Space, SpacePatch

__all__ = ["openapi_document", "routes"]

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "a short code: bad_request, invalid, not_found, gone..."},
        "detail": {"type": "string", "description": "what is wrong, naming the field"},
        "fields": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
_STR = {"type": "string"}
_NULLABLE_STR = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_ORIGIN = {
    "type": "object", "required": ["instance", "actor_id"],
    "properties": {"instance": {"type": "string", "description": "host[:port] of the actor's id"},
                   "actor_id": {"type": "string", "format": "uri"},
                   "listed_via": {"type": ["string", "null"], "description": "the hub or network actor that listed it"}},
}
_DELIVERY = {
    "type": "object", "description": "counted per remote inbox",
    "properties": {"delivered": {"type": "integer"}, "pending": {"type": "integer"}, "failed": {"type": "integer"}},
}
_MEDIA = {"type": ["object", "null"], "properties": {"url": {"type": "string", "format": "uri"},
                                                     "media_type": {"type": "string"}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _extends(base: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"allOf": [_ref(base), _object(properties)]}


# What the server answers, beyond the input it validated.
RESPONSE_SCHEMAS: dict[str, Any] = {
    "SpaceView": _extends("Space", {
        "actor_id": {"type": "string", "format": "uri"}, "handle": {"type": "string", "description": "@user@host"},
        "url": {"type": "string", "format": "uri"}, "icon": _MEDIA, "image": _MEDIA,
        "created_at": _TIME, "updated_at": _TIME}),
    "EventView": _extends("Event", {
        "id": {"type": "integer"}, "object_id": {"type": "string", "format": "uri"},
        "page_url": {"type": "string", "format": "uri"}, "ics_url": {"type": "string", "format": "uri"},
        "sequence": {"type": "integer"}, "created_at": _TIME, "updated_at": _TIME, "delivery": _ref("Delivery")}),
    "PostView": _object({
        "id": {"type": "integer"}, "content": {"type": "string", "description": "the Markdown as written"},
        "content_html": {"type": "string"}, "object_id": {"type": "string", "format": "uri"},
        "page_url": {"type": "string", "format": "uri"},
        "mentions": {"type": "array", "items": _object({"name": _STR, "actor_id": _STR})},
        "created_at": _TIME, "delivery": _ref("Delivery")}, ["id", "content", "object_id"]),
    "ReceivedItem": _object({
        "id": {"type": "integer"}, "type": {"enum": ["Note", "Event"]}, "object_id": _STR, "attributed_to": _STR,
        "origin": {"type": "string", "description": "the host it came from"}, "received_at": _TIME,
        "updated_at": _TIME, "name": _NULLABLE_STR, "summary": _NULLABLE_STR, "content": _STR, "url": _NULLABLE_STR,
        "starts_at": _NULLABLE_TIME, "ends_at": _NULLABLE_TIME, "timezone": _NULLABLE_STR, "status": _NULLABLE_STR,
        "location": {"type": ["object", "null"]}, "online_url": _NULLABLE_STR, "published": _NULLABLE_TIME,
    }, ["type", "object_id", "attributed_to", "origin", "received_at"]),
    "FollowItem": _object({
        "id": {"type": "integer"}, "actor_id": _NULLABLE_STR, "handle": _NULLABLE_STR,
        "target": {"type": "string", "description": "as given (following only)"},
        "state": {"enum": ["pending", "accepted", "rejected", "failed"]},
        "error": {"type": ["string", "null"], "description": "why it failed"}}, ["actor_id", "handle", "state", "error"]),
    "FollowTarget": _object({"target": {"type": "string", "description": "@user@host or an actor URL"}}, ["target"]),
    "Block": _object({"id": {"type": "integer"}, "actor_id": _NULLABLE_STR, "domain": _NULLABLE_STR,
                      "created_at": _TIME}, ["id"]),
    "BlockInput": _object({"actor": {"type": "string", "description": "@user@host or an actor URL"},
                           "domain": {"type": "string", "description": "example.org"}}),
    "ImageUploaded": {"type": "object", "description": "keyed by the kind uploaded: icon or image",
                      "additionalProperties": _MEDIA},
    "Delivery": _DELIVERY,
    "DirectoryFollowTarget": _object({"target": {
        "type": "string", "description": "@user@host, an actor URL or an instance URL"}}, ["target"]),
    "DirectoryFollowResult": _object({
        "target": _STR, "kind": {"type": "string", "description": "instance, or the kind of actor followed"},
        "followed": {"type": "array", "items": _ref("FollowItem")}}, ["target", "kind", "followed"]),
    "Origin": _ORIGIN,
    "DirectorySpace": _object({
        "actor_id": _STR, "handle": _STR, "name": _STR, "summary": _NULLABLE_STR,
        "address": {"type": "object"}, "geo": {"type": ["object", "null"]}, "timezone": _NULLABLE_STR,
        "opening_hours": {"type": "array"}, "open_now": {"type": ["boolean", "null"]},
        "amenities": {"type": "array", "items": _STR}, "prices": {"type": "array"},
        "seats": {"type": ["integer", "null"]}, "languages": {"type": "array", "items": _STR},
        "tags": {"type": "array", "items": _STR}, "url": _STR, "website": _NULLABLE_STR, "icon": _NULLABLE_STR,
        "reachable": {"type": "boolean"}, "last_seen_at": _TIME, "distance_km": {"type": "number"},
        "origin": _ref("Origin")}, ["actor_id", "name", "origin"]),
    "DirectoryEvent": _object({
        "object_id": _STR, "title": _STR, "description": _NULLABLE_STR, "starts_at": _TIME, "ends_at": _NULLABLE_TIME,
        "timezone": _NULLABLE_STR,
        "location": {"oneOf": [{"const": "online"}, {"type": "object", "description": "an address with name and geo"}]},
        "online_url": _NULLABLE_STR, "url": _STR, "status": {"enum": ["scheduled", "cancelled", "postponed"]},
        "space": _object({"name": _STR, "handle": _STR, "actor_id": _STR}), "origin": _ref("Origin"),
    }, ["object_id", "title", "starts_at", "space", "origin"]),
}


def _json_body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _answer(description: str, schema: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema:
        answer["content"] = {"application/json": {"schema": _ref(schema)}}
    return answer


def _list_of(description: str, item: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _object({
        "items": {"type": "array", "items": _ref(item)},
        "next": {"type": ["string", "null"], "description": "the next page's URL"}}, ["items", "next"])}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _answer(_ERROR_TEXT[status], "Error") for status in statuses}


_ERROR_TEXT = {400: "bad input (a query parameter)", 401: "no or a wrong token", 403: "forbidden",
               404: "no such space or item", 409: "conflict", 410: "deleted", 413: "body too large",
               422: "invalid fields, each named", 502: "the remote server failed"}


def _path(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


def _query(name: str, description: str, *, repeat: bool = False, schema: dict[str, Any] | None = None,
           required: bool = False) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": required, "description": description,
                             "schema": {"type": "array", "items": schema or _STR} if repeat else schema or _STR}
    if repeat:
        param |= {"style": "form", "explode": True}
    return param


USERNAME = _path("username", "the local space")
CURSOR = _query("cursor", "from the previous page's `next`")
LIMIT = _query("limit", "items per page", schema={"type": "integer", "minimum": 1, "maximum": 200})
PUBLIC: list[dict[str, Any]] = []  # `security` of the endpoints that need no token


def _space_paths() -> dict[str, Any]:
    image = {
        "summary": "Upload the logo (icon, cropped 400×400) or header image (image, 1500×500)",
        "description": "PNG, JPEG or WebP up to 8 MiB, as the raw body or the `file` part of a multipart form; "
                       "federates `Update` of the actor.",
        "requestBody": {"required": True, "content": {
            "image/png": {"schema": {"type": "string", "format": "binary"}},
            "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            "image/webp": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {"schema": _object({"file": {"type": "string", "format": "binary"}}, ["file"])}}},
        "responses": {"200": _answer("the stored image", "ImageUploaded"), **_errors(400, 401, 404, 410, 413, 422)},
    }
    return {
        "/api/v1/spaces": {
            "post": {"summary": "Create a local space actor", "requestBody": _json_body("Space"),
                     "responses": {"201": _answer("created", "SpaceView"), **_errors(400, 401, 409, 413, 422)}},
            "get": {"summary": "List local spaces", "responses": {"200": _list_of("the spaces", "SpaceView"),
                                                                  **_errors(401)}},
        },
        "/api/v1/spaces/{username}": {
            "parameters": [USERNAME],
            "get": {"summary": "Read a space", "responses": {"200": _answer("the space", "SpaceView"),
                                                              **_errors(401, 404, 410)}},
            "patch": {"summary": "Update a space (federates Update)", "requestBody": _json_body("SpacePatch"),
                      "responses": {"200": _answer("the space", "SpaceView"),
                                    **_errors(400, 401, 404, 410, 413, 422)}},
            "delete": {"summary": "Delete a space (federates Delete; the actor then answers 410)",
                       "responses": {"204": _answer("deleted"), **_errors(401, 404, 410)}},
        },
        "/api/v1/spaces/{username}/icon": {"parameters": [USERNAME], "put": image},
        "/api/v1/spaces/{username}/image": {"parameters": [USERNAME], "put": image},
    }


def _event_and_post_paths() -> dict[str, Any]:
    event_id = _path("event_id", "the event's `id`", {"type": "integer"})
    post_id = _path("post_id", "the post's `id`", {"type": "integer"})
    return {
        "/api/v1/spaces/{username}/events": {
            "parameters": [USERNAME],
            "post": {"summary": "Publish an event (federates Create)", "requestBody": _json_body("Event"),
                     "responses": {"201": _answer("created", "EventView"), **_errors(400, 401, 404, 410, 413, 422)}},
            "get": {"summary": "List the space's events, newest first", "parameters": [CURSOR],
                    "responses": {"200": _list_of("events", "EventView"), **_errors(400, 401, 404, 410)}},
        },
        "/api/v1/spaces/{username}/events/{event_id}": {
            "parameters": [USERNAME, event_id],
            "get": {"summary": "Read an event with its delivery counts",
                    "responses": {"200": _answer("the event", "EventView"), **_errors(401, 404, 410)}},
            "patch": {"summary": "Change an event (federates Update; {\"status\": \"cancelled\"} cancels). "
                                 "A cancelled, postponed, rescheduled or moved event also posts a news Note.",
                      "requestBody": _json_body("EventPatch"),
                      "responses": {"200": _answer("the event", "EventView"),
                                    **_errors(400, 401, 404, 410, 413, 422)}},
            "delete": {"summary": "Delete an event (federates Delete; its id then answers a Tombstone, 410)",
                       "responses": {"204": _answer("deleted"), **_errors(401, 404, 410)}},
        },
        "/api/v1/spaces/{username}/posts": {
            "parameters": [USERNAME],
            "post": {"summary": "Publish a news post (a Note) to followers and the mentioned",
                     "requestBody": _json_body("PostInput"),
                     "responses": {"201": _answer("created", "PostView"), **_errors(400, 401, 404, 410, 413, 422)}},
            "get": {"summary": "List the space's posts, newest first", "parameters": [CURSOR],
                    "responses": {"200": _list_of("posts", "PostView"), **_errors(400, 401, 404, 410)}},
        },
        "/api/v1/spaces/{username}/posts/{post_id}": {
            "parameters": [USERNAME, post_id],
            "get": {"summary": "Read a post with its delivery counts",
                    "responses": {"200": _answer("the post", "PostView"), **_errors(401, 404, 410)}},
            "patch": {"summary": "Edit a post (federates Update(Note))", "requestBody": _json_body("PostInput"),
                      "responses": {"200": _answer("the post", "PostView"), **_errors(400, 401, 404, 410, 413, 422)}},
            "delete": {"summary": "Delete a post (federates Delete; its id then answers a Tombstone, 410)",
                       "responses": {"204": _answer("deleted"), **_errors(401, 404, 410)}},
        },
        "/api/v1/spaces/{username}/received": {
            "parameters": [USERNAME],
            "get": {"summary": "What reached this space: news and events of those it follows, posts mentioning it",
                    "parameters": [_query("type", "only Notes or only Events", schema={"enum": ["Note", "Event"]}),
                                   CURSOR],
                    "responses": {"200": _list_of("received items", "ReceivedItem"),
                                  **_errors(400, 401, 404, 410, 422)}},
        },
    }


def _follow_paths() -> dict[str, Any]:
    request_id = _path("id", "the follow request's `id`", {"type": "integer"})
    decide: dict[str, Any] = {"parameters": [USERNAME, request_id], "post": {
        "responses": {"200": _answer("the follower", "FollowItem"), **_errors(401, 404, 409, 410)}}}
    return {
        "/api/v1/spaces/{username}/following": {
            "parameters": [USERNAME],
            "post": {"summary": "Follow another actor (pending until its Accept arrives)",
                     "requestBody": _json_body("FollowTarget"),
                     "responses": {"202": _answer("the follow, pending", "FollowItem"),
                                   **_errors(400, 401, 404, 409, 410, 413, 422, 502)}},
            "delete": {"summary": "Unfollow (Undo(Follow))",
                       "parameters": [_query("target", "@user@host or the actor URL", required=True)],
                       "responses": {"202": _answer("unfollowed"), **_errors(400, 401, 404, 410)}},
            "get": {"summary": "Whom the space follows, with state", "parameters": [CURSOR, LIMIT],
                    "responses": {"200": _list_of("follows", "FollowItem"), **_errors(400, 401, 404, 410)}},
        },
        "/api/v1/spaces/{username}/followers": {
            "parameters": [USERNAME],
            "get": {"summary": "The space's followers, with state", "parameters": [CURSOR, LIMIT],
                    "responses": {"200": _list_of("followers", "FollowItem"), **_errors(400, 401, 404, 410)}},
        },
        "/api/v1/spaces/{username}/follow-requests": {
            "parameters": [USERNAME],
            "get": {"summary": "Pending follow requests (spaces that approve followers by hand)",
                    "parameters": [CURSOR, LIMIT],
                    "responses": {"200": _list_of("pending followers", "FollowItem"), **_errors(400, 401, 404, 410)}},
        },
        "/api/v1/spaces/{username}/follow-requests/{id}/accept": {
            **decide, "post": {"summary": "Accept a follow request (sends Accept)", **decide["post"]}},
        "/api/v1/spaces/{username}/follow-requests/{id}/reject": {
            **decide, "post": {"summary": "Reject a follow request (sends Reject)", **decide["post"]}},
    }


def _block_paths() -> dict[str, Any]:
    return {
        "/api/v1/blocks": {
            "get": {"summary": "Instance-wide blocks", "responses": {"200": _list_of("blocks", "Block"),
                                                                      **_errors(401)}},
            "post": {"summary": "Block an actor or a whole domain (give exactly one)",
                     "requestBody": _json_body("BlockInput"),
                     "responses": {"201": _answer("the block", "Block"), **_errors(400, 401, 409, 413, 422)}},
        },
        "/api/v1/blocks/{id}": {
            "parameters": [_path("id", "the block's `id`", {"type": "integer"})],
            "delete": {"summary": "Lift a block", "responses": {"204": _answer("lifted"), **_errors(401, 404)}},
        },
    }


def _directory_paths() -> dict[str, Any]:
    common = {"security": PUBLIC, "tags": ["public"]}
    return {
        "/api/v1/directory/spaces": {"get": {
            **common, "summary": "Search the directory's spaces (no token)",
            "parameters": [
                _query("q", "full-text search"),
                _query("country", "ISO 3166-1 alpha-2 code"), _query("region", "region"), _query("city", "city"),
                _query("amenity", "an amenity of the vocabulary; all given must match", repeat=True),
                _query("price_kind", "a price kind, e.g. day_pass (with max_price)"),
                _query("max_price", "the most that price may cost", schema={"type": "number"}),
                _query("currency", "ISO 4217 code of max_price"),
                _query("open_now", "only spaces open now", schema={"type": "boolean"}),
                _query("language", "a language spoken (repeatable)", repeat=True),
                _query("near", "lat,lon: nearest first"),
                _query("radius_km", "with near", schema={"type": "number"}),
                _query("bbox", "minlat,minlon,maxlat,maxlon"),
                CURSOR, LIMIT,
            ],
            "responses": {"200": _list_of("matching spaces", "DirectorySpace"), **_errors(400)},
        }},
        "/api/v1/directory/events": {"get": {
            **common, "summary": "Upcoming events of the directory's spaces, soonest first (no token)",
            "parameters": [
                _query("from", "a date (2027-09-22) or a time with offset"),
                _query("to", "a date or a time with offset, not before from"),
                _query("q", "full-text search"), _query("country", "ISO 3166-1 alpha-2 code"),
                _query("city", "city"), _query("space", "a space's handle or actor id"), CURSOR, LIMIT,
            ],
            "responses": {"200": _list_of("events", "DirectoryEvent"), **_errors(400)},
        }},
        "/api/v1/directory/follows": {"post": {
            "summary": "On a directory hub: follow a space, an instance or a partner directory",
            "description": "404 unless the instance runs with ESPRESSO_DIRECTORY=1.",
            "requestBody": _json_body("DirectoryFollowTarget"),
            "responses": {"202": _answer("what is now followed", "DirectoryFollowResult"),
                          **_errors(400, 401, 404, 413, 422, 502)},
        }},
        "/api/v1/openapi.json": {"get": {
            **common, "summary": "This document",
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {
                "schema": {"type": "object"}}}}},
        }},
    }


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for model in (Space, SpacePatch, Event, EventPatch, PostInput):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    schemas.update(RESPONSE_SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Espresso API", "version": "1",
                 "description": "The admin API (Bearer token) and the public directory API of an Espresso instance."},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {**_space_paths(), **_event_and_post_paths(), **_follow_paths(), **_block_paths(),
                  **_directory_paths()},
    }


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


routes = [Route("/api/v1/openapi.json", openapi)]
