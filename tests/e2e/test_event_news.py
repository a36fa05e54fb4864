"""What Mastodon readers learn of a changed event (a news post, since Mastodon ignores
``Update(Event)``), and news posts edited and deleted, across two real instances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..servers import Instance, drain, run_instance
from .test_events import AP, EVENT, RACALE

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    async with run_instance(tmp_path, "a") as a, run_instance(tmp_path, "b") as b:
        await a.create_space("racale", **RACALE)
        await a.create_space("gallipoli", name="Gallipoli Hub")
        await b.create_space("lecce", name="Lecce Hub", languages=["en"])
        response = await b.client.post("/api/v1/spaces/lecce/following", json={"target": f"{a.base_url}/users/racale"})
        assert response.status_code == 202, response.text
        await drain(a, b)
        yield a, b


async def _notes(instance: Instance, username: str) -> list[dict[str, Any]]:
    response = await instance.client.get(f"/api/v1/spaces/{username}/received", params={"type": "Note"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_event_news__cancel_and_move_reach_followers_as_notes(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    event = (await a.client.post("/api/v1/spaces/racale/events", json={**EVENT, "title": "Open day"})).json()
    path = f"/api/v1/spaces/racale/events/{event['id']}"
    await drain(a, b)
    assert await _notes(b, "lecce") == []  # a new event is its own post

    # A description change is not news.
    assert (await a.client.patch(path, json={"description": "Più dettagli."})).status_code == 200
    await drain(a, b)
    assert await _notes(b, "lecce") == []

    assert (await a.client.patch(path, json={"starts_at": "2027-09-23T10:00:00+02:00",
                                             "ends_at": "2027-09-23T17:00:00+02:00"})).status_code == 200
    await drain(a, b)
    [moved] = await _notes(b, "lecce")
    assert "Nuovo orario: Open day — gio 23 set 2027, 10:00–17:00 (Europe/Rome)" in moved["content"]
    assert "Coworking Racale, Via Roma 1, Racale" in moved["content"]
    assert f'href="{event["page_url"]}"' in moved["content"]
    assert moved["attributed_to"] == f"{a.base_url}/users/racale" and moved["origin"] == a.domain

    assert (await a.client.patch(path, json={"status": "cancelled"})).status_code == 200
    await drain(a, b)
    cancelled, _ = await _notes(b, "lecce")
    assert "Annullato: Open day — gio 23 set 2027" in cancelled["content"]
    assert f'href="{event["page_url"]}"' in cancelled["content"]

    # The notices are the space's own news posts, in its language, fetchable as Notes.
    posts = (await a.client.get("/api/v1/spaces/racale/posts")).json()["items"]
    assert [p["content"].split(":")[0] for p in posts] == ["Annullato", "Nuovo orario"]
    async with httpx.AsyncClient(headers=AP) as client:
        note = (await client.get(posts[0]["object_id"])).json()
    assert note["type"] == "Note" and list(note["contentMap"]) == ["it"]


async def test_posts__edit_and_delete_reach_the_follower(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    post = (await a.client.post("/api/v1/spaces/racale/posts", json={"content": "Aperti sabato"})).json()
    path = f"/api/v1/spaces/racale/posts/{post['id']}"
    await drain(a, b)
    [copy] = await _notes(b, "lecce")
    assert "Aperti sabato" in copy["content"]

    edited = await a.client.patch(path, json={"content": "Aperti sabato e **domenica** #weekend"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == "Aperti sabato e **domenica** #weekend"
    await drain(a, b)
    [copy] = await _notes(b, "lecce")
    assert "<strong>domenica</strong>" in copy["content"] and copy["object_id"] == post["object_id"]
    async with httpx.AsyncClient(headers=AP) as client:
        note = (await client.get(post["object_id"])).json()
    assert note["updated"] > note["published"] and note["tag"][0]["name"] == "#weekend"
    assert (await a.client.get(path)).json()["delivery"] == {"delivered": 1, "pending": 0, "failed": 0}

    bad = await a.client.patch(path, json={"content": ""})
    assert bad.status_code == 422 and "content" in bad.json()["detail"]

    assert (await a.client.delete(path)).status_code == 204
    await drain(a, b)
    assert await _notes(b, "lecce") == []
    async with httpx.AsyncClient(headers=AP) as client:
        gone = await client.get(post["object_id"])
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert gone.json()["formerType"] == "Note"
    assert (await a.client.get(path)).status_code == 410
    assert (await a.client.patch(path, json={"content": "x"})).status_code == 410
    assert (await a.client.delete(path)).status_code == 410
    assert (await a.client.delete("/api/v1/spaces/racale/posts/999")).status_code == 404
    assert (await a.client.get("/api/v1/spaces/racale/posts")).json()["items"] == []


async def test_posts__mentioning_a_local_space_lands_in_its_received(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    response = await a.client.post("/api/v1/spaces/racale/posts",
                                   json={"content": f"Benvenuti @gallipoli@{a.domain}!"})
    assert response.status_code == 201, response.text
    post = response.json()
    assert post["mentions"] == [{"name": f"@gallipoli@{a.domain}", "actor_id": f"{a.base_url}/users/gallipoli"}]
    [copy] = await _notes(a, "gallipoli")
    assert copy["object_id"] == post["object_id"] and "Benvenuti" in copy["content"]
    assert copy["attributed_to"] == f"{a.base_url}/users/racale"
    assert await _notes(a, "racale") == []
    await drain(a, b)
    assert len(await _notes(b, "lecce")) == 1  # the follower on b still gets it by delivery

    await a.client.patch(f"/api/v1/spaces/racale/posts/{post['id']}",
                         json={"content": f"Benvenuti davvero @gallipoli@{a.domain}!"})
    [copy] = await _notes(a, "gallipoli")
    assert "davvero" in copy["content"]
    await a.client.delete(f"/api/v1/spaces/racale/posts/{post['id']}")
    assert await _notes(a, "gallipoli") == []


async def test_network_page__linked_from_the_site_navigation(pair: tuple[Instance, Instance]) -> None:
    a, _ = pair
    async with httpx.AsyncClient(base_url=a.base_url, headers={"Accept-Language": "it"}) as client:
        home = (await client.get("/")).text
        network = await client.get("/network")
    assert '<a href="/network">Dalla rete</a>' in home
    assert network.status_code == 200 and "Dalla rete" in network.text
