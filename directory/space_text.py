"""A space's profile as text people read: an address line, opening hours,
prices and amenities, in English or Italian; and schema.org JSON-LD for
search engines."""

from __future__ import annotations

from typing import Any

from .space_schema import OpeningHours, Price, Space
from .vocabulary import AMENITY_LABELS, PRICE_KIND_LABELS, WEEKDAY_ABBREVIATIONS, WEEKDAY_SCHEMA_IRIS, WEEKDAYS

__all__ = [
    "address_line",
    "amenity_labels",
    "opening_hours_lines",
    "opening_hours_text",
    "price_lines",
    "price_text",
    "schema_org_place",
]

_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def address_line(space: Space) -> str:
    """The address on one line, most specific part first."""
    a = space.address
    locality = " ".join(part for part in (a.postal_code, a.locality) if part)
    return ", ".join(part for part in (a.street, locality, a.region, a.country) if part)


def _day_ranges(days: list[str], language: str) -> str:
    """``["mo","tu","we","fr"]`` -> ``"Mon–Wed, Fri"``: consecutive days collapse into a range."""
    indexes = sorted(WEEKDAYS.index(day) for day in days)
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])

    def name(index: int) -> str:
        return str(getattr(WEEKDAY_ABBREVIATIONS[WEEKDAYS[index]], language))

    return ", ".join(name(r[0]) if len(r) == 1 else f"{name(r[0])}–{name(r[-1])}" for r in runs)


def _rule_text(rule: OpeningHours, language: str) -> str:
    return f"{_day_ranges(rule.days, language)} {rule.opens}–{rule.closes}"


def opening_hours_text(rules: list[OpeningHours], language: str = "en") -> str:
    """E.g. ``"Mon–Fri 09:00–19:00; Sat 10:00–13:00"``."""
    return "; ".join(_rule_text(rule, language) for rule in rules)


def opening_hours_lines(space: Space, language: str = "en") -> list[str]:
    return [_rule_text(rule, language) for rule in space.opening_hours]


def price_text(price: Price) -> str:
    symbol = _CURRENCY_SYMBOLS.get(price.currency)
    return f"{symbol}{price.amount}" if symbol else f"{price.amount} {price.currency}"


def price_lines(space: Space, language: str = "en") -> list[str]:
    return [f"{getattr(PRICE_KIND_LABELS[p.kind], language)}: {price_text(p)}" for p in space.prices]


def amenity_labels(space: Space, language: str = "en") -> list[str]:
    return [str(getattr(AMENITY_LABELS[code], language)) for code in space.amenities]


def schema_org_place(space: Space, *, url: str, image: str | None) -> dict[str, Any]:
    """schema.org JSON-LD for search engines (a `LocalBusiness`, as OSM's coworking_space maps)."""
    address = {
        "@type": "PostalAddress",
        "streetAddress": space.address.street,
        "addressLocality": space.address.locality,
        "addressRegion": space.address.region,
        "postalCode": space.address.postal_code,
        "addressCountry": space.address.country,
    }
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "additionalType": "https://wiki.openstreetmap.org/wiki/Tag:amenity%3Dcoworking_space",
        "name": space.name,
        "url": url,
        "address": {key: value for key, value in address.items() if value},
        "openingHoursSpecification": [
            {"@type": "OpeningHoursSpecification", "dayOfWeek": [WEEKDAY_SCHEMA_IRIS[d] for d in rule.days],
             "opens": rule.opens, "closes": rule.closes}
            for rule in space.opening_hours
        ],
        "amenityFeature": [
            {"@type": "LocationFeatureSpecification", "name": AMENITY_LABELS[code].en, "value": True}
            for code in space.amenities
        ],
        "makesOffer": [
            {"@type": "Offer", "name": PRICE_KIND_LABELS[p.kind].en, "price": p.amount, "priceCurrency": p.currency}
            for p in space.prices
        ],
    }
    if space.geo:
        document["geo"] = {"@type": "GeoCoordinates", "latitude": space.geo.lat, "longitude": space.geo.lon}
    for key, value in (("telephone", space.phone), ("email", space.email), ("sameAs", space.website),
                       ("image", image)):
        if value:
            document[key] = str(value)
    return document
