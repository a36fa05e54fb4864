"""Lenient reading of Events and Notes from any server (Espresso, Mobilizon, Gancio, Fedify, Mastodon).

Remote JSON is parsed here, at the boundary, into a frozen value; nothing untyped
goes further. Each field is read on its own and anything missing, malformed or
absurd is dropped (an end before the start, a year 30000, a zone that does not
exist, a location that is a number), so one bad value never loses the rest and
nothing here raises on odd input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from federation.sanitize import sanitize_remote_html

from .place_parsing import space_from_actor_document
from .space_schema import check_http_url

__all__ = ["OBJECT_TYPES", "ParsedObject", "host_of", "parse_remote_object", "url_of"]

OBJECT_TYPES = frozenset({"Event", "Note"})
MAX_CONTENT_HTML = 20_000
MAX_SUMMARY_HTML = 2_000
MAX_NAME = 300
_MIN_YEAR, _MAX_YEAR = 1900, 2200
_MAX_ITEMS = 20
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CANCELLED = ("cancel",)
_TENTATIVE = ("tentative", "postpone")


@dataclass(frozen=True, slots=True)
class ParsedObject:
    id: str
    type: str
    attributed_to: str | None
    name: str | None = None
    summary: str | None = None
    content: str = ""
    url: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: str | None = None
    status: str | None = None
    location: dict[str, Any] | None = None
    online_url: str | None = None
    published: datetime | None = None
    mentions: tuple[str, ...] = field(default_factory=tuple)
    audience: tuple[str, ...] = field(default_factory=tuple)


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value[:_MAX_ITEMS]
    return [] if value is None else [value]


def url_of(value: Any) -> str | None:
    """The first http(s) URL in a string, a Link/object (``href``/``id``/``url``) or a list of them."""
    for item in _items(value):
        if isinstance(item, dict):
            item = item.get("href") or item.get("id") or item.get("url")
            if isinstance(item, list):
                item = next((i for i in item if isinstance(i, str)), None)
        if isinstance(item, str) and len(item) <= 2048:
            try:
                return check_http_url(item)
            except ValueError:
                continue
    return None


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = " ".join(_CONTROL_RE.sub(" ", value[: limit * 4]).split())[:limit]
    return cleaned or None


def _mapped(doc: dict[str, Any], key: str) -> Any:
    """``key``, else the first value of ``keyMap`` (``contentMap``, ``nameMap``)."""
    value = doc.get(key)
    if isinstance(value, str):
        return value
    mapped = doc.get(f"{key}Map")
    if isinstance(mapped, dict):
        return next((v for v in mapped.values() if isinstance(v, str)), None)
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # AS2 requires an offset; UTC is the least wrong guess
    if not _MIN_YEAR <= moment.year <= _MAX_YEAR:
        return None
    return moment.astimezone(timezone.utc)


def _zone(value: Any) -> str | None:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


def _status(doc: dict[str, Any]) -> str | None:
    for key in ("ical:status", "status", "eventStatus", "schema:eventStatus"):
        value = doc.get(key)
        if isinstance(value, str):
            lowered = value.lower()
            if any(word in lowered for word in _CANCELLED):
                return "cancelled"
            if any(word in lowered for word in _TENTATIVE):
                return "postponed"
            if lowered.rsplit("#", 1)[-1].rsplit("/", 1)[-1] in ("confirmed", "eventscheduled", "scheduled"):
                return "scheduled"
    return None


def _types(value: Any) -> set[str]:
    return {t for t in _items(value) if isinstance(t, str)}


def _locations(value: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(the physical place, the online URL): Gancio sends one or an array of both."""
    place: dict[str, Any] | None = None
    online: str | None = None
    for item in _items(value):
        if not isinstance(item, dict):
            continue
        kinds = _types(item.get("type"))
        if "VirtualLocation" in kinds or "schema:VirtualLocation" in kinds:
            online = online or url_of(item.get("url"))
        elif place is None and ("Place" in kinds or not kinds):
            parsed = space_from_actor_document({**item, "type": "Place"})
            found: dict[str, Any] = {key: value for key, value in (
                ("name", parsed.name), ("street", parsed.street), ("locality", parsed.locality),
                ("region", parsed.region), ("postal_code", parsed.postal_code), ("country", parsed.country),
            ) if value}
            if parsed.lat is not None and parsed.lon is not None:
                found["geo"] = {"lat": parsed.lat, "lon": parsed.lon}
            place = found or None
    return place, online


def _audience(doc: dict[str, Any]) -> tuple[str, ...]:
    found = [url_of(item) for key in ("to", "cc") for item in _items(doc.get(key))]
    return tuple(url for url in found if url)


def _mentions(doc: dict[str, Any]) -> tuple[str, ...]:
    found = [url_of(tag.get("href")) for tag in _items(doc.get("tag"))
             if isinstance(tag, dict) and "Mention" in _types(tag.get("type"))]
    return tuple(url for url in found if url)


def parse_remote_object(doc: Any) -> ParsedObject | None:
    """The valid parts of a remote Event or Note; None when it has no usable id or another type."""
    if not isinstance(doc, dict):
        return None
    kind = next((t for t in _types(doc.get("type")) if t in OBJECT_TYPES), None)
    object_id = url_of(doc.get("id")) if isinstance(doc.get("id"), str) else None
    if kind is None or object_id is None:
        return None
    content = _mapped(doc, "content")
    summary = _mapped(doc, "summary")
    starts_at = _time(doc.get("startTime"))
    ends_at = _time(doc.get("endTime"))
    if ends_at is not None and (starts_at is None or ends_at <= starts_at):
        ends_at = None
    place, online = _locations(doc.get("location")) if kind == "Event" else (None, None)
    return ParsedObject(
        id=object_id,
        type=kind,
        attributed_to=url_of(doc.get("attributedTo")),
        name=_text(_mapped(doc, "name"), MAX_NAME),
        summary=sanitize_remote_html(summary, MAX_SUMMARY_HTML) or None if isinstance(summary, str) else None,
        content=sanitize_remote_html(content, MAX_CONTENT_HTML) if isinstance(content, str) else "",
        url=url_of(doc.get("url")),
        starts_at=starts_at if kind == "Event" else None,
        ends_at=ends_at if kind == "Event" else None,
        timezone=_zone(doc.get("timezone")) if kind == "Event" else None,
        status=_status(doc) if kind == "Event" else None,
        location=place,
        online_url=online,
        published=_time(doc.get("published")),
        mentions=_mentions(doc),
        audience=_audience(doc),
    )
