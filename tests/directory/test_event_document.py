from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any


from directory.event_document import EventIds, event_document
from directory.event_schema import Event
from directory.space_actor import MediaRef
from directory.space_schema import Space
from tests.jsonld import assert_every_term_expanded as check_terms
from tests.jsonld import expand
from tests.directory.test_space_schema import contract_space

AS = "https://www.w3.org/ns/activitystreams#"
SCHEMA = "http://schema.org#"
ICAL = "http://www.w3.org/2002/12/cal/ical#"
MZ = "https://joinmobilizon.org/ns#"
ALIASES = {"contentMap": "content", "nameMap": "name", "ical:status": "status"}
IDS = EventIds(
    id="https://espresso.example/users/racale/events/7",
    url="https://espresso.example/@racale/events/7",
    actor_id="https://espresso.example/users/racale",
    followers="https://espresso.example/users/racale/followers",
    profile_url="https://espresso.example/@racale",
)
PUBLISHED = datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def contract_event(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Espresso Coworking 2027",
        "description": "Two days of **talks** #ec27",
        "starts_at": "2027-09-22T09:30:00+02:00",
        "ends_at": "2027-09-22T18:00:00+02:00",
        "timezone": "Europe/Rome",
        "location": "space",
        "capacity": 120,
        "tags": ["coworking"],
        **changes,
    }


def document(space_changes: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    space = Space.model_validate({**contract_space(), **(space_changes or {})})
    return event_document(
        Event.model_validate(contract_event(**changes)), space=space, ids=IDS, published=PUBLISHED,
        updated=datetime(2027, 2, 1, tzinfo=timezone.utc),
        image=MediaRef("https://espresso.example/media/header.webp", "image/webp"),
    )


def assert_every_term_expanded(compact: dict[str, Any], expanded: dict[str, Any]) -> None:
    # Language maps (contentMap, nameMap) expand to language-tagged values, not nodes: not walked.
    check_terms(compact, expanded, aliases=ALIASES, opaque=ALIASES)


def test_event_document__every_term_expands_offline_to_an_iri() -> None:
    doc = document(online_url="https://meet.example/room")
    expanded = expand(doc)
    assert_every_term_expanded(doc, expanded)
    assert expanded["@type"] == [f"{AS}Event"]
    assert expanded[f"{MZ}timezone"] == [{"@value": "Europe/Rome"}]
    assert {"@value": "CONFIRMED"} in expanded[f"{ICAL}status"]
    assert expanded[f"{SCHEMA}maximumAttendeeCapacity"] == [{"@value": 120}]
    place, virtual = expanded[f"{AS}location"]
    assert place["@type"] == [f"{AS}Place"] and virtual["@type"] == [f"{SCHEMA}VirtualLocation"]
    assert place[f"{SCHEMA}address"][0]["@type"] == [f"{SCHEMA}PostalAddress"]


def test_event_document__references_only_activitystreams_and_one_inline_map() -> None:
    context = document()["@context"]
    assert [c for c in context if isinstance(c, str)] == ["https://www.w3.org/ns/activitystreams"]
    inline = [c for c in context if isinstance(c, dict)]
    assert len(inline) == 1 and inline[0]["schema"] == SCHEMA and inline[0]["ical"] == ICAL and inline[0]["mz"] == MZ
    assert "https://schema.org" not in json.dumps(context)


def test_event_document__summary_tells_mastodon_readers_when_and_where() -> None:
    doc = document()
    assert doc["summary"] == "mer 22 set 2027, 09:30–18:00 (Europe/Rome) · Coworking Racale, Via Roma 1, Racale"
    english = document({"languages": ["en"]})
    assert english["summary"].startswith("Wed 22 Sep 2027, 09:30–18:00 (Europe/Rome)")
    assert list(english["contentMap"]) == ["en"]
    two_days = document(ends_at="2027-09-23T18:00:00+02:00")
    assert two_days["summary"].startswith("mer 22 set 2027, 09:30 – gio 23 set 2027, 18:00 (Europe/Rome)")
    online = document(location="online", online_url="https://meet.example/room", timezone=None)
    assert online["summary"] == "mer 22 set 2027, 09:30–18:00 (UTC+02:00) · Online: https://meet.example/room"


def test_event_document__fep_8a8e_and_mobilizon_fields() -> None:
    doc = document(url="https://tickets.example/ec27")
    assert (doc["startTime"], doc["endTime"]) == ("2027-09-22T09:30:00+02:00", "2027-09-22T18:00:00+02:00")
    assert doc["attributedTo"] == IDS.actor_id and doc["url"] == IDS.url
    assert doc["to"] == ["https://www.w3.org/ns/activitystreams#Public"] and doc["cc"] == [IDS.followers]
    assert doc["joinMode"] == "external" and doc["externalParticipationUrl"] == "https://tickets.example/ec27"
    assert doc["published"] == "2027-01-02T03:04:05Z" and doc["updated"] == "2027-02-01T00:00:00Z"
    assert doc["attachment"][0]["type"] == "Image" and doc["attachment"][0]["url"].endswith("header.webp")
    [place] = doc["location"]
    assert place == {
        "type": "Place", "name": "Coworking Racale", "latitude": 39.9608, "longitude": 18.0937,
        "address": {"type": "PostalAddress", "streetAddress": "Via Roma 1", "postalCode": "73055",
                    "addressLocality": "Racale", "addressRegion": "Puglia", "addressCountry": "IT"},
    }
    assert document()["joinMode"] == "free"


def test_event_document__status_as_mobilizon_sends_it() -> None:
    for status, ical, schema in (("scheduled", "CONFIRMED", "EventScheduled"),
                                 ("cancelled", "CANCELLED", "EventCancelled"),
                                 ("postponed", "TENTATIVE", "EventPostponed")):
        doc = document(status=status)
        assert (doc["ical:status"], doc["status"], doc["eventStatus"]) == (ical, ical, schema)


def test_event_document__own_address_replaces_the_space() -> None:
    doc = document(location={"name": "Teatro", "street": "Piazza 2", "locality": "Lecce", "country": "IT",
                             "geo": {"lat": 40.35, "lon": 18.17}})
    [place] = doc["location"]
    assert place["name"] == "Teatro" and place["latitude"] == 40.35
    assert doc["summary"].endswith("· Teatro, Piazza 2, Lecce")
