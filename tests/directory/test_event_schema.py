from __future__ import annotations

from datetime import timedelta
from typing import Any

import pydantic
import pytest

from directory.event_schema import Event, EventLocation, EventPatch, apply_event_patch
from directory.space_schema import validation_errors


def contract_event(**changes: Any) -> dict[str, Any]:
    event = {
        "title": "Espresso Coworking 2017",
        "description": "Markdown text.",
        "starts_at": "2017-09-22T09:30:00+02:00",
        "ends_at": "2017-09-23T18:00:00+02:00",
        "timezone": "Europe/Rome",
        "location": "space",
        "online_url": None,
        "url": None,
        "capacity": 120,
        "tags": ["ec17"],
        "status": "scheduled",
    }
    return {**event, **changes}


def errors_of(data: dict[str, Any], model: type[pydantic.BaseModel] = Event) -> dict[str, str]:
    with pytest.raises(pydantic.ValidationError) as info:
        model.model_validate(data)
    return {e["field"]: e["message"] for e in validation_errors(info.value)}


def test_event__contract_example_round_trips_as_json() -> None:
    event = Event.model_validate(contract_event())
    assert event.model_dump(mode="json") == contract_event()
    assert event.starts_at.utcoffset() == timedelta(hours=2)


def test_event__only_title_and_starts_at_are_required() -> None:
    assert errors_of({}) == {"title": "is required", "starts_at": "is required"}
    event = Event.model_validate({"title": "x", "starts_at": "2027-01-01T10:00:00Z"})
    assert (event.location, event.status, event.tags) == ("space", "scheduled", [])


def test_event__naive_start_needs_an_offset() -> None:
    assert "needs a UTC offset" in errors_of(contract_event(starts_at="2017-09-22T09:30:00"))["starts_at"]
    assert "needs a UTC offset" in errors_of(contract_event(ends_at="2017-09-23T18:00:00"))["ends_at"]


@pytest.mark.parametrize("ends_at", ["2017-09-22T09:30:00+02:00", "2017-09-22T07:00:00Z"])
def test_event__end_must_follow_start(ends_at: str) -> None:
    assert errors_of(contract_event(ends_at=ends_at)) == {"ends_at": "must be after starts_at"}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "europe rome"])
def test_event__timezone_must_be_an_iana_zone(zone: str) -> None:
    assert "timezone" in errors_of(contract_event(timezone=zone))


def test_event__online_location_requires_online_url() -> None:
    assert errors_of(contract_event(location="online")) == {"online_url": 'is required when location is "online"'}
    event = Event.model_validate(contract_event(location="online", online_url="https://meet.example/x"))
    assert event.online_url == "https://meet.example/x"


def test_event__address_location_is_validated_and_named() -> None:
    event = Event.model_validate(
        contract_event(location={"name": "Teatro", "locality": "Lecce", "country": "it", "geo": {"lat": 40.35, "lon": 18.17}})
    )
    assert isinstance(event.location, EventLocation) and event.location.country == "IT"
    assert errors_of(contract_event(location={"country": "XX"})).keys() == {"location.country"}
    assert errors_of(contract_event(location="moon")) == {"location": "Input should be 'space' or 'online'"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "t" * 201),
        ("description", "d" * 10_001),
        ("url", "ftp://example.org"),
        ("capacity", -5),
        ("tags", ["no spaces"]),
        ("status", "done"),
        ("surprise", 1),
    ],
)
def test_event__bad_values_are_reported_on_their_field(field: str, value: object) -> None:
    assert any(key.split(".")[0] == field for key in errors_of(contract_event(**{field: value})))


def test_event_patch__cancel_and_revalidate_on_merge() -> None:
    event = Event.model_validate(contract_event())
    cancelled = apply_event_patch(event, EventPatch.model_validate({"status": "cancelled"}))
    assert cancelled.status == "cancelled" and cancelled.title == event.title
    with pytest.raises(pydantic.ValidationError):
        apply_event_patch(event, EventPatch.model_validate({"starts_at": "2017-09-24T09:30:00+02:00"}))


def test_event_patch__required_fields_cannot_be_nulled() -> None:
    assert set(errors_of({"title": None, "starts_at": None}, EventPatch)) == {"title", "starts_at"}
    assert "starts_at" in errors_of({"starts_at": "2017-09-22T09:30:00"}, EventPatch)
