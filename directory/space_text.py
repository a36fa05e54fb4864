"""A space's profile as text people read: an address line, opening hours,
prices and amenities, in English or Italian."""

from __future__ import annotations

from typing import Any

from .space_schema import Address, Space
from .vocabulary import AMENITY_LABELS, PRICE_KIND_LABELS, WEEKDAY_ABBREVIATIONS, WEEKDAY_SCHEMA_IRIS, WEEKDAYS

__all__ = ["address_line", "amenity_labels", "opening_hours_lines", "price_lines", "schema_org_place"]

CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF "}


def address_line(address: Address) -> str:
    locality = " ".join(part for part in (address.postal_code, address.locality) if part)
    parts = [address.street, locality, address.region, address.country]
    return ", ".join(part for part in parts if part)


def _day_span(days: list[str], lang: str) -> str:
    """"mo tu we th fr" → "Mon–Fri"; a run of consecutive days is shown as a range."""
    order = sorted(days, key=WEEKDAYS.index)
    indexes = [WEEKDAYS.index(day) for day in order]
    name = lambda day: getattr(WEEKDAY_ABBREVIATIONS[day], lang)  # noqa: E731
    if len(order) > 2 and indexes == list(range(indexes[0], indexes[0] + len(indexes))):
        return f"{name(order[0])}–{name(order[-1])}"
    return ", ".join(name(day) for day in order)


def opening_hours_lines(space: Space, lang: str = "en") -> list[str]:
    return [f"{_day_span(rule.days, lang)} {rule.opens}–{rule.closes}" for rule in space.opening_hours]


def format_price(amount: str, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def price_lines(space: Space, lang: str = "en") -> list[str]:
    return [
        f"{getattr(PRICE_KIND_LABELS[price.kind], lang)}: {format_price(price.amount, price.currency)}"
        for price in space.prices
    ]


def amenity_labels(space: Space, lang: str = "en") -> list[str]:
    return [getattr(AMENITY_LABELS[code], lang) for code in space.amenities]


def schema_org_place(space: Space, *, url: str, image: str | None) -> dict[str, Any]:
    """schema.org JSON-LD for search engines (a `LocalBusiness`, as OSM's coworking_space maps)."""
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "additionalType": "https://wiki.openstreetmap.org/wiki/Tag:amenity%3Dcoworking_space",
        "name": space.name,
        "url": url,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": space.address.street,
            "addressLocality": space.address.locality,
            "addressRegion": space.address.region,
            "postalCode": space.address.postal_code,
            "addressCountry": space.address.country,
        },
        "openingHoursSpecification": [
            {"@type": "OpeningHoursSpecification", "dayOfWeek": [WEEKDAY_SCHEMA_IRIS[d] for d in r.days], "opens": r.opens,
             "closes": r.closes}
            for r in space.opening_hours
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
    for key, value in (("telephone", space.phone), ("email", space.email), ("sameAs", space.website), ("image", image)):
        if value:
            document[key] = str(value)
    document["address"] = {k: v for k, v in document["address"].items() if v}
    return document
