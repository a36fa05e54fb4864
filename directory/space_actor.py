"""A Space as an ActivityPub actor document (an ``Organization``).

Two readers shape this document:

* **Mastodon** reads only the classic actor fields and ``attachment`` items whose
  compact type is exactly ``PropertyValue``. Several clients show only the first four,
  so the order is address, opening hours, day pass, website, then phone, e-mail, seats.
  Labels follow the space's first language (Italian or English).
* **Fedify 2.x** expands the document strictly. So the ``@context`` names only
  contexts it ships (AS2, security v1, multikey v1) plus ONE inline map declaring every
  extension term. schema.org terms use the prefix ``schema`` = ``http://schema.org#``
  (Mastodon's and Mobilizon's spelling); the schema.org context itself is never
  referenced, because it redefines ``Organization`` and ``Place`` and Fedify then
  rejects the actor.

Term choices for the structured profile (all ``schema:`` IRIs under the prefix above):

* ``location``: AS2 ``Place`` with ``latitude``/``longitude`` and ``address`` a
  ``PostalAddress`` (``streetAddress``, ``postalCode``, ``addressLocality``,
  ``addressRegion``, ``addressCountry`` as an ISO code), exactly as Mobilizon sends it.
* ``openingHoursSpecification``: ``OpeningHoursSpecification`` items with ``dayOfWeek``
  (schema DayOfWeek names such as ``"Monday"``), ``opens``, ``closes`` ("HH:MM").
* ``amenityFeature``: ``LocationFeatureSpecification`` items, ``name`` = our vocabulary
  code, ``value`` = true.
* ``makesOffer``: items typed with the compact IRI ``schema:Offer`` (the bare term
  ``Offer`` is AS2's activity and must not be redefined), ``name`` = price kind,
  ``price`` (decimal string), ``priceCurrency``.
* ``maximumAttendeeCapacity`` for seats (as Mobilizon uses it for events),
  ``knowsLanguage``, ``email``, ``telephone``, and ``website`` (mapped to ``schema:url``,
  since AS2 ``url`` is the profile page).
* ``assertionMethod`` (FEP-521a) is declared inline as ``sec:assertionMethod``: of the
  allowed contexts only DID v1 would define it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

from directory.place_parsing import ParsedPlace, space_from_actor_document
from directory.richtext import render_markdown
from directory.space_schema import Space
from directory.space_text import address_line, opening_hours_text, price_text
from directory.vocabulary import WEEKDAY_ABBREVIATIONS, WEEKDAY_LABELS, WEEKDAYS
from federation.vocab import AS2_CONTEXT, MASTODON_TERMS, MULTIKEY_CONTEXT, SECURITY_CONTEXT, SECURITY_NS

__all__ = [
    "ACTOR_CONTEXT",
    "ActorUrls",
    "MediaRef",
    "ParsedPlace",
    "space_actor_document",
    "space_from_actor_document",
]

_SCHEMA_TERMS: dict[str, Any] = {
    "assertionMethod": {"@id": f"{SECURITY_NS}assertionMethod", "@type": "@id"},
    "PostalAddress": "schema:PostalAddress",
    "address": "schema:address",
    "streetAddress": "schema:streetAddress",
    "postalCode": "schema:postalCode",
    "addressLocality": "schema:addressLocality",
    "addressRegion": "schema:addressRegion",
    "addressCountry": "schema:addressCountry",
    "OpeningHoursSpecification": "schema:OpeningHoursSpecification",
    "openingHoursSpecification": "schema:openingHoursSpecification",
    "dayOfWeek": "schema:dayOfWeek",
    "opens": "schema:opens",
    "closes": "schema:closes",
    "LocationFeatureSpecification": "schema:LocationFeatureSpecification",
    "amenityFeature": "schema:amenityFeature",
    "makesOffer": "schema:makesOffer",
    "price": "schema:price",
    "priceCurrency": "schema:priceCurrency",
    "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
    "knowsLanguage": "schema:knowsLanguage",
    "email": "schema:email",
    "telephone": "schema:telephone",
    "website": {"@id": "schema:url", "@type": "@id"},
    # FEP-8a8e: the actor's future and ongoing events, by ascending start.
    "upcomingEvents": {"@id": "https://w3id.org/fep/8a8e#upcomingEvents", "@type": "@id"},
}

ACTOR_CONTEXT: tuple[Any, ...] = (
    AS2_CONTEXT,
    SECURITY_CONTEXT,
    MULTIKEY_CONTEXT,
    {**MASTODON_TERMS, **_SCHEMA_TERMS},
)

_WEBSITE_REL = "me nofollow noopener noreferrer"
_FIELD_LABELS = {
    "en": ("Address", "Opening hours", "Day pass", "Website", "Phone", "E-mail", "Seats"),
    "it": ("Indirizzo", "Orari", "Giornata", "Sito web", "Telefono", "E-mail", "Postazioni"),
}


@dataclass(frozen=True, slots=True)
class ActorUrls:
    """Where a space's actor and its collections live; key ids derive from ``id``."""

    id: str
    inbox: str
    outbox: str
    followers: str
    following: str
    featured: str
    shared_inbox: str
    profile_url: str
    key_id: str = field(default="")
    ed25519_key_id: str = field(default="")
    upcoming_events: str = field(default="")

    def __post_init__(self) -> None:
        # Frozen: fill the derived defaults through object.__setattr__.
        if not self.upcoming_events:
            object.__setattr__(self, "upcoming_events", f"{self.id}/collections/upcoming-events")
        if not self.key_id:
            object.__setattr__(self, "key_id", f"{self.id}#main-key")
        if not self.ed25519_key_id:
            object.__setattr__(self, "ed25519_key_id", f"{self.id}#ed25519-key")


