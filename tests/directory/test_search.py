"""Directory search against a known set of listings, on SQLite or PostgreSQL."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from directory import search_index
from directory.event_search import search_events
from directory.indexing import (
    EventListingEntry, mark_origin_unreachable, remove_listing, upsert_event_listing, upsert_remote_listing)
from directory.place_parsing import OpeningRule, ParsedPlace, ParsedPrice
from directory.search import ListingPolicy, search_spaces
from directory.search_params import CursorCodec, InvalidParameter, SpaceQuery, parse_event_query, parse_space_query
from federation.db import Database

# A Wednesday, 10:00 in Rome (08:00 UTC).
NOW = datetime(2027, 9, 22, 8, 0, tzinfo=timezone.utc)
CURSORS = CursorCodec("test-secret")
WEEKDAYS = ("mo", "tu", "we", "th", "fr")

# name, city, region, country, lat, lon, amenities, day pass, languages, tags, description
SPACES: list[tuple[Any, ...]] = [
    ("Coworking Racale", "Racale", "Puglia", "IT", 39.9608, 18.0937, ("wifi", "kitchen"), "15.00", ("it",), ("rural",),
     "Spazio di lavoro condiviso nel Salento, vicino al mare."),
    ("Lecce Hub", "Lecce", "Puglia", "IT", 40.3515, 18.1750, ("wifi", "meeting_room"), "20.00", ("it", "en"), (),
     "Uffici e scrivanie nel centro storico di Lecce."),
    ("Milano Loft", "Milano", "Lombardia", "IT", 45.4642, 9.1900, ("wifi", "meeting_room", "kitchen"), "35.00",
     ("it", "en"), ("design",), "Open space with meeting rooms near the station."),
    ("Torino Officine", "Torino", "Piemonte", "IT", 45.0703, 7.6869, ("wifi",), "18.00", ("it",), (),
     "Ex officine ristrutturate per freelance e startup."),
    ("Roma Trastevere Desk", "Roma", "Lazio", "IT", 41.8890, 12.4700, ("wifi", "terrace"), "25.00", ("it", "en"),
     ("terrace",), "Desks with a terrace in Trastevere."),
    ("Berlin Kreuzberg Space", "Berlin", "Berlin", "DE", 52.4990, 13.4030, ("wifi", "coffee"), "22.00", ("de", "en"),
     (), "Coworking in Kreuzberg with great coffee."),
    ("Paris Marais Studio", "Paris", "Île-de-France", "FR", 48.8590, 2.3610, ("wifi",), "30.00", ("fr",), (),
     "Bureaux partagés dans le Marais."),
    ("Gallipoli Beach Office", "Gallipoli", "Puglia", "IT", 40.0550, 17.9920, ("wifi", "terrace"), None, ("it",),
     ("sea",), "Lavorare con vista mare."),
]


def place(row: tuple[Any, ...], *, discoverable: bool = True, indexable: bool = True) -> ParsedPlace:
    name, city, region, country, lat, lon, amenities, day_pass, languages, tags, description = row
    return ParsedPlace(
        name=name, summary_html=f"<p>{description}</p>", locality=city, region=region, country=country,
        lat=lat, lon=lon, amenities=amenities,
        prices=(ParsedPrice("day_pass", day_pass, "EUR"),) if day_pass else (),
        opening_hours=(OpeningRule(WEEKDAYS, "09:00", "18:00"),) if country == "IT" else (),
        languages=languages, tags=tags, discoverable=discoverable, indexable=indexable,
    )


def actor_id(name: str) -> str:
    slug = name.lower().replace(" ", "_")
    return f"https://{slug.split('_')[0]}.example/users/{slug}"


@pytest.fixture
async def loaded(database: Database) -> Database:
    async with database.transaction() as session:
        for row in SPACES:
            await upsert_remote_listing(session, place(row), actor_id(row[0]), None, NOW - timedelta(days=1),
                                        handle=f"@{row[0].split()[0].lower()}@example")
    return database


async def search(db: Database, policy: ListingPolicy = ListingPolicy(), **params: Any) -> list[dict[str, Any]]:
    query = parse_space_query({k: v if isinstance(v, list) else [str(v)] for k, v in params.items()}, CURSORS)
    async with db.sessions() as session:
        page = await search_spaces(session, query, now=NOW, cursors=CURSORS, policy=policy)
    return [hit.to_json() for hit in page.items]


def names(results: list[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in results]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Independent of the implementation: the spherical law of cosines.
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return 6371.0088 * math.acos(min(1.0, math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)))


async def test_search__lists_all_by_name_with_origin(loaded: Database) -> None:
    results = await search(loaded, limit=50)
    assert names(results) == sorted((row[0] for row in SPACES), key=str.casefold)
    first = results[0]
    assert first["origin"] == {"instance": "berlin.example", "actor_id": actor_id("Berlin Kreuzberg Space"),
                               "listed_via": None}
    assert first["reachable"] is True


async def test_search__full_text_in_italian_and_english(loaded: Database) -> None:
    assert names(await search(loaded, q="mare")) == ["Coworking Racale", "Gallipoli Beach Office"]
    assert names(await search(loaded, q="meeting")) == ["Milano Loft"]
    assert names(await search(loaded, q="Lecce")) == ["Lecce Hub"]
    assert names(await search(loaded, q="coffee kreuzberg")) == ["Berlin Kreuzberg Space"]
    # City and tags are indexed too; diacritics do not matter.
    assert names(await search(loaded, q="Ile de France")) == ["Paris Marais Studio"]
    assert names(await search(loaded, q="terrace")) == ["Roma Trastevere Desk"]
    assert await search(loaded, q="nothingmatcheshere") == []


async def test_search__filters(loaded: Database) -> None:
    assert names(await search(loaded, country="de")) == ["Berlin Kreuzberg Space"]
    assert names(await search(loaded, region="puglia")) == ["Coworking Racale", "Gallipoli Beach Office", "Lecce Hub"]
    assert names(await search(loaded, city="Milano")) == ["Milano Loft"]
    assert names(await search(loaded, amenity=["wifi", "kitchen"])) == ["Coworking Racale", "Milano Loft"]
    assert names(await search(loaded, price_kind="day_pass", max_price="20")) == [
        "Coworking Racale", "Lecce Hub", "Torino Officine"]
    assert names(await search(loaded, language="de")) == ["Berlin Kreuzberg Space"]
    # Italian spaces are open Monday to Friday 09:00-18:00 Rome time; it is Wednesday 10:00 there.
    assert set(names(await search(loaded, open_now=1, limit=50))) == {r[0] for r in SPACES if r[3] == "IT"}
    assert names(await search(loaded, bbox="17.5,39.5,18.5,40.5")) == [
        "Coworking Racale", "Gallipoli Beach Office", "Lecce Hub"]


async def test_search__open_now_in_local_time(loaded: Database) -> None:
    query = SpaceQuery(open_now=True, limit=50)
    late = datetime(2027, 9, 22, 16, 30, tzinfo=timezone.utc)  # 18:30 in Rome: closed
    async with loaded.sessions() as session:
        page = await search_spaces(session, query, now=late, cursors=CURSORS)
    assert page.items == []


async def test_search__near_sorted_by_exact_distance(loaded: Database) -> None:
    lat, lon = 40.1, 18.1
    results = await search(loaded, near=f"{lat},{lon}", radius_km=60)
    expected = sorted(
        ((haversine_km(lat, lon, r[4], r[5]), r[0]) for r in SPACES if haversine_km(lat, lon, r[4], r[5]) <= 60)
    )
    assert names(results) == [name for _, name in expected]
    for result, (distance, _) in zip(results, expected):
        assert result["distance_km"] == pytest.approx(distance, abs=0.01)


async def test_search__pages_without_duplicates_or_gaps(loaded: Database) -> None:
    for params in ({}, {"near": "45,10"}):
        seen: list[str] = []
        cursor: str | None = None
        while True:
            query = parse_space_query({**{k: [v] for k, v in params.items()}, "limit": ["3"],
                                       **({"cursor": [cursor]} if cursor else {})}, CURSORS)
            async with loaded.sessions() as session:
                page = await search_spaces(session, query, now=NOW, cursors=CURSORS)
            seen += [hit.listing.name for hit in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(row[0] for row in SPACES)
        assert len(seen) == len(set(seen))


async def test_search__consent_freshness_and_reachability(loaded: Database) -> None:
    racale, milano = SPACES[0], SPACES[2]
    async with loaded.transaction() as session:
        await upsert_remote_listing(session, place(racale, indexable=False), actor_id(racale[0]), None, NOW)
        await upsert_remote_listing(session, place(milano, discoverable=False), actor_id(milano[0]), None, NOW)
        await mark_origin_unreachable(session, "torino.example", NOW - timedelta(days=2))
        await remove_listing(session, actor_id("Paris Marais Studio"))
    everything = await search(loaded, limit=50)
    assert "Milano Loft" not in names(everything) and "Paris Marais Studio" not in names(everything)
    assert "Coworking Racale" in names(everything)  # listed, but not in full-text results
    assert names(await search(loaded, q="Salento")) == []
    torino = next(r for r in everything if r["name"] == "Torino Officine")
    assert torino["reachable"] is False
    short = ListingPolicy(hide_unreachable_after=timedelta(days=1))
    assert "Torino Officine" not in names(await search(loaded, short, limit=50))
    stale = ListingPolicy(stale_after=timedelta(hours=1))
    assert names(await search(loaded, stale, limit=50)) == ["Coworking Racale"]  # re-seen at NOW


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"near": ["91,10"]}, "near"),
        ({"near": ["45,181"]}, "near"),
        ({"near": ["45"]}, "near"),
        ({"near": ["45,10"], "radius_km": ["501"]}, "radius_km"),
        ({"radius_km": ["5"]}, "radius_km"),
        ({"amenity": ["wifi", "jacuzzi"]}, "amenity"),
        ({"price_kind": ["yacht"]}, "price_kind"),
        ({"max_price": ["20"]}, "max_price"),
        ({"country": ["XX"]}, "country"),
        ({"bbox": ["1,2,3"]}, "bbox"),
        ({"bbox": ["1,50,3,40"]}, "bbox"),
        ({"cursor": ["not-a-cursor"]}, "cursor"),
        ({"cursor": [CURSORS.encode("near", [1.0, 1])]}, "cursor"),
        ({"cursor": [CursorCodec("another-secret").encode("name", ["a", 1])]}, "cursor"),
        ({"open_now": ["maybe"]}, "open_now"),
        ({"limit": ["1000"]}, "limit"),
    ],
)
def test_parse_space_query__rejects_bad_input_naming_the_parameter(params: dict[str, list[str]], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        parse_space_query(params, CURSORS)
    assert raised.value.parameter == parameter


def test_parse_space_query__reads_price_filter() -> None:
    query = parse_space_query({"price_kind": ["day_pass"], "max_price": ["20"]}, CURSORS)
    assert (query.price_kind, query.max_price) == ("day_pass", Decimal("20"))


@pytest.mark.parametrize("sort_up_to", [0, 800])
async def test_search__text_and_place_pages_alike_whichever_way_matches_are_read(
    loaded: Database, monkeypatch: pytest.MonkeyPatch, sort_up_to: int
) -> None:
    # Few matches are read and sorted, many are probed while walking the name order: same pages.
    monkeypatch.setattr(search_index, "SORT_MATCHES_UP_TO", sort_up_to)
    for params, expected in (
        ({"q": "puglia"}, ["Coworking Racale", "Gallipoli Beach Office", "Lecce Hub"]),
        ({"q": "spazio"}, ["Coworking Racale"]),
        ({"country": "IT"}, sorted((r[0] for r in SPACES if r[3] == "IT"), key=str.casefold)),
        ({"region": "Puglia", "q": "mare"}, ["Coworking Racale", "Gallipoli Beach Office"]),
    ):
        assert names(await search(loaded, **params, limit=50)) == expected
        assert await all_pages(loaded, params, page_size=1) == expected


async def all_pages(db: Database, params: dict[str, str], page_size: int) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = parse_space_query({**{k: [v] for k, v in params.items()}, "limit": [str(page_size)],
                                   **({"cursor": [cursor]} if cursor else {})}, CURSORS)
        async with db.sessions() as session:
            page = await search_spaces(session, query, now=NOW, cursors=CURSORS)
        seen += [hit.listing.name for hit in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


@pytest.mark.parametrize("sort_up_to", [0, 800])
async def test_search_events__pages_in_start_order_without_duplicates_or_gaps(
    loaded: Database, monkeypatch: pytest.MonkeyPatch, sort_up_to: int
) -> None:
    monkeypatch.setattr(search_index, "SORT_MATCHES_UP_TO", sort_up_to)
    racale, berlin = actor_id("Coworking Racale"), actor_id("Berlin Kreuzberg Space")
    async with loaded.transaction() as session:
        await upsert_remote_listing(session, place(SPACES[2], discoverable=False), actor_id(SPACES[2][0]), None, NOW)
        entries = [
            # Several at the same instant: the id breaks the tie, and no page repeats or skips one.
            *(EventListingEntry(f"{racale}/e/tie{i}", racale, f"Colazione {i}", NOW + timedelta(days=1))
              for i in range(5)),
            EventListingEntry(f"{racale}/e/ongoing", racale, "Colazione lunga", NOW - timedelta(days=3),
                              ends_at=NOW + timedelta(hours=5)),
            EventListingEntry(f"{racale}/e/ended", racale, "Colazione finita", NOW - timedelta(days=3),
                              ends_at=NOW - timedelta(hours=1)),
            EventListingEntry(f"{berlin}/e/1", berlin, "Frühstück colazione", NOW + timedelta(days=2)),
            EventListingEntry(f"{actor_id(SPACES[2][0])}/e/1", actor_id(SPACES[2][0]), "Colazione nascosta",
                              NOW + timedelta(days=1)),  # its space is not listed
        ]
        for entry in entries:
            await upsert_event_listing(session, entry, NOW)
    expected = ["Colazione lunga", *(f"Colazione {i}" for i in range(5)), "Frühstück colazione"]
    for params, wanted in (({"q": "colazione"}, expected), ({}, expected),
                           ({"q": "colazione", "country": "IT"}, expected[:-1]),
                           ({"space": "@coworking@example"}, expected[:-1])):
        titles: list[str] = []
        cursor: str | None = None
        while True:
            query = parse_event_query({**{k: [v] for k, v in params.items()}, "limit": ["2"],
                                       **({"cursor": [cursor]} if cursor else {})}, CURSORS)
            async with loaded.sessions() as session:
                page = await search_events(session, query, now=NOW, cursors=CURSORS)
            titles += [hit.event.title for hit in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert titles == wanted, params
