"""Reading Events and Notes as Mobilizon, Gancio, Fedify and Mastodon send them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from directory.remote_objects import parse_remote_object

MOBILIZON = {
    "@context": ["https://www.w3.org/ns/activitystreams", {"sc": "http://schema.org#", "ical": "http://www.w3.org/2002/12/cal/ical#"}],
    "id": "https://mobilizon.example/events/252d5816",
    "type": "Event",
    "name": "Assemblea",
    "attributedTo": "https://mobilizon.example/@group",
    "content": "<p>Ciao <script>alert(1)</script><b>tutti</b></p>",
    "summary": "22 settembre 2027, GMT+02:00 - Via Roma 1",
    "startTime": "2027-09-22T09:30:00+02:00",
    "endTime": "2027-09-22T12:00:00+02:00",
    "timezone": "Europe/Rome",
    "ical:status": "CONFIRMED",
    "location": {
        "type": "Place", "name": "Sala", "latitude": 40.35, "longitude": 18.17,
        "address": {"type": "PostalAddress", "streetAddress": "Via Roma 1", "addressLocality": "Lecce",
                    "postalCode": "73100", "addressCountry": "Italia"},
    },
    "url": "https://mobilizon.example/events/252d5816",
}
GANCIO = {
    "id": "https://gancio.example/federation/m/42",
    "type": "Event",
    "name": "Concerto",
    "attributedTo": "https://gancio.example/federation/u/relay",
    "startTime": "2027-10-01T21:00:00.000Z",
    "location": [
        {"type": "Place", "name": "Circolo", "address": "Via Dante 3, Bologna"},
        {"type": "VirtualLocation", "url": "https://stream.example/live"},
    ],
}


def test_parse__mobilizon_event() -> None:
    parsed = parse_remote_object(MOBILIZON)
    assert parsed is not None and parsed.type == "Event"
    assert parsed.starts_at == datetime(2027, 9, 22, 7, 30, tzinfo=timezone.utc)
    assert parsed.ends_at == datetime(2027, 9, 22, 10, 0, tzinfo=timezone.utc)
    assert (parsed.timezone, parsed.status) == ("Europe/Rome", "scheduled")
    assert parsed.location == {"name": "Sala", "street": "Via Roma 1", "locality": "Lecce", "postal_code": "73100",
                               "country": "IT", "geo": {"lat": 40.35, "lon": 18.17}}
    assert "<script>" not in parsed.content and "alert" not in parsed.content and "tutti" in parsed.content


def test_parse__gancio_array_of_locations_and_no_end() -> None:
    parsed = parse_remote_object(GANCIO)
    assert parsed is not None
    assert parsed.ends_at is None and parsed.starts_at == datetime(2027, 10, 1, 21, 0, tzinfo=timezone.utc)
    assert parsed.location == {"name": "Circolo", "street": "Via Dante 3, Bologna"}
    assert parsed.online_url == "https://stream.example/live"


@pytest.mark.parametrize("changes", [
    {"startTime": "yesterday", "endTime": 5},
    {"startTime": "29999-01-01T00:00:00Z"},
    {"endTime": "2027-09-22T08:00:00+02:00"},  # before the start
    {"timezone": "Mars/Olympus", "location": "somewhere", "ical:status": ["?"]},
    {"location": [1, None, {"type": "Place", "latitude": 900, "longitude": "x"}], "name": {"x": 1}},
    {"url": "javascript:alert(1)", "attributedTo": [None, {"id": 3}]},
    {"content": "x" * 500_000, "name": "n" * 10_000},
])
def test_parse__absurd_values_are_dropped_the_rest_kept(changes: dict[str, Any]) -> None:
    parsed = parse_remote_object({**MOBILIZON, **changes})
    assert parsed is not None and parsed.id == MOBILIZON["id"]
    if parsed.ends_at is not None:
        assert parsed.starts_at is not None and parsed.ends_at > parsed.starts_at
    assert parsed.timezone in (None, "Europe/Rome")
    assert len(parsed.content) <= 20_000 and (parsed.name is None or len(parsed.name) <= 300)
    assert parsed.url is None or parsed.url.startswith("https://")


@pytest.mark.parametrize("document", [None, [], "x", {"type": "Event"}, {"id": "ftp://x/1", "type": "Event"},
                                      {"id": "https://x.example/1", "type": "Person"}])
def test_parse__unusable_documents_are_none(document: Any) -> None:
    assert parse_remote_object(document) is None


def test_parse__note_with_mentions() -> None:
    parsed = parse_remote_object({
        "id": "https://m.example/notes/1", "type": "Note", "attributedTo": "https://m.example/users/a",
        "contentMap": {"it": "<p>ciao</p>"}, "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://e.example/users/racale"],
        "tag": [{"type": "Mention", "href": "https://e.example/users/racale", "name": "@racale@e.example"}],
    })
    assert parsed is not None and parsed.content == "<p>ciao</p>" and parsed.starts_at is None
    assert parsed.mentions == ("https://e.example/users/racale",)
    assert "https://e.example/users/racale" in parsed.audience


def test_parse__cancelled_and_tentative() -> None:
    assert parse_remote_object({**MOBILIZON, "ical:status": "CANCELLED"}).status == "cancelled"  # type: ignore[union-attr]
    assert parse_remote_object({**MOBILIZON, "ical:status": "TENTATIVE"}).status == "postponed"  # type: ignore[union-attr]
    schema = {**MOBILIZON, "ical:status": None, "eventStatus": "https://schema.org/EventCancelled"}
    assert parse_remote_object(schema).status == "cancelled"  # type: ignore[union-attr]
