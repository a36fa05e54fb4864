"""The public directory API, pages and feeds of a running instance."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from icalendar import Calendar

from directory.indexing import EventListingEntry, upsert_event_listing, upsert_remote_listing
from directory.place_parsing import ParsedPlace, ParsedPrice
from federation.db import Database
from tests.servers import Instance

REMOTE = "https://remote.example/users/bari_hub"
HUB = "https://hub.example/users/directory"


def first_breakfast(now: datetime) -> datetime:
    """Tomorrow 08:00 UTC: the events sit at a fixed time of day, so date ranges hold whenever the test runs."""
    return (now + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)


@pytest.fixture
async def listed(instance: Instance) -> AsyncIterator[Instance]:
    await instance.create_space(
        "racale", name="Coworking Racale", summary="Spazio nel Salento, vicino al *mare*.",
        address={"country": "IT", "locality": "Racale", "region": "Puglia"}, geo={"lat": 39.9608, "lon": 18.0937},
        amenities=["wifi", "kitchen"], prices=[{"kind": "day_pass", "amount": "15.00", "currency": "EUR"}],
    )
    await instance.create_space(
        "milano", name="Milano Loft", address={"country": "IT", "locality": "Milano"},
        geo={"lat": 45.4642, "lon": 9.19}, amenities=["wifi"],
    )
    await instance.create_space("hidden", name="Hidden Space", address={"country": "IT"}, discoverable=False)
    db = Database(instance.settings.database_url)
    now = datetime.now(timezone.utc)
    try:
        async with db.transaction() as session:
            place = ParsedPlace(name="Bari Hub", summary_html="<p>Near the sea <script>x</script></p>", locality="Bari",
                                country="IT", lat=41.1171, lon=16.8719, amenities=("wifi",),
                                prices=(ParsedPrice("day_pass", "12.00", "EUR"),), discoverable=True, indexable=True)
            await upsert_remote_listing(session, place, REMOTE, HUB, now, handle="@bari_hub@remote.example")
            for day in range(30):
                status = "cancelled" if day == 1 else "scheduled"
                await upsert_event_listing(session, EventListingEntry(
                    object_id=f"https://remote.example/events/{day}", space_actor_id=REMOTE,
                    title=f"Colazione di lavoro {day}", starts_at=first_breakfast(now) + timedelta(days=day),
                    ends_at=first_breakfast(now) + timedelta(days=day, hours=2), timezone="Europe/Rome",
                    locality="Bari",
                    country="IT", status=status, listed_via=HUB), now)
            await upsert_event_listing(session, EventListingEntry(
                object_id="https://remote.example/events/past", space_actor_id=REMOTE, title="Past",
                starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=2, hours=-2), country="IT"), now)
    finally:
        await db.dispose()
    yield instance


async def get(instance: Instance, path: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=instance.base_url) as anonymous:
        return await anonymous.get(path, params=params)


async def test_spaces__local_and_remote_with_origin(listed: Instance) -> None:
    response = await get(listed, "/api/v1/directory/spaces")
    assert response.status_code == 200
    body = response.json()
    assert [item["name"] for item in body["items"]] == ["Bari Hub", "Coworking Racale", "Milano Loft"]
    assert body["next"] is None
    racale = body["items"][1]
    assert racale["origin"] == {"instance": listed.domain, "actor_id": f"{listed.base_url}/users/racale",
                                "listed_via": None}
    assert racale["prices"] == [{"kind": "day_pass", "amount": "15.00", "currency": "EUR"}]
    bari = body["items"][0]
    assert bari["origin"] == {"instance": "remote.example", "actor_id": REMOTE, "listed_via": HUB}
    assert "<script>" not in bari["summary"]


async def test_spaces__filters_and_distance(listed: Instance) -> None:
    near = (await get(listed, "/api/v1/directory/spaces", near="40.35,18.17", radius_km=200)).json()["items"]
    assert [item["name"] for item in near] == ["Coworking Racale", "Bari Hub"]
    assert near[0]["distance_km"] == pytest.approx(44.0, abs=1.0)
    text = (await get(listed, "/api/v1/directory/spaces", q="mare")).json()["items"]
    assert [item["name"] for item in text] == ["Coworking Racale"]
    cheap = (await get(listed, "/api/v1/directory/spaces", price_kind="day_pass", max_price="13")).json()["items"]
    assert [item["name"] for item in cheap] == ["Bari Hub"]
    kitchen = (await get(listed, "/api/v1/directory/spaces", amenity="kitchen")).json()["items"]
    assert [item["name"] for item in kitchen] == ["Coworking Racale"]


async def test_spaces__pages_follow_next(listed: Instance) -> None:
    names: list[str] = []
    url: str | None = f"{listed.base_url}/api/v1/directory/spaces?limit=1"
    async with httpx.AsyncClient() as anonymous:
        while url:
            body = (await anonymous.get(url)).json()
            names += [item["name"] for item in body["items"]]
            url = body["next"]
    assert names == ["Bari Hub", "Coworking Racale", "Milano Loft"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"near": "100,10"}, "near"), ({"near": "45,10", "radius_km": "900"}, "radius_km"),
     ({"amenity": "sauna"}, "amenity"), ({"cursor": "zzz"}, "cursor"), ({"country": "ZZ"}, "country")],
)
async def test_spaces__bad_input_is_400_naming_the_parameter(listed: Instance, params: dict[str, str],
                                                             parameter: str) -> None:
    response = await get(listed, "/api/v1/directory/spaces", **params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_parameter" and body["detail"].startswith(f"{parameter}:")


async def test_events__upcoming_first_with_space_and_cancelled(listed: Instance) -> None:
    body = (await get(listed, "/api/v1/directory/events", limit=5)).json()
    titles = [item["title"] for item in body["items"]]
    assert titles == [f"Colazione di lavoro {day}" for day in range(5)]
    assert body["items"][1]["status"] == "cancelled"
    assert body["items"][0]["space"] == {"name": "Bari Hub", "handle": "@bari_hub@remote.example", "actor_id": REMOTE}
    assert body["items"][0]["origin"]["listed_via"] == HUB
    assert body["next"]
    first = first_breakfast(datetime.now(timezone.utc))
    ranged = (await get(listed, "/api/v1/directory/events", **{
        "from": (first + timedelta(days=10)).date().isoformat(),
        "to": (first + timedelta(days=12)).date().isoformat()})).json()["items"]
    assert [item["title"] for item in ranged] == ["Colazione di lavoro 10", "Colazione di lavoro 11"]
    bad = await get(listed, "/api/v1/directory/events", **{"from": "yesterday"})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("from:")


async def test_pages__search_page_renders_results_and_filters(listed: Instance) -> None:
    page = await get(listed, "/directory", q="mare", amenity="wifi")
    assert page.status_code == 200
    assert "Coworking Racale" in page.text and "Milano Loft" not in page.text
    assert 'name="amenity" value="wifi" checked' in page.text
    assert '<label for="q">' in page.text
    bad = await get(listed, "/directory", near="500,1")
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    space = await get(listed, "/directory/space", actor=REMOTE)
    assert space.status_code == 200 and "remote.example" in space.text and "Colazione di lavoro 0" in space.text
    events = await get(listed, "/directory/events")
    assert events.status_code == 200 and "Colazione di lavoro 0" in events.text
    event = await get(listed, "/directory/event", id="https://remote.example/events/1")
    assert event.status_code == 200 and "cancelled" in event.text


async def test_feeds__ics_and_atom(listed: Instance) -> None:
    ics = await get(listed, "/directory/events.ics", city="Bari")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert len(events) == 30
    assert str(events[1]["status"]) == "CANCELLED"
    atom = await get(listed, "/directory/events.atom")
    assert atom.status_code == 200 and b"Colazione di lavoro 0" in atom.content
    feed = ElementTree.fromstring(atom.content)
    entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 30
    cancelled = next(e for e in entries if e.findtext("{http://www.w3.org/2005/Atom}id").endswith("/events/1"))
    assert "(cancelled)" in cancelled.findtext("{http://www.w3.org/2005/Atom}title")
    assert "Bari Hub" in cancelled.findtext("{http://www.w3.org/2005/Atom}summary")


def _options(page: str, select_id: str) -> list[tuple[str, str, bool]]:
    """(value, text, selected) of a drop-down list's options."""
    body = re.search(rf'<select id="{select_id}" name="{select_id}">(.*?)</select>', page, re.S)
    assert body is not None, f"no <select id={select_id}>"
    return [(value, text, bool(selected)) for value, selected, text in
            re.findall(r'<option value="([^"]*)"\s*(selected)?>([^<]*)</option>', body.group(1))]


