"""Lenient reading of remote actors and Places (ours, Mobilizon's, Gancio's, anyone's).

Remote JSON is untrusted and inconsistent: ``location`` may be one object or an
array, ``address`` a string or a ``PostalAddress``, the country a code or a name
("Italia"). Every field is read on its own and anything absent, malformed or
absurd is dropped, so one bad value never loses the rest and nothing here raises.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pydantic

from directory.space_schema import OpeningHours, Price, check_http_url
from directory.vocabulary import AMENITIES, COUNTRY_CODES, WEEKDAY_LABELS
from federation.sanitize import sanitize_remote_html

__all__ = ["OpeningRule", "ParsedPlace", "ParsedPrice", "space_from_actor_document"]

MAX_SUMMARY_HTML = 5000
MAX_TAGS = 50
_MAX_ITEMS = 100  # items looked at in any remote array: bounds work on hostile input

# Country names remote servers send instead of codes (Mobilizon sends the name in the
# instance's language). English, Italian and native names of the countries we meet most.
_COUNTRY_NAMES: dict[str, str] = {
    "italy": "IT", "italia": "IT", "germany": "DE", "germania": "DE", "deutschland": "DE",
    "france": "FR", "francia": "FR", "spain": "ES", "spagna": "ES", "españa": "ES", "espana": "ES",
    "portugal": "PT", "portogallo": "PT", "switzerland": "CH", "svizzera": "CH", "schweiz": "CH",
    "suisse": "CH", "austria": "AT", "österreich": "AT", "osterreich": "AT",
    "united kingdom": "GB", "regno unito": "GB", "great britain": "GB", "uk": "GB",
    "ireland": "IE", "irlanda": "IE", "netherlands": "NL", "paesi bassi": "NL", "olanda": "NL",
    "nederland": "NL", "belgium": "BE", "belgio": "BE", "belgique": "BE", "belgië": "BE",
    "luxembourg": "LU", "lussemburgo": "LU", "denmark": "DK", "danimarca": "DK", "danmark": "DK",
    "sweden": "SE", "svezia": "SE", "sverige": "SE", "norway": "NO", "norvegia": "NO", "norge": "NO",
    "finland": "FI", "finlandia": "FI", "suomi": "FI", "poland": "PL", "polonia": "PL", "polska": "PL",
    "czechia": "CZ", "czech republic": "CZ", "repubblica ceca": "CZ", "česko": "CZ",
    "greece": "GR", "grecia": "GR", "ελλάδα": "GR", "croatia": "HR", "croazia": "HR", "hrvatska": "HR",
    "slovenia": "SI", "slovenija": "SI", "hungary": "HU", "ungheria": "HU", "magyarország": "HU",
    "romania": "RO", "românia": "RO", "malta": "MT", "san marino": "SM", "vatican city": "VA",
    "città del vaticano": "VA", "united states": "US", "stati uniti": "US", "usa": "US",
    "united states of america": "US", "canada": "CA", "brazil": "BR", "brasile": "BR", "brasil": "BR",
    "mexico": "MX", "messico": "MX", "méxico": "MX", "argentina": "AR", "japan": "JP", "giappone": "JP",
    "australia": "AU", "new zealand": "NZ", "nuova zelanda": "NZ",
}
_DAY_NAMES: dict[str, str] = {label.en.lower(): code for code, label in WEEKDAY_LABELS.items()}
_HREF_RE = re.compile(r'href="(https?://[^"]{1,2000})"')
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TAG_RE = re.compile(r"\w{1,50}")
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
_WEBSITE_NAMES = frozenset({"website", "web", "sito", "sito web", "homepage", "home page"})


@dataclass(frozen=True, slots=True)
class OpeningRule:
    days: tuple[str, ...]
    opens: str
    closes: str


@dataclass(frozen=True, slots=True)
class ParsedPrice:
    kind: str
    amount: str
    currency: str


@dataclass(frozen=True, slots=True)
class ParsedPlace:
    """What could be read from a remote actor or Place; ``None``/empty where nothing valid was found."""

    name: str | None = None
    summary_html: str = ""
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    opening_hours: tuple[OpeningRule, ...] = ()
    amenities: tuple[str, ...] = ()
    prices: tuple[ParsedPrice, ...] = ()
    languages: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    website: str | None = None
    seats: int | None = None
    discoverable: bool = False
    indexable: bool = False
    icon_url: str | None = None


# --- small readers: each takes any JSON value and returns a clean value or None ---


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value[:_MAX_ITEMS]
    return [] if value is None else [value]


def _text(value: Any, max_chars: int) -> str | None:
    if isinstance(value, dict):  # {"name": "Italia"}-style wrappers
        value = value.get("name")
    if not isinstance(value, str):
        return None
    cleaned = " ".join(_CONTROL_RE.sub(" ", value[: max_chars * 4]).split())[:max_chars]
    return cleaned or None


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def _url(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("href")
    if not isinstance(value, str) or len(value) > 2000:
        return None
    try:
        return check_http_url(value)
    except ValueError:
        return None


def _types(obj: dict[str, Any]) -> set[str]:
    return {t for t in _items(obj.get("type")) if isinstance(t, str)}


# --- fields ---


def _country(value: Any) -> str | None:
    text = _text(value, 100)
    if text is None:
        return None
    if text.upper() in COUNTRY_CODES:
        return text.upper()
    return _COUNTRY_NAMES.get(text.casefold())


def _place_of(doc: dict[str, Any]) -> dict[str, Any]:
    if "Place" in _types(doc):
        return doc
    dicts = [item for item in _items(doc.get("location")) if isinstance(item, dict)]
    # Gancio may send [Place, VirtualLocation]: prefer the physical place.
    return next((d for d in dicts if "Place" in _types(d)), dicts[0] if dicts else {})


def _address_fields(place: dict[str, Any]) -> dict[str, Any]:
    address = next(iter(_items(place.get("address"))), None)
    if isinstance(address, str):
        return {"street": _text(address, 200)}
    if not isinstance(address, dict):
        return {}
    return {
        "street": _text(address.get("streetAddress"), 200),
        "locality": _text(address.get("addressLocality"), 100),
        "region": _text(address.get("addressRegion"), 100),
        "postal_code": _text(address.get("postalCode"), 20),
        "country": _country(address.get("addressCountry")),
    }


def _coordinates(place: dict[str, Any]) -> dict[str, Any]:
    lat = _number(place.get("latitude"), -90, 90)
    lon = _number(place.get("longitude"), -180, 180)
    return {"lat": lat, "lon": lon} if lat is not None and lon is not None else {}


def _day_code(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    name = value.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1].lower()
    return _DAY_NAMES.get(name) or (name if name in WEEKDAY_LABELS else None)


def _opening_rule(spec: Any) -> OpeningRule | None:
    if not isinstance(spec, dict):
        return None
    days = [code for code in map(_day_code, _items(spec.get("dayOfWeek"))) if code]
    times = [spec.get(key) for key in ("opens", "closes")]
    # schema.org allows "09:00:00"; we keep minutes.
    opens, closes = (t[:5] if isinstance(t, str) else t for t in times)
    try:
        rule = OpeningHours.model_validate({"days": days, "opens": opens, "closes": closes})
    except pydantic.ValidationError:
        return None
    return OpeningRule(tuple(rule.days), rule.opens, rule.closes)


def _price(offer: Any) -> ParsedPrice | None:
    if not isinstance(offer, dict):
        return None
    try:
        price = Price.model_validate(
            {"kind": offer.get("name"), "amount": offer.get("price"), "currency": offer.get("priceCurrency")}
        )
    except pydantic.ValidationError:
        return None
    return ParsedPrice(price.kind, price.amount, price.currency)


def _amenities(features: Any) -> tuple[str, ...]:
    codes = (
        name.strip().lower()
        for f in _items(features)
        if isinstance(f, dict) and isinstance(name := f.get("name"), str) and f.get("value", True) is not False
    )
    return tuple(dict.fromkeys(code for code in codes if code in AMENITIES))


def _languages(value: Any) -> tuple[str, ...]:
    codes = (v for v in _items(value) if isinstance(v, str) and _LANGUAGE_RE.fullmatch(v))
    return tuple(dict.fromkeys(codes))[:20]


def _tags(value: Any) -> tuple[str, ...]:
    kept: dict[str, str] = {}
    for item in _items(value):
        name = item.get("name") if isinstance(item, dict) and "Hashtag" in _types(item) else None
        tag = name.removeprefix("#") if isinstance(name, str) else ""
        if _TAG_RE.fullmatch(tag):
            kept.setdefault(tag.casefold(), tag)
    return tuple(kept.values())[:MAX_TAGS]


def _website(doc: dict[str, Any]) -> str | None:
    if (url := _url(doc.get("website"))) is not None:
        return url
    for item in _items(doc.get("attachment")):
        if isinstance(item, dict) and str(item.get("name", "")).strip().casefold() in _WEBSITE_NAMES:
            match = _HREF_RE.search(str(item.get("value", ""))[:5000])
            if match and (url := _url(match[1])) is not None:
                return url
    return None


def _seats(value: Any) -> int | None:
    number = _number(value, 0, 100_000)
    return int(number) if number is not None and number == int(number) else None


def _icon(value: Any) -> str | None:
    icon = next(iter(_items(value)), None)
    return _url(icon.get("url")) if isinstance(icon, dict) else _url(icon)


def space_from_actor_document(doc: dict[str, Any]) -> ParsedPlace:
    """Everything valid in a remote actor or Place; never raises on odd input."""
    if not isinstance(doc, dict):
        return ParsedPlace()
    place = _place_of(doc)
    summary = doc.get("summary")
    return ParsedPlace(
        name=_text(doc.get("name"), 100) or _text(doc.get("preferredUsername"), 100),
        summary_html=sanitize_remote_html(summary, MAX_SUMMARY_HTML) if isinstance(summary, str) else "",
        **_address_fields(place),
        **_coordinates(place),
        opening_hours=tuple(r for r in map(_opening_rule, _items(doc.get("openingHoursSpecification"))) if r),
        amenities=_amenities(doc.get("amenityFeature")),
        prices=tuple(p for p in map(_price, _items(doc.get("makesOffer"))) if p),
        languages=_languages(doc.get("knowsLanguage")),
        tags=_tags(doc.get("tag")),
        website=_website(doc),
        seats=_seats(doc.get("maximumAttendeeCapacity")),
        # Consent: a directory lists only actors that opted in explicitly.
        discoverable=doc.get("discoverable") is True,
        indexable=doc.get("indexable") is True,
        icon_url=_icon(doc.get("icon")),
    )
