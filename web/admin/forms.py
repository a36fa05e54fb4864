"""The space profile form: a Space shown as form fields, submitted fields turned
into the same `SpacePatch` data the JSON API takes, and the API's error paths
(`address.country`, `prices.0.amount`) mapped back to the field that shows them.

Opening hours are edited as weekday rows with up to two time slots each (a
lunch break is the common case); equal slots on several days become one rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from directory.space_schema import Space
from directory.vocabulary import WEEKDAYS

from ..i18n import N_

__all__ = ["SLOTS_PER_DAY", "SpaceForm", "space_form_from_space", "space_form_from_submission", "web_address"]

SLOTS_PER_DAY = 2
EMPTY_PRICE_ROWS = 2
_LIST_SPLIT_RE = re.compile(r"[,\s]+")
_ADDRESS_FIELDS = ("street", "locality", "region", "postal_code", "country")


def web_address(text: str) -> str | None:
    """What a manager typed as a website: "www.racale.it" becomes "https://www.racale.it"
    (people rarely type the scheme; anything else is left for validation to name)."""
    text = (text or "").strip()
    if not text:
        return None
    if "://" not in text and "." in text and " " not in text and "@" not in text:
        return f"https://{text}"
    return text


@dataclass
class SpaceForm:
    """Field values as shown in the form (strings), and errors per field name."""

    values: dict[str, Any]
    hours: dict[str, list[tuple[str, str]]]
    prices: list[dict[str, str]]
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Which form field shows the errors of opening_hours[i] and prices[i].
    _rule_fields: list[str] = field(default_factory=list)
    _price_rows: list[int] = field(default_factory=list)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def to_patch_data(self) -> dict[str, Any]:
        v = self.values
        data: dict[str, Any] = {
            "name": v["name"],
            "summary": v["summary"] or None,
            "address": {key: (v[key] or None) for key in _ADDRESS_FIELDS},
            "website": web_address(v["website"]),
            "email": v["email"] or None,
            "phone": v["phone"] or None,
            "amenities": sorted(v["amenities"]),
            "languages": _split(v["languages"]),
            "tags": _split(v["tags"]),
            "manually_approves_followers": bool(v["manually_approves_followers"]),
            "opening_hours": self._rules(),
            "prices": self._price_items(),
        }
        data["address"]["country"] = v["country"] or ""
        if v["lat"] or v["lon"]:
            data["geo"] = {"lat": _decimal_text(v["lat"]), "lon": _decimal_text(v["lon"])}
        else:
            data["geo"] = None
        data["seats"] = None
        if v["seats"]:
            if v["seats"].isdigit():
                data["seats"] = int(v["seats"])
            else:
                self.add_error("seats", N_("Enter a whole number, e.g. 40."))
        return data

    def _rules(self) -> list[dict[str, Any]]:
        grouped: dict[tuple[str, str], list[str]] = {}
        first_field: dict[tuple[str, str], str] = {}
        for day in WEEKDAYS:
            for index, (opens, closes) in enumerate(self.hours.get(day, [])):
                if not opens and not closes:
                    continue
                grouped.setdefault((opens, closes), []).append(day)
                first_field.setdefault((opens, closes), f"hours-{day}-{index}")
        self._rule_fields = [first_field[key] for key in grouped]
        return [{"days": days, "opens": opens, "closes": closes} for (opens, closes), days in grouped.items()]

    def _price_items(self) -> list[dict[str, str]]:
        items = []
        self._price_rows = []
        for row, price in enumerate(self.prices):
            if not (price["amount"] or price["kind"]):
                continue
            self._price_rows.append(row)
            items.append({"kind": price["kind"], "amount": _decimal_text(price["amount"]),
                          "currency": price["currency"] or "EUR"})
        return items

    def add_api_errors(self, errors: list[dict[str, str]]) -> None:
        """Place each `{"field": "a.b.0.c", "message"}` next to the form field showing it."""
        for error in errors:
            self.add_error(self._field_for(error["field"].split(".")), error["message"])

    def _field_for(self, path: list[str]) -> str:
        head = path[0] if path else ""
        if head == "address":
            return path[1] if len(path) > 1 and path[1] in _ADDRESS_FIELDS else "country"
        if head == "geo":
            return path[1] if len(path) > 1 and path[1] in ("lat", "lon") else "lat"
        if head == "opening_hours" and len(path) > 1 and path[1].isdigit() and int(path[1]) < len(self._rule_fields):
            part = path[2] if len(path) > 2 and path[2] == "closes" else "opens"
            return f"{self._rule_fields[int(path[1])]}-{part}"
        if head == "prices" and len(path) > 2 and path[1].isdigit() and int(path[1]) < len(self._price_rows):
            return f"prices-{self._price_rows[int(path[1])]}-{path[2]}"
        if head in ("amenities", "languages", "tags", "name", "summary", "website", "email", "phone", "seats"):
            return head
        return "_form"


def _split(text: str) -> list[str]:
    return [item for item in _LIST_SPLIT_RE.split(text.strip()) if item]


def _decimal_text(text: str) -> str:
    # Italian keyboards write 15,50 and 39,96.
    return text.strip().replace(",", ".")


def space_form_from_space(space: Space) -> SpaceForm:
    address = space.address
    values: dict[str, Any] = {
        "name": space.name, "summary": space.summary or "",
        "street": address.street or "", "locality": address.locality or "", "region": address.region or "",
        "postal_code": address.postal_code or "", "country": address.country,
        "lat": "" if space.geo is None else f"{space.geo.lat:.6f}".rstrip("0").rstrip("."),
        "lon": "" if space.geo is None else f"{space.geo.lon:.6f}".rstrip("0").rstrip("."),
        "website": space.website or "", "email": space.email or "", "phone": space.phone or "",
        "seats": "" if space.seats is None else str(space.seats),
        "amenities": set(space.amenities), "languages": ", ".join(space.languages), "tags": ", ".join(space.tags),
        "manually_approves_followers": space.manually_approves_followers,
    }
    hours: dict[str, list[tuple[str, str]]] = {day: [] for day in WEEKDAYS}
    for rule in space.opening_hours:
        for day in rule.days:
            hours[day].append((rule.opens, rule.closes))
    for day in WEEKDAYS:
        hours[day] += [("", "")] * max(0, SLOTS_PER_DAY - len(hours[day]))
    prices = [{"kind": p.kind, "amount": p.amount, "currency": p.currency} for p in space.prices]
    prices += [{"kind": "", "amount": "", "currency": "EUR"} for _ in range(EMPTY_PRICE_ROWS)]
    return SpaceForm(values=values, hours=hours, prices=prices)


def space_form_from_submission(form: FormData) -> SpaceForm:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    values: dict[str, Any] = {name: text(name) for name in (
        "name", "summary", *_ADDRESS_FIELDS, "lat", "lon", "website", "email", "phone", "seats", "languages", "tags")}
    values["country"] = values["country"].upper()
    values["amenities"] = {item for item in form.getlist("amenities") if isinstance(item, str)}
    values["manually_approves_followers"] = form.get("manually_approves_followers") == "on"
    hours: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        slots = int(text(f"hours-{day}-slots") or SLOTS_PER_DAY) if text(f"hours-{day}-slots").isdigit() else SLOTS_PER_DAY
        hours[day] = [(text(f"hours-{day}-{i}-opens"), text(f"hours-{day}-{i}-closes")) for i in range(min(slots, 10))]
    rows = int(text("price-rows")) if text("price-rows").isdigit() else 0
    prices = [{"kind": text(f"prices-{i}-kind"), "amount": text(f"prices-{i}-amount"),
               "currency": text(f"prices-{i}-currency").upper()} for i in range(min(rows, 60))]
    return SpaceForm(values=values, hours=hours, prices=prices)