async def test_pages__countries_and_languages_are_picked_from_what_is_listed(listed: Instance) -> None:
    await listed.create_space("lisboa", name="Cais Lisboa", address={"country": "PT", "locality": "Lisboa"},
                              languages=["pt", "en"])
    db = Database(listed.settings.database_url)
    try:  # an event away from its space's country: offered on the events page only
        async with db.transaction() as session:
            starts = first_breakfast(datetime.now(timezone.utc)) + timedelta(days=3)
            await upsert_event_listing(session, EventListingEntry(
                object_id="https://remote.example/events/wien", space_actor_id=REMOTE, title="Kaffeehaus",
                starts_at=starts, ends_at=starts + timedelta(hours=2), locality="Wien", country="AT",
                listed_via=HUB), datetime.now(timezone.utc))
    finally:
        await db.dispose()
    page = await get(listed, "/directory", country="PT", language="en")
    assert page.status_code == 200 and "Cais Lisboa" in page.text and "Coworking Racale" not in page.text
    assert _options(page.text, "country") == [("", "Any", False), ("IT", "Italy", False), ("PT", "Portugal", True)]
    assert _options(page.text, "language") == [("", "Any", False), ("en", "English", True), ("pt", "Portuguese", False)]
    async with httpx.AsyncClient(base_url=listed.base_url, headers={"Accept-Language": "it"}) as italian:
        page_it = await italian.get("/directory")
        events_it = await italian.get("/directory/events", params={"country": "it"})
    assert _options(page_it.text, "country") == [("", "Qualsiasi", False), ("IT", "Italia", False),
                                                 ("PT", "Portogallo", False)]
    assert [text for _, text, _ in _options(page_it.text, "language")] == ["Qualsiasi", "inglese", "portoghese"]
    assert _options(events_it.text, "country") == [("", "Qualsiasi", False), ("AT", "Austria", False),
                                                   ("IT", "Italia", True), ("PT", "Portogallo", False)]
    assert "Colazione di lavoro 0" in events_it.text and "Kaffeehaus" not in events_it.text
    # The space's own page names its languages the same way.
    lisboa = await get(listed, "/directory/space", actor=f"{listed.base_url}/users/lisboa")
    assert lisboa.status_code == 200 and "<dd>Portuguese, English</dd>" in lisboa.text
    # A country nobody lists, asked for by address: offered and chosen, with no results rather than an error.
    elsewhere = await get(listed, "/directory", country="FR")
    assert elsewhere.status_code == 200 and ("FR", "France", True) in _options(elsewhere.text, "country")
    assert "Cais Lisboa" not in elsewhere.text and "Coworking Racale" not in elsewhere.text
