"""The Event as the admin API receives it (see the contract's "Event").

Times must carry a UTC offset: a naive time is ambiguous across the fediverse,
where every receiver renders it in its own zone. ``timezone`` is the IANA zone
the event happens in (as FEP-8a8e and Mobilizon carry it), checked with zoneinfo.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Discriminator, Field, Tag, ValidationInfo, field_validator

from directory.space_schema import MODEL_CONFIG, Address, Geo, HttpUrl, Tags

__all__ = ["Event", "EventLocation", "EventPatch", "EventStatus", "apply_event_patch"]

EventStatus = Literal["scheduled", "cancelled", "postponed"]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=10_000)]
Capacity = Annotated[int, Field(ge=0, le=1_000_000, strict=True)]


class EventLocation(Address):
    """A venue other than the space: an address, optionally named and placed on the map."""

    name: Annotated[str, Field(max_length=200)] | None = None
    geo: Geo | None = None


def _location_kind(value: Any) -> str:
    return "Keyword" if isinstance(value, str) else "Address"


# A tagged union, so a bad address reports only the address's errors (not also
# "should be 'space' or 'online'"); validation_errors drops the capitalized tags from paths.
Location = Annotated[
    Union[Annotated[Literal["space", "online"], Tag("Keyword")], Annotated[EventLocation, Tag("Address")]],
    Discriminator(_location_kind),
]


def _require_offset(value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise ValueError("needs a UTC offset, e.g. 2027-09-22T09:30:00+02:00")
    return value


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone name like Europe/Rome") from None
    return value


class _EventChecks(BaseModel):
    """Field checks shared by Event and EventPatch."""

    model_config = MODEL_CONFIG

    @field_validator("starts_at", "ends_at", check_fields=False)
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _require_offset(value)

    @field_validator("timezone", check_fields=False)
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _check_timezone(value)

    @field_validator("ends_at", check_fields=False)
    @classmethod
    def _after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts_at = info.data.get("starts_at")
        if value is not None and starts_at is not None and value <= starts_at:
            raise ValueError("must be after starts_at")
        return value


class Event(_EventChecks):
    """An event a space publishes."""

    title: Title
    description: Description | None = None
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str | None = Field(default=None, description="IANA time zone, e.g. Europe/Rome")
    location: Location = "space"
    # validate_default: the "required when online" check must run when it is absent.
    online_url: HttpUrl | None = Field(default=None, validate_default=True)
    url: HttpUrl | None = None
    capacity: Capacity | None = None
    tags: Tags = Field(default_factory=list)
    status: EventStatus = "scheduled"

    @field_validator("online_url")
    @classmethod
    def _online_needs_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("location") == "online":
            raise ValueError('is required when location is "online"')
        return value


_NOT_NULLABLE_EVENT_FIELDS = ("title", "starts_at", "location", "status")


class EventPatch(_EventChecks):
    """Fields a PATCH may change; ``{"status": "cancelled"}`` cancels. Cross-field rules are
    checked again on the merged event by :func:`apply_event_patch`."""

    title: Title | None = None
    description: Description | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: str | None = None
    location: Location | None = None
    online_url: HttpUrl | None = None
    url: HttpUrl | None = None
    capacity: Capacity | None = None
    tags: Tags | None = None
    status: EventStatus | None = None

    @field_validator(*_NOT_NULLABLE_EVENT_FIELDS, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be removed, only changed")
        return value


def apply_event_patch(event: Event, patch: EventPatch) -> Event:
    """The event with the patch's explicitly given fields replaced, re-validated as a whole."""
    return Event.model_validate({**event.model_dump(), **patch.model_dump(exclude_unset=True)})
