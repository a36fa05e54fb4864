from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from directory.space_actor import ActorUrls, MediaRef, space_actor_document, space_from_actor_document
from directory.space_schema import Space
from tests.directory.test_space_schema import contract_space
from tests.jsonld import assert_every_term_expanded as check_terms
from tests.jsonld import LOCAL_CONTEXTS, expand

AS = "https://www.w3.org/ns/activitystreams#"
SCHEMA = "http://schema.org#"
# Compact terms whose IRI's local name differs from the term.
ALIASES = {"website": "url", "sharedInbox": "sharedInbox"}

URLS = ActorUrls(
    id="https://espresso.example/spaces/racale",
    inbox="https://espresso.example/spaces/racale/inbox",
    outbox="https://espresso.example/spaces/racale/outbox",
    followers="https://espresso.example/spaces/racale/followers",
    following="https://espresso.example/spaces/racale/following",
    featured="https://espresso.example/spaces/racale/featured",
    shared_inbox="https://espresso.example/inbox",
    profile_url="https://espresso.example/@racale",
)


def actor(**changes: Any) -> dict[str, Any]:
    space = Space.model_validate({**contract_space(), "summary": "Il **primo** coworking di #Racale", **changes})
    return space_actor_document(
        space,
        urls=URLS,
        rsa_public_pem="-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
        ed25519_multibase="z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        published=datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        icon=MediaRef("https://espresso.example/media/logo.png", "image/png", 400, 400),
        image=MediaRef("https://espresso.example/media/header.webp", "image/webp"),
        updated=datetime(2027, 2, 1, tzinfo=timezone.utc),
    )


def assert_every_term_expanded(compact: dict[str, Any], expanded: dict[str, Any]) -> None:
    check_terms(compact, expanded, aliases=ALIASES)


def test_actor_document__every_term_expands_offline_to_an_iri() -> None:
    document = actor()
    expanded = expand(document)
    assert_every_term_expanded(document, expanded)
    assert expanded["@type"] == [f"{AS}Organization"]


def test_actor_document__property_values_expand_as_mastodon_expects() -> None:
    expanded = expand(actor())
    attachments = expanded[f"{AS}attachment"]
    assert {a["@type"][0] for a in attachments} == {f"{SCHEMA}PropertyValue"}
    assert all(f"{SCHEMA}value" in a for a in attachments)
    assert expanded["http://joinmastodon.org/ns#featured"] == [{"@id": URLS.featured}]
    assert expanded[f"{AS}manuallyApprovesFollowers"] == [{"@value": False}]


def test_actor_document__references_only_preloaded_contexts_and_one_inline_map() -> None:
    context = actor()["@context"]
    urls = [c for c in context if isinstance(c, str)]
    assert set(urls) <= set(LOCAL_CONTEXTS) and "https://schema.org" not in json.dumps(context)
    assert [c for c in context if isinstance(c, dict)][0]["schema"] == "http://schema.org#"
    assert len([c for c in context if isinstance(c, dict)]) == 1


def test_actor_document__mastodon_profile_fields_in_order() -> None:
    document = actor()
    fields = [(a["type"], a["name"], a["value"]) for a in document["attachment"]]
    assert [f[1] for f in fields] == ["Indirizzo", "Orari", "Giornata", "Sito web", "Telefono", "E-mail", "Postazioni"]
    assert fields[0][2] == "Via Roma 1, 73055 Racale, Puglia, IT"
    assert fields[1][2] == "lun–ven 09:00–19:00"
    assert fields[2][2] == "€15.00"
    assert fields[3][2] == '<a href="https://example.org" rel="me nofollow noopener noreferrer" target="_blank">example.org</a>'
    assert {f[0] for f in fields} == {"PropertyValue"}


def test_actor_document__english_labels_and_collapsed_day_ranges() -> None:
    document = actor(languages=["en"], opening_hours=[
        {"days": ["mo", "tu", "we", "fr"], "opens": "09:00", "closes": "19:00"},
        {"days": ["sa"], "opens": "10:00", "closes": "13:00"},
    ])
    hours = next(a for a in document["attachment"] if a["name"] == "Opening hours")
    assert hours["value"] == "Mon–Wed, Fri 09:00–19:00; Sat 10:00–13:00"


def test_actor_document__actor_fields() -> None:
    document = actor()
    assert document["type"] == "Organization" and document["preferredUsername"] == "racale"
    assert document["summary"].startswith("<p>Il <strong>primo</strong> coworking")
    assert document["publicKey"] == {"id": URLS.id + "#main-key", "owner": URLS.id, "publicKeyPem": document["publicKey"]["publicKeyPem"]}
    assert document["assertionMethod"][0]["id"] == URLS.id + "#ed25519-key"
    assert document["assertionMethod"][0]["type"] == "Multikey"
    assert document["endpoints"] == {"sharedInbox": URLS.shared_inbox}
    assert document["icon"] == {"type": "Image", "mediaType": "image/png", "url": "https://espresso.example/media/logo.png", "width": 400, "height": 400}
    assert document["published"] == "2027-01-02T03:04:05Z" and document["updated"] == "2027-02-01T00:00:00Z"
    assert document["tag"] == [{"type": "Hashtag", "name": "#rural", "href": "https://espresso.example/@racale?tag=rural"}]
    assert (document["discoverable"], document["indexable"]) == (True, True)
    assert document["location"]["address"]["addressCountry"] == "IT"


