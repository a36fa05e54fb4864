"""A space publishes events and news; a space on another instance follows it and sees
every change, as a protocol transcript across two real instances."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import icalendar
import pytest

from ..servers import Instance, drain, run_instance

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AP = {"Accept": "application/activity+json"}
RACALE = {
    "name": "Coworking Racale",
    "address": {"street": "Via Roma 1", "locality": "Racale", "region": "Puglia", "postal_code": "73055",
                "country": "IT"},
    "geo": {"lat": 39.9608, "lon": 18.0937},
    "languages": ["it", "en"],
}
EVENT = {
    "title": "Espresso Coworking 2027",
    "description": "Two days of **coworking** talks. #ec27",
    "starts_at": "2027-09-22T09:30:00+02:00",
    "ends_at": "2027-09-22T18:00:00+02:00",
    "timezone": "Europe/Rome",
    "location": "space",
    "capacity": 120,
    "tags": ["coworking"],
}


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    # Only drain() works the queues: an in-process worker holding a lease would make drain() return early.
    async with run_instance(tmp_path, "a", worker="external") as a, \
            run_instance(tmp_path, "b", worker="external") as b:
        await a.create_space("racale", **RACALE)
        await b.create_space("lecce", name="Lecce Hub")
        await b.create_space("bari", name="Bari Hub")
        response = await b.client.post("/api/v1/spaces/lecce/following", json={"target": f"{a.base_url}/users/racale"})
        assert response.status_code == 202, response.text
        await drain(a, b)
        yield a, b


async def _received(instance: Instance, username: str, kind: str) -> list[dict[str, Any]]:
    response = await instance.client.get(f"/api/v1/spaces/{username}/received", params={"type": kind})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "next"}
    items: list[dict[str, Any]] = body["items"]
    return items


async def _ics_event(instance: Instance, path: str) -> icalendar.Event:
    response = await instance.client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Rome"]
    [event] = calendar.walk("VEVENT")
    return event


async def test_events__publish_update_cancel_delete_reach_the_follower(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    created = await a.client.post("/api/v1/spaces/racale/events", json=EVENT)
    assert created.status_code == 201, created.text
    event = created.json()
    object_id = event["object_id"]
    assert object_id.startswith(f"{a.base_url}/users/racale/events/") and isinstance(event["id"], int)
    await drain(a, b)

    # The AS2 Event as any peer fetches it; what Mastodon shows is name + summary.
    async with httpx.AsyncClient(headers=AP) as client:
        document = (await client.get(object_id)).json()
    assert document["type"] == "Event" and document["name"] == EVENT["title"]
    assert document["summary"] == ("mer 22 set 2027, 09:30–18:00 (Europe/Rome) · Coworking Racale, Via Roma 1, Racale")
    assert document["startTime"] == "2027-09-22T09:30:00+02:00" and document["timezone"] == "Europe/Rome"
    [place] = document["location"]
    assert place["type"] == "Place" and place["latitude"] == 39.9608
    assert place["address"]["type"] == "PostalAddress" and place["address"]["addressLocality"] == "Racale"
    assert document["ical:status"] == "CONFIRMED" and document["maximumAttendeeCapacity"] == 120
    assert document["cc"] == [f"{a.base_url}/users/racale/followers"]
    assert {t["name"] for t in document["tag"]} == {"#coworking", "#ec27"}

    read = (await a.client.get(f"/api/v1/spaces/racale/events/{event['id']}")).json()
    assert read["delivery"] == {"delivered": 1, "pending": 0, "failed": 0}
    [received] = await _received(b, "lecce", "Event")
    assert (received["type"], received["object_id"], received["origin"]) == ("Event", object_id, a.domain)
    assert received["attributed_to"] == f"{a.base_url}/users/racale"
    assert received["name"] == EVENT["title"] and "<strong>coworking</strong>" in received["content"]
    assert received["starts_at"].startswith("2027-09-22T07:30:00") and received["timezone"] == "Europe/Rome"
    assert received["location"]["geo"] == {"lat": 39.9608, "lon": 18.0937}
    assert await _received(b, "bari", "Event") == []  # bari follows nobody

    first = await _ics_event(a, "/@racale/events.ics")
    assert str(first["UID"]) == object_id and int(first["SEQUENCE"]) == 0
    assert first["DTSTART"].params["TZID"] == "Europe/Rome"

    # Update: new times, a higher SEQUENCE, the follower's copy changes.
    moved = await a.client.patch(f"/api/v1/spaces/racale/events/{event['id']}",
                                 json={"starts_at": "2027-09-23T10:00:00+02:00", "ends_at": "2027-09-23T17:00:00+02:00"})
    assert moved.status_code == 200, moved.text
    await drain(a, b)
    [received] = await _received(b, "lecce", "Event")
    assert received["starts_at"].startswith("2027-09-23T08:00:00")
    second = await _ics_event(a, "/@racale/events.ics")
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert second["DTSTART"].dt.isoformat() == "2027-09-23T10:00:00+02:00"
    assert str(second["URL"]) == event["page_url"] and "Racale" in str(second["LOCATION"])
    assert second["GEO"].latitude == pytest.approx(39.9608)

    # Cancel: everywhere.
    cancelled = await a.client.patch(f"/api/v1/spaces/racale/events/{event['id']}", json={"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"
    await drain(a, b)
    [received] = await _received(b, "lecce", "Event")
    assert received["status"] == "cancelled"
    assert str((await _ics_event(a, f"/@racale/events/{event['id']}.ics"))["STATUS"]) == "CANCELLED"
    async with httpx.AsyncClient(headers=AP) as client:
        assert (await client.get(object_id)).json()["ical:status"] == "CANCELLED"

    # Delete: a Tombstone at the id, gone on the other side.
    assert (await a.client.delete(f"/api/v1/spaces/racale/events/{event['id']}")).status_code == 204
    await drain(a, b)
    async with httpx.AsyncClient(headers=AP) as client:
        gone = await client.get(object_id)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert await _received(b, "lecce", "Event") == []
    assert (await a.client.get(f"/api/v1/spaces/racale/events/{event['id']}")).status_code == 410


async def test_posts__hashtags_and_mentions_reach_followers_and_the_mentioned(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    response = await a.client.post("/api/v1/spaces/racale/posts",
                                    json={"content": f"Nuove postazioni! #coworking ciao @bari@{b.domain}"})
    assert response.status_code == 201, response.text
    post = response.json()
    assert post["mentions"] == [{"name": f"@bari@{b.domain}", "actor_id": f"{b.base_url}/users/bari"}]
    await drain(a, b)

    async with httpx.AsyncClient(headers=AP) as client:
        note = (await client.get(post["object_id"])).json()
        page = await client.get(post["object_id"], headers={"Accept": "text/html"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert note["type"] == "Note" and f"{b.base_url}/users/bari" in note["cc"]
    assert {(t["type"], t["name"]) for t in note["tag"]} == {("Hashtag", "#coworking"), ("Mention", f"@bari@{b.domain}")}
    assert 'class="mention hashtag"' in note["content"]

    read = (await a.client.get(f"/api/v1/spaces/racale/posts/{post['id']}")).json()
    assert read["delivery"] == {"delivered": 1, "pending": 0, "failed": 0}  # one shared inbox on b
    [for_lecce] = await _received(b, "lecce", "Note")
    [for_bari] = await _received(b, "bari", "Note")
    assert for_lecce["object_id"] == for_bari["object_id"] == post["object_id"]
    assert "Nuove postazioni" in for_bari["content"]
    listed = (await a.client.get("/api/v1/spaces/racale/posts")).json()
    assert [item["id"] for item in listed["items"]] == [post["id"]] and listed["next"] is None


async def test_events__pages_feeds_and_featured(pair: tuple[Instance, Instance]) -> None:
    a, b = pair
    ids = []
    for day in (24, 22, 23):
        response = await a.client.post("/api/v1/spaces/racale/events",
                                       json={**EVENT, "title": f"Day {day}", "starts_at": f"2027-09-{day}T09:30:00+02:00",
                                             "ends_at": f"2027-09-{day}T18:00:00+02:00"})
        ids.append(response.json()["object_id"])
    page1 = (await a.client.get("/api/v1/spaces/racale/events", params={"limit": 2})).json()
    assert len(page1["items"]) == 3 and page1["next"] is None

    async with httpx.AsyncClient(headers=AP) as client:
        featured = (await client.get(f"{a.base_url}/users/racale/collections/featured")).json()
    assert featured["orderedItems"] == [ids[1], ids[2], ids[0]]  # soonest first

    async with httpx.AsyncClient(base_url=a.base_url) as client:
        profile = (await client.get("/@racale")).text
        event_page = await client.get(ids[1].replace("/users/racale/", "/@racale/"))
        atom = await client.get("/@racale/feed.atom")
    assert "Day 22" in profile and "/@racale/events.ics" in profile
    assert event_page.status_code == 200
    assert '"@type":"Event"' in event_page.text and 'property="og:title"' in event_page.text
    assert ".ics" in event_page.text
    feed = ET.fromstring(atom.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert {e.findtext("a:id", namespaces=ns) for e in feed.findall("a:entry", ns)} == set(ids)
    await drain(a, b)
    async with httpx.AsyncClient(base_url=b.base_url) as client:
        network = (await client.get("/network")).text
    assert "Day 22" in network


async def test_events__bad_input_names_the_field(pair: tuple[Instance, Instance]) -> None:
    a, _ = pair
    cases = {
        "ends_at": {**EVENT, "ends_at": "2027-09-22T08:00:00+02:00"},
        "starts_at": {**EVENT, "starts_at": "2027-09-22T09:30:00", "ends_at": None},
        "timezone": {**EVENT, "timezone": "Mars/Olympus"},
        "title": {**EVENT, "title": "x" * 201},
        "location": {**EVENT, "location": "moon"},
    }
    for field, body in cases.items():
        response = await a.client.post("/api/v1/spaces/racale/events", json=body)
        assert response.status_code == 422, (field, response.text)
        assert field in response.json()["detail"], (field, response.text)
    assert (await a.client.get("/api/v1/spaces/racale/events")).json()["items"] == []
    bad_post = await a.client.post("/api/v1/spaces/racale/posts", json={"content": ""})
    assert bad_post.status_code == 422 and "content" in bad_post.json()["detail"]
