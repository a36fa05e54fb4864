from __future__ import annotations

from typing import Any

import pydantic
import pytest

from directory.space_schema import (
    RESERVED_USERNAMES,
    Space,
    SpacePatch,
    apply_space_patch,
    validation_errors,
)
from directory.vocabulary import AMENITIES, PRICE_KINDS, vocabulary_markdown


def contract_space() -> dict[str, Any]:
    """The Space example of the contract, verbatim."""
    return {
        "username": "racale",
        "name": "Coworking Racale",
        "summary": "Markdown text.",
        "address": {"street": "Via Roma 1", "locality": "Racale", "region": "Puglia", "postal_code": "73055", "country": "IT"},
        "geo": {"lat": 39.9608, "lon": 18.0937},
        "website": "https://example.org", "email": "ciao@example.org", "phone": "+39 0833 000000",
        "opening_hours": [{"days": ["mo", "tu", "we", "th", "fr"], "opens": "09:00", "closes": "19:00"}],
        "amenities": ["wifi", "meeting_room", "kitchen"],
        "prices": [{"kind": "day_pass", "amount": "15.00", "currency": "EUR"}],
        "seats": 40,
        "languages": ["it", "en"],
        "tags": ["rural"],
        "manually_approves_followers": False,
    }


def errors_of(data: dict[str, Any], model: type[pydantic.BaseModel] = Space) -> dict[str, str]:
    with pytest.raises(pydantic.ValidationError) as info:
        model.model_validate(data)
    return {e["field"]: e["message"] for e in validation_errors(info.value)}


def with_changes(**changes: Any) -> dict[str, Any]:
    return {**contract_space(), **changes}


def test_space__accepts_the_contract_example_and_round_trips() -> None:
    space = Space.model_validate(contract_space())
    dumped = space.model_dump()
    assert {k: dumped[k] for k in contract_space()} == contract_space()
    assert space.discoverable is True and space.indexable is True


def test_space__only_username_name_and_country_are_required() -> None:
    space = Space.model_validate({"username": "a", "name": "A", "address": {"country": "it"}})
    assert space.address.country == "IT"
    assert space.amenities == [] and space.geo is None


def test_space__missing_required_fields_are_named() -> None:
    errors = errors_of({"address": {}})
    assert errors == {"username": "is required", "name": "is required", "address.country": "is required"}


@pytest.mark.parametrize("username", ["Racale", "a-b", "", "x" * 31, "città", "a b"])
def test_space__rejects_malformed_usernames(username: str) -> None:
    assert "lower-case letters" in errors_of(with_changes(username=username))["username"]


@pytest.mark.parametrize("username", sorted({"admin", "api", "inbox", "well-known", "nodeinfo", "spaces"}))
def test_space__rejects_reserved_usernames(username: str) -> None:
    assert username in RESERVED_USERNAMES
    message = errors_of(with_changes(username=username))["username"]
    assert "reserved" in message or "lower-case" in message


def test_space__unknown_top_level_field_is_an_error() -> None:
    assert errors_of(with_changes(colour="red")) == {"colour": "is not a known field"}


def test_space__unknown_amenities_are_named_in_the_message() -> None:
    message = errors_of(with_changes(amenities=["wifi", "sauna", "jacuzzi"]))["amenities"]
    assert "sauna" in message and "jacuzzi" in message and "wifi" not in message


def test_space__unknown_price_kind_is_named() -> None:
    errors = errors_of(with_changes(prices=[{"kind": "lifetime", "amount": "1.00", "currency": "EUR"}]))
    assert "lifetime" in errors["prices.0.kind"]


def test_space__country_must_be_a_real_alpha2_code() -> None:
    assert "ISO 3166-1" in errors_of(with_changes(address={"country": "XX"}))["address.country"]
    assert "address.country" in errors_of(with_changes(address={"country": "ITA"}))


@pytest.mark.parametrize(
    ("geo", "field"),
    [({"lat": 90.1, "lon": 0}, "geo.lat"), ({"lat": 0, "lon": -180.5}, "geo.lon"), ({"lat": "nan", "lon": 0}, "geo.lat")],
)
def test_space__coordinates_out_of_range_are_rejected(geo: dict[str, Any], field: str) -> None:
    assert field in errors_of(with_changes(geo=geo))


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"days": ["mo"], "opens": "9:00", "closes": "19:00"}, "opening_hours.0.opens"),
        ({"days": ["mo"], "opens": "09:00", "closes": "24:30"}, "opening_hours.0.closes"),
        ({"days": ["mo"], "opens": "19:00", "closes": "09:00"}, "opening_hours.0.closes"),
        ({"days": ["mo"], "opens": "09:00", "closes": "09:00"}, "opening_hours.0.closes"),
        ({"days": ["monday"], "opens": "09:00", "closes": "19:00"}, "opening_hours.0.days"),
        ({"days": [], "opens": "09:00", "closes": "19:00"}, "opening_hours.0.days"),
    ],
)
def test_space__bad_opening_hours_are_rejected(rule: dict[str, Any], field: str) -> None:
    assert field in errors_of(with_changes(opening_hours=[rule]))


