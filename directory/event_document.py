"""A space's Event as ActivityStreams, the way FEP-8a8e, Mobilizon and Gancio read it.

* ``name``, ``startTime``/``endTime`` with offsets (in the event's zone), ``timezone``
  (IANA, Mobilizon's ``mz:timezone``), ``content`` (sanitized HTML) and a ``summary``
  written for people: Mastodon shows only ``name``, ``summary`` and a link
  (``directory.event_text``).
* ``location``: an AS2 ``Place`` (``latitude``/``longitude``, ``address`` a schema.org
  ``PostalAddress``), a ``VirtualLocation`` with ``url`` for online events, or both
  (Gancio sends such arrays). AS2's own ``location`` is kept: redefining it, as
  Mobilizon's context does, would hide the Place from AS2 readers such as Fedify.
* Status as Mobilizon sends it (``ical:status`` and ``status``: TENTATIVE, CONFIRMED,
  CANCELLED; postponed is TENTATIVE) plus FEP-8a8e's ``eventStatus``.
* ``joinMode`` ``external`` with ``externalParticipationUrl`` when the event has its own
  booking page, else ``free``; ``maximumAttendeeCapacity``.

Every extension term is declared in ONE inline map with the prefixes ``schema``,
``ical`` and ``mz``; the schema.org context itself is never referenced (it redefines
``Event`` and ``Place`` and strict peers such as Fedify then refuse the document).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from directory.event_schema import Event, EventLocation
from directory.event_text import PlaceText, event_summary, language_of, zone_of
from directory.richtext import extract_hashtags, render_markdown
from directory.space_actor import MediaRef
from directory.space_schema import Address, Space
from federation.vocab import AS2_CONTEXT, PUBLIC, SCHEMA_NS

__all__ = [
    "ICAL_NS",
    "MZ_NS",
    "OBJECT_CONTEXT",
    "EventIds",
    "ResolvedPlace",
    "event_document",
    "ical_status",
    "iso_utc",
    "postal_line",
    "resolve_place",
    "tombstone",
]

ICAL_NS = "http://www.w3.org/2002/12/cal/ical#"
MZ_NS = "https://joinmobilizon.org/ns#"

_TERMS: dict[str, Any] = {
    "schema": SCHEMA_NS,
    "ical": ICAL_NS,
    "mz": MZ_NS,
    "toot": "http://joinmastodon.org/ns#",
    "Hashtag": "as:Hashtag",
    "sensitive": "as:sensitive",
    "PostalAddress": "schema:PostalAddress",
    "VirtualLocation": "schema:VirtualLocation",
    "address": "schema:address",
    "streetAddress": "schema:streetAddress",
    "postalCode": "schema:postalCode",
    "addressLocality": "schema:addressLocality",
    "addressRegion": "schema:addressRegion",
    "addressCountry": "schema:addressCountry",
    "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
    "eventStatus": "schema:eventStatus",
    "inLanguage": "schema:inLanguage",
    "timezone": "mz:timezone",
    "isOnline": "mz:isOnline",
    "joinMode": "mz:joinMode",
    "externalParticipationUrl": "mz:externalParticipationUrl",
    "status": "ical:status",
}
# Referenced contexts: only ActivityStreams, which every peer ships.
OBJECT_CONTEXT: tuple[Any, ...] = (AS2_CONTEXT, _TERMS)

_ICAL_STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}
_EVENT_STATUS = {"scheduled": "EventScheduled", "cancelled": "EventCancelled", "postponed": "EventPostponed"}


@dataclass(frozen=True, slots=True)
class EventIds:
    """The URLs an event document names."""

    id: str
    url: str
    actor_id: str
    followers: str
    profile_url: str


@dataclass(frozen=True, slots=True)
class ResolvedPlace:
    """Where an event happens once ``"space"`` is replaced by the space's own address."""

    name: str | None
    address: Address | None
    lat: float | None
    lon: float | None
    online_url: str | None

    @property
    def is_physical(self) -> bool:
        return self.address is not None

    def text(self) -> PlaceText:
        line = None
        if self.address is not None:
            a = self.address
            line = ", ".join(part for part in (a.street, a.locality) if part) or postal_line(a)
        return PlaceText(name=self.name, address=line, online_url=self.online_url)


def postal_line(address: Address) -> str:
    """The address on one line, most specific part first."""
    locality = " ".join(part for part in (address.postal_code, address.locality) if part)
    return ", ".join(part for part in (address.street, locality, address.region, address.country) if part)


