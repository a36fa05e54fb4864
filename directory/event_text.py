"""An event as one line people read: date, time, time zone and place.

Mastodon shows an incoming ``Event`` as its name, its ``summary`` and a link, and
never reads ``startTime`` or ``location``; so this line is all a Mastodon reader
learns about when and where. It is written in the space's main language with
Babel's locale data ("mer 22 set 2027, 09:30–18:00 (Europe/Rome) · Coworking
Racale, Via Roma 1, Racale")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

__all__ = ["PlaceText", "event_when", "event_summary", "language_of", "zone_label", "zone_of"]

_DATE_FORMAT = "EEE d MMM y"
_ONLINE = {"it": "Online", "en": "Online"}


@dataclass(frozen=True, slots=True)
class PlaceText:
    """Where an event happens, as shown to people (any part may be missing)."""

    name: str | None = None
    address: str | None = None
    online_url: str | None = None


def language_of(languages: list[str]) -> str:
    """The first of the space's languages Babel knows, else English."""
    for code in languages:
        try:
            Locale.parse(code.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            continue
        return code.split("-")[0]
    return "en"


def zone_of(timezone_name: str | None, moment: datetime) -> tzinfo:
    """The IANA zone when there is one, else the fixed offset the time was given with."""
    if timezone_name:
        return ZoneInfo(timezone_name)
    return moment.tzinfo or timezone.utc


def zone_label(timezone_name: str | None, moment: datetime) -> str:
    if timezone_name:
        return timezone_name
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def event_when(starts_at: datetime, ends_at: datetime | None, timezone_name: str | None, language: str) -> str:
    """E.g. "mer 22 set 2027, 09:30–18:00 (Europe/Rome)"; a second date when it ends another day."""
    zone = zone_of(timezone_name, starts_at)
    start = starts_at.astimezone(zone)
    text = f"{format_date(start.date(), _DATE_FORMAT, locale=language)}, {start:%H:%M}"
    if ends_at is not None:
        end = ends_at.astimezone(zone)
        if end.date() == start.date():
            text += f"–{end:%H:%M}"
        else:
            text += f" – {format_date(end.date(), _DATE_FORMAT, locale=language)}, {end:%H:%M}"
    return f"{text} ({zone_label(timezone_name, starts_at)})"


def event_summary(
    starts_at: datetime, ends_at: datetime | None, timezone_name: str | None, place: PlaceText, language: str
) -> str:
    parts = [event_when(starts_at, ends_at, timezone_name, language)]
    where = ", ".join(part for part in (place.name, place.address) if part)
    if where:
        parts.append(where)
    if place.online_url:
        parts.append(f"{_ONLINE.get(language, 'Online')}: {place.online_url}")
    return " · ".join(parts)
