"""Fixed vocabularies of the coworking domain: amenities, price kinds, weekdays, countries.

The codes are part of the public contract (a Space's ``amenities`` and price ``kind``s
must come from here; anything else is a 422 naming the unknown value), so codes are
only ever added, never renamed. Each code carries an English and an Italian label;
the README embeds :func:`vocabulary_markdown`.

Accessibility follows OpenStreetMap's tagging (``wheelchair=yes|limited``,
``wheelchair:toilet``, ``entrance:wheelchair``) because no coworking directory
records it and OSM is what maps and routers read.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

__all__ = [
    "AMENITIES",
    "AMENITY_LABELS",
    "COUNTRY_CODES",
    "Label",
    "PRICE_KINDS",
    "PRICE_KIND_LABELS",
    "WEEKDAYS",
    "WEEKDAY_ABBREVIATIONS",
    "WEEKDAY_LABELS",
    "WEEKDAY_SCHEMA_IRIS",
    "vocabulary_markdown",
]


@dataclass(frozen=True, slots=True)
class Label:
    """Human names of a vocabulary code."""

    en: str
    it: str


AMENITY_LABELS: Mapping[str, Label] = MappingProxyType(
    {
        "wifi": Label("Wi-Fi", "Wi-Fi"),
        "wired_internet": Label("Wired internet", "Internet via cavo"),
        "meeting_room": Label("Meeting room", "Sala riunioni"),
        "phone_booth": Label("Phone booth", "Cabina telefonica"),
        "event_space": Label("Event space", "Spazio eventi"),
        "podcast_studio": Label("Podcast studio", "Studio podcast"),
        "kitchen": Label("Kitchen", "Cucina"),
        "coffee": Label("Coffee", "Caffè"),
        "printer": Label("Printer and scanner", "Stampante e scanner"),
        "monitors": Label("External monitors", "Monitor esterni"),
        "standing_desks": Label("Standing desks", "Scrivanie regolabili in piedi"),
        "quiet_zone": Label("Quiet zone", "Zona silenziosa"),
        "lockers": Label("Lockers", "Armadietti"),
        "showers": Label("Showers", "Docce"),
        "terrace": Label("Terrace or garden", "Terrazza o giardino"),
        "air_conditioning": Label("Air conditioning", "Aria condizionata"),
        "parking": Label("Car parking", "Parcheggio auto"),
        "bike_parking": Label("Bike parking", "Parcheggio bici"),
        "ev_charging": Label("EV charging", "Ricarica auto elettriche"),
        "24_7_access": Label("24/7 access", "Accesso 24 ore su 24"),
        "reception": Label("Reception", "Reception"),
        "mail_handling": Label("Mail handling", "Gestione posta"),
        "registered_address": Label("Registered business address", "Domiciliazione legale"),
        "childcare": Label("Childcare", "Spazio bimbi"),
        "pet_friendly": Label("Pet friendly", "Animali ammessi"),
        # OSM wheelchair=yes / wheelchair=limited / entrance:wheelchair / wheelchair:toilet
        "wheelchair_accessible": Label("Wheelchair accessible", "Accessibile in sedia a rotelle"),
        "wheelchair_limited": Label("Partly wheelchair accessible", "Parzialmente accessibile in sedia a rotelle"),
        "step_free_entrance": Label("Step-free entrance", "Ingresso senza gradini"),
        "accessible_toilet": Label("Accessible toilet", "Bagno accessibile"),
        "elevator": Label("Elevator", "Ascensore"),
    }
)

PRICE_KIND_LABELS: Mapping[str, Label] = MappingProxyType(
    {
        "hour_pass": Label("Hourly pass", "Ingresso orario"),
        "half_day_pass": Label("Half-day pass", "Mezza giornata"),
        "day_pass": Label("Day pass", "Giornata"),
        "week_pass": Label("Week pass", "Settimana"),
        "ten_day_pass": Label("10-day pass", "Carnet 10 ingressi"),
        "hot_desk_month": Label("Hot desk, per month", "Postazione flessibile, al mese"),
        "dedicated_desk_month": Label("Dedicated desk, per month", "Postazione fissa, al mese"),
        "private_office_month": Label("Private office, per month", "Ufficio privato, al mese"),
        "meeting_room_hour": Label("Meeting room, per hour", "Sala riunioni, all'ora"),
        "meeting_room_day": Label("Meeting room, per day", "Sala riunioni, al giorno"),
        "event_space_day": Label("Event space, per day", "Spazio eventi, al giorno"),
        "virtual_office_month": Label("Virtual office, per month", "Ufficio virtuale, al mese"),
        # Coworking Visa: free days for members of other participating spaces.
        "coworking_visa": Label("Coworking Visa", "Coworking Visa"),
    }
)

WEEKDAY_LABELS: Mapping[str, Label] = MappingProxyType(
    {
        "mo": Label("Monday", "lunedì"),
        "tu": Label("Tuesday", "martedì"),
        "we": Label("Wednesday", "mercoledì"),
        "th": Label("Thursday", "giovedì"),
        "fr": Label("Friday", "venerdì"),
        "sa": Label("Saturday", "sabato"),
        "su": Label("Sunday", "domenica"),
    }
)

WEEKDAY_ABBREVIATIONS: Mapping[str, Label] = MappingProxyType(
    {
        "mo": Label("Mon", "lun"),
        "tu": Label("Tue", "mar"),
        "we": Label("Wed", "mer"),
        "th": Label("Thu", "gio"),
        "fr": Label("Fri", "ven"),
        "sa": Label("Sat", "sab"),
        "su": Label("Sun", "dom"),
    }
)

# schema.org's dayOfWeek takes these DayOfWeek individuals.
WEEKDAY_SCHEMA_IRIS: Mapping[str, str] = MappingProxyType(
    {
        code: f"http://schema.org/{label.en}"
        for code, label in WEEKDAY_LABELS.items()
    }
)

AMENITIES: frozenset[str] = frozenset(AMENITY_LABELS)
PRICE_KINDS: frozenset[str] = frozenset(PRICE_KIND_LABELS)
# Ordered Monday first (ISO 8601), which is what the tuple keeps and a frozenset would not.
WEEKDAYS: tuple[str, ...] = tuple(WEEKDAY_LABELS)

# ISO 3166-1 alpha-2, as listed by the IANA tz database's iso3166.tab.
COUNTRY_CODES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)


def _markdown_table(title: str, labels: Mapping[str, Label]) -> list[str]:
    lines = [f"### {title}", "", "| code | English | Italiano |", "|---|---|---|"]
    lines += [f"| `{code}` | {label.en} | {label.it} |" for code, label in labels.items()]
    return [*lines, ""]


def vocabulary_markdown() -> str:
    """The vocabularies as Markdown tables, for the README."""
    lines = [
        *_markdown_table("Amenities (`amenities`)", AMENITY_LABELS),
        *_markdown_table("Price kinds (`prices[].kind`)", PRICE_KIND_LABELS),
        *_markdown_table("Weekdays (`opening_hours[].days`)", WEEKDAY_LABELS),
    ]
    return "\n".join(lines)
