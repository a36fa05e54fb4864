"""The time zone a space's opening hours are written in.

Spaces give hours in local time without a zone, so the zone is derived: from the
coordinates when there are any (``timezonefinder``, as Mobilizon infers an event's
zone), else from the country when it has a single zone, else UTC.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["space_timezone"]

# Countries with one time zone (or one for nearly everyone), Europe and neighbours first.
_COUNTRY_ZONES: dict[str, str] = {
    "IT": "Europe/Rome", "SM": "Europe/San_Marino", "VA": "Europe/Vatican", "MT": "Europe/Malta",
    "FR": "Europe/Paris", "DE": "Europe/Berlin", "AT": "Europe/Vienna", "CH": "Europe/Zurich",
    "LI": "Europe/Vaduz", "BE": "Europe/Brussels", "NL": "Europe/Amsterdam", "LU": "Europe/Luxembourg",
    "GB": "Europe/London", "IE": "Europe/Dublin", "ES": "Europe/Madrid", "PT": "Europe/Lisbon",
    "DK": "Europe/Copenhagen", "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "FI": "Europe/Helsinki",
    "IS": "Atlantic/Reykjavik", "EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius",
    "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "SK": "Europe/Bratislava", "HU": "Europe/Budapest",
    "SI": "Europe/Ljubljana", "HR": "Europe/Zagreb", "BA": "Europe/Sarajevo", "RS": "Europe/Belgrade",
    "ME": "Europe/Podgorica", "MK": "Europe/Skopje", "AL": "Europe/Tirane", "GR": "Europe/Athens",
    "BG": "Europe/Sofia", "RO": "Europe/Bucharest", "MD": "Europe/Chisinau", "UA": "Europe/Kyiv",
    "CY": "Asia/Nicosia", "TR": "Europe/Istanbul", "MC": "Europe/Monaco", "AD": "Europe/Andorra",
    "JP": "Asia/Tokyo", "IN": "Asia/Kolkata", "IL": "Asia/Jerusalem", "ZA": "Africa/Johannesburg",
    "NZ": "Pacific/Auckland", "MA": "Africa/Casablanca", "TN": "Africa/Tunis", "EG": "Africa/Cairo",
}


@lru_cache(maxsize=1)
def _finder() -> object:
    # Loading the polygons takes ~0.2 s: only when a space with coordinates is first indexed.
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def _valid(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def space_timezone(country: str | None, lat: float | None, lon: float | None) -> str:
    """An IANA zone name for a space; "UTC" when nothing better is known."""
    if lat is not None and lon is not None:
        found = _valid(_finder().timezone_at(lat=lat, lng=lon))  # type: ignore[attr-defined]
        if found:
            return found
    return _COUNTRY_ZONES.get(country or "", "UTC")
