"""Public pages as a visitor reads them: event times in the event's own zone and in the page's
language, country names instead of codes, free prices, translated error pages."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx

from directory.indexing import EventListingEntry, upsert_event_listing, upsert_remote_listing
from directory.place_parsing import ParsedPlace
from federation.db import Database
from tests.servers import Instance, run_instance
from web.i18n import Catalogues, country_name, format_event_when, format_money

REMOTE = "https://remote.example/users/bari"
HUB = "https://hub.example/users/directory"


def test_event_when__an_api_time_in_utc_is_shown_in_the_event_zone_and_page_language() -> None:
    catalogues = Catalogues()
    with catalogues.activate("it"):
        # 07:30 UTC is 09:30 in Rome (summer time): the time people meet at.
        text = format_event_when("2030-06-10T07:30:00+00:00", "2030-06-10T10:00:00+00:00", "Europe/Rome")
        assert text == "lun 10 giu 2030, 09:30–12:00 (Europe/Rome)"
    with catalogues.activate("en"):
        text = format_event_when(datetime(2030, 6, 10, 7, 30, tzinfo=timezone.utc), None, "Europe/Rome")
        assert text == "Mon 10 Jun 2030, 09:30 (Europe/Rome)"


def test_country_and_price__names_not_codes_and_free_not_zero() -> None:
    catalogues = Catalogues()
    with catalogues.activate("it"):
        assert country_name("IT") == "Italia" and country_name("de") == "Germania"
        assert format_money("0.00", "EUR") == "Gratis"
    with catalogues.activate("en"):
        assert country_name("PT") == "Portugal" and country_name("") == "" and country_name("XX") == "XX"
        assert format_money("0", "EUR") == "Free"


async def _list_event(instance: Instance) -> None:
    db = Database(instance.settings.database_url)
    try:
        async with db.transaction() as session:
            place = ParsedPlace(name="Bari Hub", locality="Bari", country="IT", discoverable=True, indexable=True)
            await upsert_remote_listing(session, place, REMOTE, HUB, datetime.now(timezone.utc),
                                        handle="@bari@remote.example")
            await upsert_event_listing(session, EventListingEntry(
                object_id="https://remote.example/events/1", space_actor_id=REMOTE, title="Colazione di lavoro",
                starts_at=datetime(2030, 6, 10, 7, 30, tzinfo=timezone.utc),
                ends_at=datetime(2030, 6, 10, 10, 0, tzinfo=timezone.utc), timezone="Europe/Rome",
                locality="Bari", country="IT", status="scheduled", listed_via=HUB), datetime.now(timezone.utc))
    finally:
        await db.dispose()


async def test_directory_events__times_in_the_event_zone_not_utc(instance: Instance) -> None:
    await _list_event(instance)
    async with httpx.AsyncClient(base_url=instance.base_url, cookies={"lang": "it"}) as visitor:
        page = await visitor.get("/directory/events")
        assert "lun 10 giu 2030, 09:30–12:00 (Europe/Rome)" in page.text
        assert ">2030-06-10 07:30" not in page.text and "Bari, Italia" in page.text
        event = await visitor.get("/directory/event", params={"id": "https://remote.example/events/1"})
        assert "09:30–12:00" in event.text
        missing = await visitor.get("/directory/event", params={"id": "https://remote.example/none"})
        assert missing.status_code == 404 and "Questo evento non è in elenco." in missing.text


async def test_space_page__country_name_and_event_dates_in_the_visitor_language(instance: Instance) -> None:
    await instance.create_space("racale", name="Coworking Racale", languages=["it"],
                                address={"country": "IT", "locality": "Racale"})
    created = await instance.client.post("/api/v1/spaces/racale/events", json={
        "title": "Colazione", "starts_at": "2030-06-10T09:30:00+02:00", "timezone": "Europe/Rome"})
    assert created.status_code == 201
    async with httpx.AsyncClient(base_url=instance.base_url, cookies={"lang": "en"}) as visitor:
        profile = await visitor.get("/@racale")
        # The space writes in Italian, but an English page shows English dates.
        assert "Racale, Italy" in profile.text and "Mon 10 Jun 2030, 09:30" in profile.text
        gone = await visitor.get("/@racale/events/999")
        assert gone.status_code == 404 and "No such event." in gone.text


async def test_home__a_hub_without_spaces_points_to_the_directory(tmp_path: Path) -> None:
    async with run_instance(tmp_path, "hub", directory=True) as hub:
        async with httpx.AsyncClient(base_url=hub.base_url) as visitor:
            home = await visitor.get("/")
    assert 'href="/directory"' in home.text and "gathers the coworking spaces" in home.text
