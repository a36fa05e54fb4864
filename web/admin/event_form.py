"""The event form: an Event shown as form fields (date and time inputs in the
event's time zone), submitted fields turned into the same Event data the JSON
API takes, and the schema's error paths (`starts_at`, `location.country`)
mapped back to the field that shows them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from starlette.datastructures import FormData

from directory.event_schema import Event

from ..i18n import N_

__all__ = ["EventForm", "event_form_from_event", "event_form_from_submission", "new_event_form", "time_zones"]

_LIST_SPLIT_RE = re.compile(r"[,\s]+")
LOCATION_KINDS = ("space", "online", "address")
_ADDRESS_FIELDS = ("name", "street", "locality", "postal_code", "region", "country")
_TEXT_FIELDS = ("title", "description", "start_date", "start_time", "end_date", "end_time", "timezone",
                "location", "online_url", "url", "capacity", "tags", *(f"loc_{name}" for name in _ADDRESS_FIELDS))
# Schema path (first part) → the form field that shows its errors.
_FIELD_OF = {"title": "title", "description": "description", "starts_at": "start_date", "ends_at": "end_date",
             "timezone": "timezone", "online_url": "online_url", "url": "url", "capacity": "capacity",
             "tags": "tags", "location": "location"}


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Zones people pick from: Area/City names, without the legacy and Etc/ aliases."""
    return tuple(sorted(zone for zone in available_timezones()
                        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))))


@dataclass
class EventForm:
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def to_data(self) -> dict[str, Any]:
        """The Event's JSON, as the API would receive it; problems the schema cannot see become errors."""
        v = self.values
        zone = self._zone()
        data: dict[str, Any] = {
            "title": v["title"],
            "description": v["description"] or None,
            "timezone": v["timezone"] or None,
            "url": v["url"] or None,
            "online_url": v["online_url"] or None,
            "tags": [tag.lstrip("#") for tag in _LIST_SPLIT_RE.split(v["tags"]) if tag],
            "capacity": None,
        }
        data["starts_at"] = self._moment("start", zone, required=True)
        data["ends_at"] = self._moment("end", zone, required=False)
        kind = v["location"] if v["location"] in LOCATION_KINDS else "space"
        if kind == "address":
            data["location"] = {name: (v[f"loc_{name}"] or None) for name in _ADDRESS_FIELDS}
            data["location"]["country"] = v["loc_country"].upper()
        else:
            data["location"] = kind
        if kind != "online":
            data["online_url"] = None
        if v["capacity"]:
            if v["capacity"].isdigit():
                data["capacity"] = int(v["capacity"])
            else:
                self.add_error("capacity", N_("Enter a whole number, e.g. 40."))
        return data

    def _zone(self) -> ZoneInfo | None:
        try:
            return ZoneInfo(self.values["timezone"]) if self.values["timezone"] else None
        except (ZoneInfoNotFoundError, ValueError):
            self.add_error("timezone", N_("Choose a time zone from the list."))
            return None

    def _moment(self, which: str, zone: ZoneInfo | None, *, required: bool) -> str | None:
        day_text, time_text = self.values[f"{which}_date"], self.values[f"{which}_time"]
        if not day_text and not time_text:
            if required:
                self.add_error(f"{which}_date", N_("Enter the date and time the event starts."))
            return None
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            self.add_error(f"{which}_date", N_("Enter a date like 2027-09-22."))
            return None
        try:
            clock = time.fromisoformat(time_text) if time_text else time(0, 0)
        except ValueError:
            self.add_error(f"{which}_time", N_("Enter a time like 09:30."))
            return None
        return datetime.combine(day, clock, tzinfo=zone or ZoneInfo("UTC")).isoformat()

    def add_api_errors(self, errors: list[dict[str, str]]) -> None:
        for error in errors:
            path = error["field"].split(".")
            if path[0] == "location" and len(path) > 1 and path[1] in _ADDRESS_FIELDS:
                name = f"loc_{path[1]}"
            else:
                name = _FIELD_OF.get(path[0], "_form")
            self.add_error(name, error["message"])


def new_event_form(space_zone: str) -> EventForm:
    values = {name: "" for name in _TEXT_FIELDS}
    values.update(timezone=space_zone, location="space", start_time="09:00")
    return EventForm(values=values)


def event_form_from_event(event: Event, space_zone: str) -> EventForm:
    zone_name = event.timezone or space_zone
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone, zone_name = ZoneInfo("UTC"), "UTC"
    starts = event.starts_at.astimezone(zone)
    ends = event.ends_at.astimezone(zone) if event.ends_at else None
    values = {name: "" for name in _TEXT_FIELDS}
    values.update(
        title=event.title, description=event.description or "",
        start_date=starts.date().isoformat(), start_time=starts.strftime("%H:%M"),
        end_date=ends.date().isoformat() if ends else "", end_time=ends.strftime("%H:%M") if ends else "",
        timezone=zone_name, online_url=event.online_url or "", url=event.url or "",
        capacity="" if event.capacity is None else str(event.capacity), tags=", ".join(event.tags),
    )
    if isinstance(event.location, str):
        values["location"] = event.location
    else:
        values["location"] = "address"
        for name in _ADDRESS_FIELDS:
            values[f"loc_{name}"] = getattr(event.location, name, None) or ""
    return EventForm(values=values)


def event_form_from_submission(form: FormData) -> EventForm:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    values = {name: text(name) for name in _TEXT_FIELDS}
    # The description keeps its inner line breaks: Markdown needs them.
    raw = form.get("description", "")
    values["description"] = raw.strip() if isinstance(raw, str) else ""
    return EventForm(values=values)