def test_round_trip__our_actor_parses_back() -> None:
    parsed = space_from_actor_document(actor())
    assert (parsed.name, parsed.locality, parsed.country, parsed.lat, parsed.lon) == ("Coworking Racale", "Racale", "IT", 39.9608, 18.0937)
    assert parsed.amenities == ("wifi", "meeting_room", "kitchen")
    assert [(p.kind, p.amount, p.currency) for p in parsed.prices] == [("day_pass", "15.00", "EUR")]
    assert [(r.days, r.opens, r.closes) for r in parsed.opening_hours] == [(("mo", "tu", "we", "th", "fr"), "09:00", "19:00")]
    assert parsed.languages == ("it", "en") and parsed.tags == ("rural",) and parsed.seats == 40
    assert parsed.website == "https://example.org" and parsed.icon_url == "https://espresso.example/media/logo.png"
    assert parsed.discoverable and parsed.indexable


MOBILIZON_PLACE = {
    "@context": ["https://www.w3.org/ns/activitystreams", {"sc": "http://schema.org#", "PostalAddress": "sc:PostalAddress"}],
    "type": "Place",
    "id": "https://mobilizon.example/address/1",
    "name": "Spazio Comune",
    "latitude": 40.3515,
    "longitude": 18.1750,
    "address": {
        "type": "PostalAddress",
        "streetAddress": "Via Palmieri 10",
        "postalCode": "73100",
        "addressLocality": "Lecce",
        "addressRegion": "Puglia",
        "addressCountry": "Italia",
    },
}

GANCIO_ACTOR = {
    "type": "Application",
    "preferredUsername": "events",
    "name": "Gancio Lecce",
    "summary": "<p>Eventi in città</p>",
    "location": [
        {"type": "VirtualLocation", "url": "https://meet.example/x"},
        {"type": "Place", "name": "Ex Fadda", "address": "Via Francesco Crispi 2, San Vito dei Normanni"},
    ],
    "icon": {"type": "Image", "url": "https://gancio.example/logo.png"},
}


def test_parser__mobilizon_place_with_country_name() -> None:
    parsed = space_from_actor_document(MOBILIZON_PLACE)
    assert (parsed.name, parsed.street, parsed.postal_code, parsed.locality, parsed.region, parsed.country) == (
        "Spazio Comune", "Via Palmieri 10", "73100", "Lecce", "Puglia", "IT")
    assert (parsed.lat, parsed.lon) == (40.3515, 18.175)
    assert not parsed.discoverable  # no explicit opt-in


def test_parser__gancio_actor_with_string_address_and_location_array() -> None:
    parsed = space_from_actor_document(GANCIO_ACTOR)
    assert parsed.name == "Gancio Lecce" and parsed.street == "Via Francesco Crispi 2, San Vito dei Normanni"
    assert parsed.country is None and parsed.lat is None
    assert parsed.summary_html == "<p>Eventi in città</p>" and parsed.icon_url == "https://gancio.example/logo.png"


def test_parser__hostile_input_is_cut_down_not_fatal() -> None:
    hostile = {
        "type": "Organization",
        "name": "x" * 1000,
        "summary": "<p>" + "a" * 10_000_000 + "<script>alert(1)</script></p>",
        "location": {"type": "Place", "latitude": 999, "longitude": "NaN", "address": {"addressCountry": ["??"]}},
        "tag": [{"type": "Hashtag", "name": f"#t{i}"} for i in range(1000)] + [{"type": "Hashtag", "name": "#<b>"}],
        "openingHoursSpecification": [{"dayOfWeek": "Funday", "opens": "25:00", "closes": "x"}, "junk", None],
        "amenityFeature": [{"name": "sauna", "value": True}, {"name": "wifi"}, {"name": "kitchen", "value": False}],
        "makesOffer": [{"name": "day_pass", "price": "-5", "priceCurrency": "EUR"}, {"name": "week_pass", "price": 50, "priceCurrency": "eur"}],
        "maximumAttendeeCapacity": 1e12,
        "knowsLanguage": ["it", 5, "<script>"],
        "website": "javascript:alert(1)",
        "icon": [{"url": {"href": "ftp://x"}}],
        "discoverable": "yes",
    }
    parsed = space_from_actor_document(hostile)
    assert len(parsed.summary_html) <= 5000 and "<script" not in parsed.summary_html
    assert parsed.name is not None and len(parsed.name) == 100
    assert (parsed.lat, parsed.lon, parsed.country) == (None, None, None)
    assert len(parsed.tags) == 50 and parsed.tags[0] == "t0"
    assert parsed.opening_hours == () and parsed.amenities == ("wifi",)
    assert [(p.kind, p.amount, p.currency) for p in parsed.prices] == [("week_pass", "50.00", "EUR")]
    assert (parsed.seats, parsed.website, parsed.icon_url, parsed.discoverable) == (None, None, None, False)
    assert parsed.languages == ("it",)


@pytest.mark.parametrize("junk", [{}, {"location": "nowhere"}, {"location": [1, None]}, {"tag": "x", "attachment": 5}])
def test_parser__never_raises_on_odd_shapes(junk: dict[str, Any]) -> None:
    assert space_from_actor_document(junk).name is None


def test_expansion_check__would_catch_an_undeclared_term() -> None:
    document = actor()
    document["location"]["seatingPlan"] = "round tables"
    with pytest.raises(AssertionError, match="seatingPlan"):
        assert_every_term_expanded(document, expand(document))
