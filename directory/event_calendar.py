"""iCalendar (RFC 5545) for a space's events, built with the ``icalendar`` library.

Times carry their IANA zone as ``TZID`` with a ``VTIMEZONE`` per zone (generated
from zoneinfo), so calendar apps show the event at the right hour after any DST
change; an event without a zone is written in UTC. ``UID`` is the event's AS2 id
(stable forever) and ``SEQUENCE`` grows on every change, so subscribers replace
their copy instead of adding a second one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event as ICalEvent, vGeo

from .event_document import ResolvedPlace, ical_status, postal_line
from .event_schema import Event
from .richtext import plain_text, render_markdown

__all__ = ["CalendarEntry", "calendar_bytes"]

PRODID = "-//Espresso//Coworking events//EN"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    uid: str
    event: Event
    place: ResolvedPlace
    sequence: int
    created_at: datetime
    updated_at: datetime
    url: str


def _in_zone(moment: datetime, zone_name: str | None) -> datetime:
    return moment.astimezone(ZoneInfo(zone_name) if zone_name else timezone.utc)


def _location_text(place: ResolvedPlace) -> str | None:
    parts = [place.name] if place.name else []
    if place.address is not None:
        parts.append(postal_line(place.address))
    if place.online_url:
        parts.append(place.online_url)
    return ", ".join(parts) or None


def _component(entry: CalendarEntry) -> ICalEvent:
    event = entry.event
    component = ICalEvent()
    component.add("uid", entry.uid)
    component.add("dtstamp", entry.updated_at.astimezone(timezone.utc))
    component.add("created", entry.created_at.astimezone(timezone.utc))
    component.add("last-modified", entry.updated_at.astimezone(timezone.utc))
    component.add("sequence", entry.sequence)
    component.add("summary", event.title)
    component.add("dtstart", _in_zone(event.starts_at, event.timezone))
    if event.ends_at is not None:
        component.add("dtend", _in_zone(event.ends_at, event.timezone))
    component.add("status", ical_status(event.status))
    component.add("url", entry.url)
    description = plain_text(render_markdown(event.description or ""))
    if description:
        component.add("description", description)
    location = _location_text(entry.place)
    if location:
        component.add("location", location)
    if entry.place.lat is not None and entry.place.lon is not None:
        component.add("geo", vGeo((entry.place.lat, entry.place.lon)))
    if event.tags:
        component.add("categories", list(event.tags))
    return component


def calendar_bytes(name: str, entries: Iterable[CalendarEntry]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        calendar.add_component(_component(entry))
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()  # unannotated in icalendar
    return ical