def test_space__opening_hours_until_midnight_and_days_in_week_order() -> None:
    space = Space.model_validate(with_changes(opening_hours=[{"days": ["SU", "mo"], "opens": "00:00", "closes": "24:00"}]))
    assert space.opening_hours[0].days == ["mo", "su"]


@pytest.mark.parametrize(("given", "stored"), [("15", "15.00"), ("15.5", "15.50"), (0, "0.00"), ("1250.00", "1250.00")])
def test_price__amount_is_normalized_to_two_decimals(given: object, stored: str) -> None:
    space = Space.model_validate(with_changes(prices=[{"kind": "day_pass", "amount": given, "currency": "eur"}]))
    assert (space.prices[0].amount, space.prices[0].currency) == (stored, "EUR")


@pytest.mark.parametrize("amount", ["-1.00", "1.005", "abc", "Infinity", True, None])
def test_price__bad_amounts_are_rejected(amount: object) -> None:
    assert "prices.0.amount" in errors_of(with_changes(prices=[{"kind": "day_pass", "amount": amount, "currency": "EUR"}]))


def test_price__currency_is_required() -> None:
    assert errors_of(with_changes(prices=[{"kind": "day_pass", "amount": "1.00"}])) == {"prices.0.currency": "is required"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("website", "javascript:alert(1)"),
        ("website", "example.org"),
        ("email", "not-an-email"),
        ("phone", "call me"),
        ("seats", -1),
        ("seats", 100_001),
        ("seats", "40"),
        ("languages", ["italiano!"]),
        ("tags", ["two words"]),
        ("tags", ["x" * 51]),
        ("tags", [f"t{i}" for i in range(21)]),
        ("name", "   "),
        ("name", "n" * 101),
        ("summary", "s" * 5001),
    ],
)
def test_space__bad_field_values_are_reported_on_that_field(field: str, value: object) -> None:
    errors = errors_of(with_changes(**{field: value}))
    assert any(key.split(".")[0] == field for key in errors), errors


def test_space__tags_lose_hash_and_case_duplicates_and_languages_are_normalized() -> None:
    space = Space.model_validate(with_changes(tags=["#Rural", "rural", "caffè_lungo"], languages=["IT", "pt-br", "it"]))
    assert space.tags == ["Rural", "caffè_lungo"]
    assert space.languages == ["it", "pt-BR"]


def test_space__long_messages_are_plain_english() -> None:
    errors = errors_of(with_changes(name="", summary="s" * 5001))
    assert errors == {"name": "must not be empty", "summary": "must be at most 5000 characters"}


def test_space_patch__username_cannot_be_changed() -> None:
    assert errors_of({"username": "other"}, SpacePatch) == {
        "username": "cannot be changed: it is part of the space's fediverse address"
    }


def test_space_patch__required_fields_cannot_be_nulled_but_optional_ones_can() -> None:
    assert set(errors_of({"name": None, "address": None}, SpacePatch)) == {"name", "address"}
    space = Space.model_validate(contract_space())
    patched = apply_space_patch(space, SpacePatch.model_validate({"website": None, "seats": 12, "name": "Nuovo"}))
    assert (patched.website, patched.seats, patched.name, patched.username) == (None, 12, "Nuovo", "racale")
    assert patched.amenities == space.amenities


def test_space_patch__validates_like_space() -> None:
    assert "amenities" in errors_of({"amenities": ["sauna"]}, SpacePatch)
    assert "address.country" in errors_of({"address": {"country": "ZZ"}}, SpacePatch)


def test_vocabulary__markdown_lists_every_code_once() -> None:
    table = vocabulary_markdown()
    for code in AMENITIES | PRICE_KINDS:
        assert table.count(f"| `{code}` |") == 1
    assert "| `mo` | Monday | lunedì |" in table
    assert {"wheelchair_accessible", "accessible_toilet", "24_7_access"} <= AMENITIES
    assert 25 <= len(AMENITIES) <= 35