@dataclass(frozen=True, slots=True)
class MediaRef:
    """An uploaded image as published: its URL and media type."""

    url: str
    media_type: str
    width: int | None = None
    height: int | None = None


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image(media: MediaRef) -> dict[str, Any]:
    image: dict[str, Any] = {"type": "Image", "mediaType": media.media_type, "url": media.url}
    if media.width and media.height:
        image |= {"width": media.width, "height": media.height}
    return image


def _language(space: Space) -> str:
    first = space.languages[0].split("-")[0] if space.languages else "en"
    return first if first in _FIELD_LABELS else "en"


def _website_link(url: str) -> str:
    host = urlsplit(url).hostname or url
    return f'<a href="{html.escape(url)}" rel="{_WEBSITE_REL}" target="_blank">{html.escape(host)}</a>'


def _property_values(space: Space) -> list[dict[str, str]]:
    labels = _FIELD_LABELS[_language(space)]
    day_pass = next((p for p in space.prices if p.kind == "day_pass"), None)
    values: list[tuple[str, str | None]] = [
        (labels[0], html.escape(address_line(space))),
        (labels[1], html.escape(opening_hours_text(space.opening_hours, _language(space))) or None),
        (labels[2], html.escape(price_text(day_pass)) if day_pass else None),
        (labels[3], _website_link(space.website) if space.website else None),
        (labels[4], html.escape(space.phone) if space.phone else None),
        (labels[5], html.escape(space.email) if space.email else None),
        (labels[6], str(space.seats) if space.seats is not None else None),
    ]
    return [{"type": "PropertyValue", "name": name, "value": value} for name, value in values if value]


def _place(space: Space) -> dict[str, Any]:
    a = space.address
    postal: dict[str, Any] = {"type": "PostalAddress", "addressCountry": a.country}
    for key, value in (("streetAddress", a.street), ("postalCode", a.postal_code),
                       ("addressLocality", a.locality), ("addressRegion", a.region)):
        if value:
            postal[key] = value
    place: dict[str, Any] = {"type": "Place", "name": space.name, "address": postal}
    if space.geo is not None:
        place |= {"latitude": space.geo.lat, "longitude": space.geo.lon}
    return place


def _structured_profile(space: Space) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "location": _place(space),
        "openingHoursSpecification": [
            {"type": "OpeningHoursSpecification", "dayOfWeek": [WEEKDAY_LABELS[d].en for d in r.days],
             "opens": r.opens, "closes": r.closes}
            for r in space.opening_hours
        ],
        "amenityFeature": [
            {"type": "LocationFeatureSpecification", "name": code, "value": True} for code in space.amenities
        ],
        "makesOffer": [
            {"type": "schema:Offer", "name": p.kind, "price": p.amount, "priceCurrency": p.currency}
            for p in space.prices
        ],
        "knowsLanguage": list(space.languages),
    }
    optional = {"maximumAttendeeCapacity": space.seats, "email": space.email,
                "telephone": space.phone, "website": space.website}
    return profile | {key: value for key, value in optional.items() if value is not None}


def _hashtags(space: Space, profile_url: str) -> list[dict[str, str]]:
    return [
        {"type": "Hashtag", "name": f"#{tag}", "href": f"{profile_url}?tag={quote(tag.lower())}"}
        for tag in space.tags
    ]


def space_actor_document(
    space: Space,
    *,
    urls: ActorUrls,
    rsa_public_pem: str,
    ed25519_multibase: str,
    published: datetime,
    icon: MediaRef | None,
    image: MediaRef | None,
    updated: datetime | None,
) -> dict[str, Any]:
    """The ActivityStreams document served at ``urls.id``."""
    document: dict[str, Any] = {
        "@context": list(ACTOR_CONTEXT),
        "id": urls.id,
        "type": "Organization",
        "preferredUsername": space.username,
        "name": space.name,
        "summary": render_markdown(space.summary or ""),
        "url": urls.profile_url,
        "inbox": urls.inbox,
        "outbox": urls.outbox,
        "followers": urls.followers,
        "following": urls.following,
        "featured": urls.featured,
        "upcomingEvents": urls.upcoming_events,
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "publicKey": {"id": urls.key_id, "owner": urls.id, "publicKeyPem": rsa_public_pem},
        "assertionMethod": [
            {"id": urls.ed25519_key_id, "type": "Multikey", "controller": urls.id,
             "publicKeyMultibase": ed25519_multibase}
        ],
        "manuallyApprovesFollowers": space.manually_approves_followers,
        "discoverable": space.discoverable,
        "indexable": space.indexable,
        "published": _iso(published),
        "tag": _hashtags(space, urls.profile_url),
        "attachment": _property_values(space),
        **_structured_profile(space),
    }
    if icon is not None:
        document["icon"] = _image(icon)
    if image is not None:
        document["image"] = _image(image)
    if updated is not None:
        document["updated"] = _iso(updated)
    return document
