"""A small, real ActivityPub host on loopback for inbox and key tests.

It serves actor documents (with their RSA keys), WebFinger and any other
objects put in `objects` (at their ids, `/objects/...`), records what its
inboxes receive, and signs activities as any of its actors, with either
signature scheme. Actors and objects can be made to answer 410 (deleted);
actors can rotate keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.keys import PrivateKeyObject, generate_rsa_key, public_key_to_pem
from federation.signatures import sign_cavage, sign_rfc9421

from ..servers import ServerThread, bound_socket

AS2 = "https://www.w3.org/ns/activitystreams"


@dataclass
class RemoteActorSpec:
    name: str
    key: PrivateKeyObject
    key_fragment: str = "main-key"
    display_name: str = ""
    # More fields of the actor document (a `location`, `discoverable`...).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RemoteHost:
    port: int
    actors: dict[str, RemoteActorSpec] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    received: list[dict[str, Any]] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # by the path after /objects/

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add_actor(self, name: str, display_name: str = "") -> RemoteActorSpec:
        spec = RemoteActorSpec(name, generate_rsa_key(), display_name=display_name or name.title())
        self.actors[name] = spec
        return spec

    def actor_id(self, name: str) -> str:
        return f"{self.base_url}/users/{name}"

    def key_id(self, name: str) -> str:
        return f"{self.actor_id(name)}#{self.actors[name].key_fragment}"

    def rotate_key(self, name: str) -> None:
        spec = self.actors[name]
        spec.key = generate_rsa_key()
        spec.key_fragment = spec.key_fragment + "2"

    def object_id(self, path: str) -> str:
        return f"{self.base_url}/objects/{path}"

    def document(self, name: str) -> dict[str, Any]:
        spec = self.actors[name]
        actor_id = self.actor_id(name)
        return {
            "@context": [AS2, "https://w3id.org/security/v1"],
            "id": actor_id,
            "type": "Person",
            "preferredUsername": name,
            "name": spec.display_name,
            "summary": "<p>Hello <script>alert(1)</script>there</p>",
            "inbox": f"{actor_id}/inbox",
            "outbox": f"{actor_id}/outbox",
            "endpoints": {"sharedInbox": f"{self.base_url}/inbox"},
            "publicKey": {"id": self.key_id(name), "owner": actor_id,
                          "publicKeyPem": public_key_to_pem(spec.key.public_key())},
            **spec.extra,
        }

    def signed_post(
        self,
        url: str,
        activity: dict[str, Any] | bytes,
        *,
        signer: str,
        scheme: Literal["cavage", "rfc9421"] = "cavage",
        now: datetime | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of an inbox POST signed by ``signer``."""
        body = activity if isinstance(activity, bytes) else orjson.dumps(activity)
        headers = {"Content-Type": "application/activity+json"}
        sign = sign_rfc9421 if scheme == "rfc9421" else sign_cavage
        headers.update(sign(method="POST", url=url, headers=headers, body=body, key_id=self.key_id(signer),
                            private_key=self.actors[signer].key, now=now or datetime.now(timezone.utc)))
        return body, headers

    def app(self) -> Starlette:
        async def actor(request: Request) -> Response:
            name = request.path_params["name"]
            return _answer(self.document(name) if name in self.actors else None, gone=name in self.gone)

        async def webfinger(request: Request) -> Response:
            resource = request.query_params.get("resource", "")
            name = resource.removeprefix("acct:").split("@", 1)[0]
            if name not in self.actors or name in self.gone:
                return Response(status_code=404)
            body = {"subject": f"acct:{name}@{self.domain}",
                    "links": [{"rel": "self", "type": "application/activity+json", "href": self.actor_id(name)}]}
            return Response(orjson.dumps(body), media_type="application/jrd+json")

        async def inbox(request: Request) -> Response:
            self.received.append(orjson.loads(await request.body()))
            return Response(status_code=202)

        async def served_object(request: Request) -> Response:
            path = request.path_params["path"]
            return _answer(self.objects.get(path), gone=path in self.gone)

        return Starlette(routes=[
            Route("/users/{name}", actor),
            Route("/.well-known/webfinger", webfinger),
            Route("/users/{name}/inbox", inbox, methods=["POST"]),
            Route("/inbox", inbox, methods=["POST"]),
            Route("/objects/{path:path}", served_object),
        ])


def _answer(document: dict[str, Any] | None, *, gone: bool) -> Response:
    """A document as ActivityPub servers serve it: 410 with a Tombstone once deleted, 404 if unknown."""
    if gone:
        return Response(b'{"type":"Tombstone"}', status_code=410, media_type="application/activity+json")
    if document is None:
        return Response(status_code=404)
    return Response(orjson.dumps(document), media_type="application/activity+json")


@contextmanager
def remote_host() -> Iterator[RemoteHost]:
    sock = bound_socket()
    host = RemoteHost(port=sock.getsockname()[1])
    server = ServerThread(host.app(), sock)
    server.start()
    try:
        yield host
    finally:
        server.stop()