def iso_utc(moment: datetime) -> str:
    """UTC with a Z; milliseconds kept when there are any, so that an edit made
    within the same second as the post still moves `updated` forward (Mastodon
    applies an edit only then)."""
    utc = moment.astimezone(timezone.utc)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def ical_status(status: str) -> str:
    return _ICAL_STATUS.get(status, "CONFIRMED")


def resolve_place(event: Event, space: Space) -> ResolvedPlace:
    online_url = str(event.online_url) if event.online_url else None
    if event.location == "online":
        return ResolvedPlace(None, None, None, None, online_url)
    if isinstance(event.location, EventLocation):
        loc = event.location
        geo = loc.geo
        return ResolvedPlace(loc.name, loc, geo.lat if geo else None, geo.lon if geo else None, online_url)
    geo = space.geo
    return ResolvedPlace(space.name, space.address, geo.lat if geo else None, geo.lon if geo else None, online_url)


def _postal_address(address: Address) -> dict[str, Any]:
    postal: dict[str, Any] = {"type": "PostalAddress", "addressCountry": address.country}
    for key, value in (("streetAddress", address.street), ("postalCode", address.postal_code),
                       ("addressLocality", address.locality), ("addressRegion", address.region)):
        if value:
            postal[key] = value
    return postal


def _locations(place: ResolvedPlace) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if place.address is not None:
        physical: dict[str, Any] = {"type": "Place", "name": place.name or postal_line(place.address),
                                    "address": _postal_address(place.address)}
        if place.lat is not None and place.lon is not None:
            physical |= {"latitude": place.lat, "longitude": place.lon}
        found.append(physical)
    if place.online_url:
        found.append({"type": "VirtualLocation", "url": place.online_url})
    return found


def _hashtags(event: Event, profile_url: str) -> list[dict[str, str]]:
    names: dict[str, str] = {}
    for tag in [*event.tags, *extract_hashtags(event.description or "")]:
        names.setdefault(tag.casefold(), tag)
    return [{"type": "Hashtag", "name": f"#{tag}", "href": f"{profile_url}?tag={quote(tag.lower())}"}
            for tag in names.values()]


def _local_time(moment: datetime, event: Event) -> str:
    return moment.astimezone(zone_of(event.timezone, event.starts_at)).isoformat()


def event_document(
    event: Event,
    *,
    space: Space,
    ids: EventIds,
    published: datetime,
    updated: datetime | None,
    image: MediaRef | None,
    with_context: bool = True,
) -> dict[str, Any]:
    """The ``Event`` served at ``ids.id`` and embedded in its activities."""
    language = language_of(space.languages)
    place = resolve_place(event, space)
    content = render_markdown(event.description or "")
    document: dict[str, Any] = {
        "id": ids.id,
        "type": "Event",
        "name": event.title,
        "summary": event_summary(event.starts_at, event.ends_at, event.timezone, place.text(), language),
        "content": content,
        "contentMap": {language: content},
        "nameMap": {language: event.title},
        "url": ids.url,
        "attributedTo": ids.actor_id,
        "to": [PUBLIC],
        "cc": [ids.followers],
        "published": iso_utc(published),
        "startTime": _local_time(event.starts_at, event),
        "location": _locations(place),
        "isOnline": not place.is_physical,
        "tag": _hashtags(event, ids.profile_url),
        "status": ical_status(event.status),
        "ical:status": ical_status(event.status),
        "eventStatus": _EVENT_STATUS[event.status],
        "joinMode": "external" if event.url else "free",
        "inLanguage": language,
        "sensitive": False,
    }
    if event.ends_at is not None:
        document["endTime"] = _local_time(event.ends_at, event)
    if event.timezone:
        document["timezone"] = event.timezone
    if event.url:
        document["externalParticipationUrl"] = str(event.url)
    if event.capacity is not None:
        document["maximumAttendeeCapacity"] = event.capacity
    if image is not None:
        document["attachment"] = [{"type": "Image", "mediaType": image.media_type, "url": image.url,
                                   "name": space.name}]
    if updated is not None and updated > published:
        document["updated"] = iso_utc(updated)
    if with_context:
        document = {"@context": list(OBJECT_CONTEXT), **document}
    return document


def tombstone(object_id: str, *, former_type: str, deleted: datetime) -> dict[str, Any]:
    return {"@context": AS2_CONTEXT, "id": object_id, "type": "Tombstone", "formerType": former_type,
            "deleted": iso_utc(deleted)}
