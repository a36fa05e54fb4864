"""What a Mastodon reader learns of our Event, Note and actor, checked with a small
renderer that does what fediverse-notes says Mastodon does with incoming objects:

* Event → ``<h2>name</h2>`` + ``summary`` + a link to ``url`` (or ``id``); ``content``,
  ``startTime`` and ``location`` are never read; an image attachment becomes media
  with its ``name`` (or ``summary``) as alt text.
* Note → ``content``, with hashtags and mentions from ``tag``.
* Language → the first key of ``contentMap``/``nameMap``/``summaryMap``.
* Profile fields → ``attachment`` items of compact type exactly ``PropertyValue``."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image

from ..servers import Instance
from .test_events import AP, EVENT, RACALE

pytestmark = [pytest.mark.e2e]


@dataclass
class Status:
    html: str
    language: str | None
    media: list[tuple[str, str]] = field(default_factory=list)  # (url, alt text)
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return html.unescape(re.sub(r"<[^>]+>", " ", self.html)).strip()


def _language(obj: dict[str, Any]) -> str | None:
    for key in ("contentMap", "nameMap", "summaryMap"):
        value = obj.get(key)
        if isinstance(value, dict) and value:
            return str(next(iter(value)))
    return None


def _url(obj: dict[str, Any]) -> str:
    url = obj.get("url")
    if isinstance(url, list):
        url = url[0] if url else None
    if isinstance(url, dict):
        url = url.get("href")
    return str(url or obj["id"])


def _media(obj: dict[str, Any]) -> list[tuple[str, str]]:
    items = obj.get("attachment") or []
    items = items if isinstance(items, list) else [items]
    return [(str(a["url"]), str(a.get("name") or a.get("summary") or "")) for a in items
            if isinstance(a, dict) and a.get("type") in ("Image", "Document")
            and str(a.get("mediaType", "image/")).startswith("image/")]


def _tags(obj: dict[str, Any], kind: str) -> list[str]:
    return [str(t["name"]) for t in obj.get("tag") or [] if isinstance(t, dict) and t.get("type") == kind]


def mastodon_status(obj: dict[str, Any]) -> Status:
    """An incoming object as Mastodon renders it in a timeline."""
    if obj["type"] == "Event":
        url = html.escape(_url(obj))
        body = f"<h2>{html.escape(obj.get('name', ''))}</h2>{obj.get('summary') or ''}<p><a href=\"{url}\">{url}</a></p>"
    elif obj["type"] == "Note":
        body = str(obj.get("content") or "")
    else:
        raise AssertionError(f"Mastodon would not show a {obj['type']}")
    return Status(html=body, language=_language(obj), media=_media(obj),
                  hashtags=_tags(obj, "Hashtag"), mentions=_tags(obj, "Mention"))


def profile_fields(actor: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(a["name"]), str(a["value"])) for a in actor.get("attachment") or []
            if isinstance(a, dict) and a.get("type") == "PropertyValue"]


async def _fetch(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(headers=AP) as client:
        response = await client.get(url)
    assert response.status_code == 200 and "json" in response.headers["content-type"], response.text
    document: dict[str, Any] = response.json()
    return document


SPACE = {**RACALE, "website": "https://racale.example", "phone": "+39 0833 000000",
         "opening_hours": [{"days": ["mo", "tu", "we", "th", "fr"], "opens": "09:00", "closes": "19:00"}],
         "prices": [{"kind": "day_pass", "amount": "15.00", "currency": "EUR"}], "seats": 40}


async def test_mastodon_view__event_tells_title_date_time_zone_place_and_link(instance: Instance) -> None:
    await instance.create_space("racale", **SPACE)
    created = (await instance.client.post("/api/v1/spaces/racale/events", json=EVENT)).json()
    status = mastodon_status(await _fetch(created["object_id"]))
    assert status.language == "it"
    assert f"<h2>{EVENT['title']}</h2>" in status.html
    for fact in ("22 set 2027", "09:30", "18:00", "Europe/Rome", "Coworking Racale", "Via Roma 1", "Racale"):
        assert fact in status.text, fact
    assert f'href="{created["page_url"]}"' in status.html
    # Without the description's words: Mastodon drops `content`.
    assert "talks" not in status.text


async def test_mastodon_view__event_image_becomes_media_with_alt_text(instance: Instance) -> None:
    await instance.create_space("racale", **SPACE)
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 600), (200, 120, 40)).save(buffer, "PNG")
    uploaded = await instance.client.put("/api/v1/spaces/racale/image", content=buffer.getvalue(),
                                         headers={"Content-Type": "image/png"})
    assert uploaded.status_code == 200, uploaded.text
    created = (await instance.client.post("/api/v1/spaces/racale/events", json=EVENT)).json()
    status = mastodon_status(await _fetch(created["object_id"]))
    [(url, alt)] = status.media
    assert url == uploaded.json()["image"]["url"] and alt == "Coworking Racale"


async def test_mastodon_view__cancelled_event_reaches_readers_through_a_note(instance: Instance) -> None:
    await instance.create_space("racale", **SPACE)
    created = (await instance.client.post("/api/v1/spaces/racale/events", json=EVENT)).json()
    await instance.client.patch(f"/api/v1/spaces/racale/events/{created['id']}", json={"status": "cancelled"})
    [notice] = (await instance.client.get("/api/v1/spaces/racale/posts")).json()["items"]
    status = mastodon_status(await _fetch(notice["object_id"]))
    assert status.language == "it"
    assert status.text.startswith(f"Annullato: {EVENT['title']}")
    for fact in ("22 set 2027", "09:30", "Europe/Rome", "Via Roma 1"):
        assert fact in status.text, fact
    assert f'href="{created["page_url"]}"' in status.html


async def test_mastodon_view__note_with_hashtags_and_mentions(instance: Instance) -> None:
    await instance.create_space("racale", **SPACE)
    await instance.create_space("lecce", name="Lecce Hub")
    post = (await instance.client.post("/api/v1/spaces/racale/posts", json={
        "content": f"Nuove postazioni! #coworking ciao @lecce@{instance.domain}"})).json()
    status = mastodon_status(await _fetch(post["object_id"]))
    assert status.language == "it" and "Nuove postazioni!" in status.text
    assert status.hashtags == ["#coworking"] and status.mentions == [f"@lecce@{instance.domain}"]
    assert 'class="u-url mention"' in status.html and 'class="mention hashtag"' in status.html


async def test_mastodon_view__first_four_profile_fields(instance: Instance) -> None:
    await instance.create_space("racale", **SPACE)
    fields = profile_fields(await _fetch(f"{instance.base_url}/users/racale"))
    assert [name for name, _ in fields[:4]] == ["Indirizzo", "Orari", "Giornata", "Sito web"]
    values = dict(fields)
    assert "Via Roma 1" in values["Indirizzo"] and "09:00" in values["Orari"] and "19:00" in values["Orari"]
    assert "15" in values["Giornata"] and "racale.example" in values["Sito web"]
    assert 'rel="me' in values["Sito web"]
    assert all(len(value) <= 2047 for _, value in fields)
