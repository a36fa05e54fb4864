"""The inbox endpoint against real requests: signatures, origin rules, storage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from federation.db import Database
from federation.models import InboxActivity, RemoteActor

from ..servers import Instance
from .remote_host import RemoteHost, remote_host

pytestmark = pytest.mark.e2e


@pytest.fixture
def remote() -> Iterator[RemoteHost]:
    with remote_host() as host:
        host.add_actor("alice")
        host.add_actor("mallory")
        yield host


@pytest.fixture
async def db(instance: Instance) -> AsyncIterator[Database]:
    database = Database(instance.settings.database_url)
    try:
        yield database
    finally:
        await database.dispose()


def _note(remote: RemoteHost, actor: str, token: str, content: str = "<p>hi</p>") -> dict[str, Any]:
    actor_id = remote.actor_id(actor)
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor_id}/activities/{token}",
        "type": "Create",
        "actor": actor_id,
        "object": {"id": f"{actor_id}/notes/{token}", "type": "Note", "attributedTo": actor_id, "content": content},
    }


async def _post(instance: Instance, remote: RemoteHost, activity: dict[str, Any] | bytes, *, signer: str = "alice",
                path: str = "/inbox", **sign: Any) -> Any:
    url = instance.base_url + path
    body, headers = remote.signed_post(url, activity, signer=signer, **sign)
    return await instance.client.post(path, content=body, headers=headers)


async def _stored(db: Database, activity_id: str) -> list[InboxActivity]:
    async with db.sessions() as session:
        return list((await session.execute(
            select(InboxActivity).where(InboxActivity.activity_id == activity_id))).scalars())


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_inbox__accepts_signed_activity_with_either_scheme(instance: Instance, remote: RemoteHost, db: Database,
                                                                 scheme: str) -> None:
    await instance.create_space("racale")
    activity = _note(remote, "alice", f"n-{scheme}")
    response = await _post(instance, remote, activity, path="/users/racale/inbox", scheme=scheme)
    assert response.status_code == 202, response.text
    rows = await _stored(db, activity["id"])
    assert [(r.activity_type, r.actor_id, r.recipient_username, r.state) for r in rows] == [
        ("Create", remote.actor_id("alice"), "racale", "queued")
    ]
    assert rows[0].signer_key_id == remote.key_id("alice")
    async with db.sessions() as session:
        cached = (await session.execute(select(RemoteActor).where(RemoteActor.ap_id == remote.actor_id("alice")))).scalar_one()
    assert cached.public_key_id == remote.key_id("alice")
    assert "<script>" not in (cached.document.get("summary") or "")


async def test_inbox__rejects_unsigned_request(instance: Instance, remote: RemoteHost) -> None:
    response = await instance.client.post("/inbox", content=orjson.dumps(_note(remote, "alice", "u")),
                                          headers={"Content-Type": "application/activity+json"})
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    assert response.json()["detail"]


async def test_inbox__rejects_tampered_body(instance: Instance, remote: RemoteHost, db: Database) -> None:
    activity = _note(remote, "alice", "t")
    body, headers = remote.signed_post(instance.base_url + "/inbox", activity, signer="alice")
    tampered = body.replace(b"<p>hi</p>", b"<p>HI</p>")
    response = await instance.client.post("/inbox", content=tampered, headers=headers)
    assert response.status_code == 401, response.text
    assert await _stored(db, activity["id"]) == []


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_inbox__rejects_replayed_request(instance: Instance, remote: RemoteHost, scheme: str) -> None:
    old = datetime.now(timezone.utc) - timedelta(hours=2)
    response = await _post(instance, remote, _note(remote, "alice", "r"), scheme=scheme, now=old)
    assert response.status_code == 401, response.text


async def test_inbox__rejects_key_whose_owner_is_not_the_actor(instance: Instance, remote: RemoteHost, db: Database) -> None:
    activity = _note(remote, "alice", "impersonated")
    response = await _post(instance, remote, activity, signer="mallory")
    assert response.status_code == 401
    assert "actor" in response.json()["detail"]
    assert await _stored(db, activity["id"]) == []


async def test_inbox__rejects_activity_id_on_another_host(instance: Instance, remote: RemoteHost, db: Database) -> None:
    activity = _note(remote, "alice", "x")
    activity["id"] = "http://elsewhere.example/activities/1"
    response = await _post(instance, remote, activity)
    assert response.status_code == 400
    assert "host" in response.json()["detail"]


async def test_inbox__embedded_object_from_another_host_is_not_trusted(instance: Instance, remote: RemoteHost,
                                                                     db: Database) -> None:
    activity = _note(remote, "alice", "foreign")
    activity["object"]["id"] = "http://elsewhere.example/notes/1"
    response = await _post(instance, remote, activity)
    assert response.status_code == 202
    (row,) = await _stored(db, activity["id"])
    # Only the id survives: whoever needs the object must fetch it from its origin.
    assert orjson.loads(row.body)["object"] == "http://elsewhere.example/notes/1"


async def test_inbox__stores_duplicate_activity_once(instance: Instance, remote: RemoteHost, db: Database) -> None:
    activity = _note(remote, "alice", "dup")
    first = await _post(instance, remote, activity)
    second = await _post(instance, remote, activity)
    assert (first.status_code, second.status_code) == (202, 202)
    assert len(await _stored(db, activity["id"])) == 1


async def test_inbox__refuses_bodies_over_one_mebibyte(instance: Instance, remote: RemoteHost) -> None:
    activity = _note(remote, "alice", "big", content="x" * (2 * 1024 * 1024))
    response = await _post(instance, remote, activity)
    assert response.status_code == 413


async def test_inbox__malformed_json_is_a_400(instance: Instance, remote: RemoteHost) -> None:
    response = await _post(instance, remote, b'{"type": "Create", "actor": ')
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


async def test_inbox__stores_remote_html_sanitized(instance: Instance, remote: RemoteHost, db: Database) -> None:
    activity = _note(remote, "alice", "xss", content='<p>ok<script>alert("x")</script><img src=x onerror=y></p>')
    response = await _post(instance, remote, activity)
    assert response.status_code == 202
    (row,) = await _stored(db, activity["id"])
    content = orjson.loads(row.body)["object"]["content"]
    assert "<script" not in content and "onerror" not in content and "ok" in content


async def test_inbox__key_rotation_is_followed(instance: Instance, remote: RemoteHost, db: Database) -> None:
    assert (await _post(instance, remote, _note(remote, "alice", "before"))).status_code == 202
    remote.rotate_key("alice")
    activity = _note(remote, "alice", "after")
    assert (await _post(instance, remote, activity)).status_code == 202
    assert len(await _stored(db, activity["id"])) == 1


async def test_inbox__accepts_delete_of_actor_whose_key_is_gone(instance: Instance, remote: RemoteHost,
                                                              db: Database) -> None:
    assert (await _post(instance, remote, _note(remote, "alice", "known"))).status_code == 202
    remote.rotate_key("alice")  # a key we never saw, so it must be fetched ...
    remote.gone.add("alice")  # ... and the actor answers 410
    actor_id = remote.actor_id("alice")
    delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor_id}#delete", "type": "Delete",
              "actor": actor_id, "object": actor_id}
    response = await _post(instance, remote, delete)
    assert response.status_code == 202, response.text
    assert len(await _stored(db, delete["id"])) == 1
    # Anything else from that key is still refused.
    assert (await _post(instance, remote, _note(remote, "alice", "zombie"))).status_code == 401


async def test_inbox__ignores_delete_of_unknown_gone_actor(instance: Instance, remote: RemoteHost, db: Database) -> None:
    remote.gone.add("mallory")
    actor_id = remote.actor_id("mallory")
    delete = {"id": f"{actor_id}#delete", "type": "Delete", "actor": actor_id, "object": actor_id}
    response = await _post(instance, remote, delete, signer="mallory")
    assert response.status_code == 202
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxActivity)) == 0
