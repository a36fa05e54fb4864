"""The directory's query parameters, parsed at the boundary into typed queries.

Bad input is an :class:`InvalidParameter` naming the parameter (the web layer
answers 400 with it): coordinates out of range, a radius over the limit, a value
outside a vocabulary, a cursor that was not issued by us for this kind of query.
Empty values (what an HTML form sends for an untouched field) count as absent.

Cursors are opaque: the keyset position, base64url JSON, with an HMAC so a client
cannot forge positions or replay a cursor of another ordering.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation

from .errors import DomainError
from .vocabulary import AMENITIES, COUNTRY_CODES, PRICE_KINDS

__all__ = [
    "MAX_RADIUS_KM",
    "CursorCodec",
    "EventQuery",
    "InvalidParameter",
    "SpaceQuery",
    "parse_event_query",
    "parse_space_query",
]

MAX_RADIUS_KM = 500.0
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
_MAX_TEXT = 200

Params = Mapping[str, Sequence[str]]


class InvalidParameter(DomainError):
    """A query parameter is malformed or out of range; ``parameter`` names it."""

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(f"{parameter}: {detail}")
        self.parameter = parameter


@dataclass(frozen=True)
class SpaceQuery:
    q: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    amenities: tuple[str, ...] = ()
    price_kind: str | None = None
    max_price: Decimal | None = None
    currency: str | None = None
    open_now: bool = False
    languages: tuple[str, ...] = ()
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    cursor: tuple[object, ...] | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class EventQuery:
    start: datetime | None = None  # the `from` parameter
    end: datetime | None = None  # the `to` parameter
    q: str | None = None
    country: str | None = None
    city: str | None = None
    space: str | None = None
    cursor: tuple[object, ...] | None = None
    limit: int = DEFAULT_LIMIT


class CursorCodec:
    """Signs and checks keyset positions; ``kind`` ties a cursor to one ordering."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"espresso-directory-cursor:" + secret.encode()).digest()

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:12]

    def encode(self, kind: str, position: Sequence[object]) -> str:
        payload = json.dumps([kind, *position], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(self._tag(payload) + payload).rstrip(b"=").decode()

    def decode(self, kind: str, token: str) -> tuple[object, ...]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise InvalidParameter("cursor", "is not a cursor this server issued") from None
        tag, payload = raw[:12], raw[12:]
        if len(token) > 2000 or not hmac.compare_digest(tag, self._tag(payload)):
            raise InvalidParameter("cursor", "is not a cursor this server issued")
        data = json.loads(payload)
        if not isinstance(data, list) or not data or data[0] != kind:
            raise InvalidParameter("cursor", "belongs to another ordering; start again without it")
        return tuple(data[1:])


def _one(params: Params, name: str) -> str | None:
    values = [v.strip() for v in params.get(name, ()) if v.strip()]
    if len(values) > 1:
        raise InvalidParameter(name, "may be given only once")
    if values and len(values[0]) > _MAX_TEXT:
        raise InvalidParameter(name, f"must be at most {_MAX_TEXT} characters")
    return values[0] if values else None


def _many(params: Params, name: str) -> list[str]:
    values = [v.strip() for v in params.get(name, ()) if v.strip()]
    if len(values) > 30:
        raise InvalidParameter(name, "is given too many times")
    return values


def _float(name: str, raw: str, low: float, high: float, what: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameter(name, f"{raw!r} is not a number") from None
    if not low <= value <= high:  # also rejects NaN
        raise InvalidParameter(name, f"{what} must be between {low:g} and {high:g}, got {raw}")
    return value


def _coordinates(name: str, raw: str, count: int) -> list[str]:
    parts = raw.split(",")
    if len(parts) != count:
        shape = "lat,lon" if count == 2 else "minlon,minlat,maxlon,maxlat"
        raise InvalidParameter(name, f"must be {shape}")
    return [p.strip() for p in parts]


def _near(params: Params) -> tuple[tuple[float, float] | None, float | None]:
    near_raw, radius_raw = _one(params, "near"), _one(params, "radius_km")
    if near_raw is None:
        if radius_raw is not None:
            raise InvalidParameter("radius_km", "needs near=lat,lon")
        return None, None
    lat_raw, lon_raw = _coordinates("near", near_raw, 2)
    near = (_float("near", lat_raw, -90, 90, "latitude"), _float("near", lon_raw, -180, 180, "longitude"))
    radius = None if radius_raw is None else _float("radius_km", radius_raw, 0, MAX_RADIUS_KM, "radius_km")
    return near, radius


def _bbox(params: Params) -> tuple[float, float, float, float] | None:
    raw = _one(params, "bbox")
    if raw is None:
        return None
    min_lon, min_lat, max_lon, max_lat = _coordinates("bbox", raw, 4)
    box = (
        _float("bbox", min_lon, -180, 180, "longitude"), _float("bbox", min_lat, -90, 90, "latitude"),
        _float("bbox", max_lon, -180, 180, "longitude"), _float("bbox", max_lat, -90, 90, "latitude"),
    )
    if box[1] > box[3]:
        raise InvalidParameter("bbox", "minlat must not be greater than maxlat")
    return box


def _vocabulary(name: str, values: list[str], known: frozenset[str], what: str) -> tuple[str, ...]:
    cleaned = [v.lower() for v in values]
    unknown = sorted(set(cleaned) - known)
    if unknown:
        raise InvalidParameter(name, f"unknown {what}: {', '.join(unknown)}")
    return tuple(dict.fromkeys(cleaned))


def _country(params: Params) -> str | None:
    raw = _one(params, "country")
    if raw is not None and raw.upper() not in COUNTRY_CODES:
        raise InvalidParameter("country", f"{raw!r} is not an ISO 3166-1 two-letter country code")
    return raw.upper() if raw else None


def _price(params: Params) -> tuple[str | None, Decimal | None, str | None]:
    kind_raw, max_raw, currency = _one(params, "price_kind"), _one(params, "max_price"), _one(params, "currency")
    kind = _vocabulary("price_kind", [kind_raw], PRICE_KINDS, "price kind")[0] if kind_raw else None
    if max_raw is None:
        return kind, None, None
    if kind is None:
        raise InvalidParameter("max_price", "needs price_kind (e.g. price_kind=day_pass&max_price=20)")
    try:
        amount = Decimal(max_raw)
    except InvalidOperation:
        raise InvalidParameter("max_price", f"{max_raw!r} is not an amount") from None
    if not amount.is_finite() or amount < 0 or amount > 10_000_000:
        raise InvalidParameter("max_price", "must be an amount between 0 and 10000000")
    if currency is not None and not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise InvalidParameter("currency", f"{currency!r} is not an ISO 4217 code like EUR")
    return kind, amount, currency.upper() if currency else None


def _flag(params: Params, name: str) -> bool:
    raw = _one(params, name)
    if raw is None or raw.lower() in ("0", "false", "no", "off"):
        return False
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    raise InvalidParameter(name, "must be 1 or 0")


def _limit(params: Params) -> int:
    raw = _one(params, "limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidParameter("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _languages(params: Params) -> tuple[str, ...]:
    values = _many(params, "language")
    for value in values:
        if not _LANGUAGE_RE.fullmatch(value):
            raise InvalidParameter("language", f"{value!r} is not a language code like 'it'")
    return tuple(dict.fromkeys(v.lower() for v in values))


def parse_space_query(params: Params, cursors: CursorCodec) -> SpaceQuery:
    near, radius = _near(params)
    kind, max_price, currency = _price(params)
    token = _one(params, "cursor")
    return SpaceQuery(
        q=_one(params, "q"),
        country=_country(params),
        region=_one(params, "region"),
        city=_one(params, "city"),
        amenities=_vocabulary("amenity", _many(params, "amenity"), AMENITIES, "amenity"),
        price_kind=kind, max_price=max_price, currency=currency,
        open_now=_flag(params, "open_now"),
        languages=_languages(params),
        near=near, radius_km=radius, bbox=_bbox(params),
        cursor=cursors.decode("near" if near else "name", token) if token else None,
        limit=_limit(params),
    )


def _instant(name: str, raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), timezone.utc)
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(name, f"{raw!r} is not a date (2027-09-22) or a time with offset") from None
    if value.utcoffset() is None:
        raise InvalidParameter(name, "needs a UTC offset, e.g. 2027-09-22T09:30:00+02:00")
    return value.astimezone(timezone.utc)


def parse_event_query(params: Params, cursors: CursorCodec) -> EventQuery:
    start, end = _instant("from", _one(params, "from")), _instant("to", _one(params, "to"))
    if start is not None and end is not None and end < start:
        raise InvalidParameter("to", "must not be before from")
    token = _one(params, "cursor")
    return EventQuery(
        start=start, end=end, q=_one(params, "q"), country=_country(params), city=_one(params, "city"),
        space=_one(params, "space"),
        cursor=cursors.decode("events", token) if token else None,
        limit=_limit(params),
    )
