"""The Space as the admin API receives it: pydantic models with messages a manager understands.

``Space`` is a whole space (POST), ``SpacePatch`` the fields a PATCH may change
(the username never changes: it is part of the actor id). Unknown fields are
rejected (``extra="forbid"``) so a typo is a 422, not silently ignored data.
:func:`validation_errors` turns a ``ValidationError`` into ``{"field", "message"}``
items with dotted paths (``address.country``, ``prices.0.currency``).

The shared field types (URLs, tags, languages) live here and are reused by
``event_schema``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlsplit

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from directory.vocabulary import AMENITIES, COUNTRY_CODES, PRICE_KINDS, WEEKDAYS

__all__ = [
    "RESERVED_USERNAMES",
    "Address",
    "Geo",
    "OpeningHours",
    "Price",
    "Space",
    "SpacePatch",
    "apply_space_patch",
    "validation_errors",
]

# Names that collide with routes, well-known paths or roles people would trust.
RESERVED_USERNAMES: frozenset[str] = frozenset(
    {
        "about", "abuse", "account", "accounts", "activity", "actor", "admin", "administrator",
        "api", "assets", "auth", "contact", "directory", "espresso", "events", "explore",
        "feed", "feeds", "followers", "following", "help", "hostmaster", "inbox", "instance",
        "login", "logout", "media", "moderator", "news", "nodeinfo", "null", "outbox",
        "postmaster", "privacy", "relay", "root", "search", "security", "settings", "setup",
        "signup", "space", "spaces", "static", "support", "system", "tags", "terms",
        "uploads", "user", "users", "webfinger", "webmaster", "well_known", "well-known", "www",
    }
)

_USERNAME_RE = re.compile(r"[a-z0-9_]{1,30}")
_TIME_RE = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])")
_EMAIL_RE = re.compile(r"[^@\s<>\"']{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}")
_PHONE_RE = re.compile(r"\+?[0-9 ()./-]{4,30}")
_LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_TAG_RE = re.compile(r"\w{1,50}")
_MAX_AMOUNT = Decimal("10000000")
_FIELD_NAME_RE = re.compile(r"[a-z_][a-z0-9_]*")

MODEL_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- reusable field checks (raise ValueError with the message shown to managers) ---


def check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be a web address starting with http:// or https://")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL_RE.fullmatch(value):
        raise ValueError("must be an e-mail address like name@example.org")
    return value


def _check_phone(value: str) -> str:
    if not _PHONE_RE.fullmatch(value) or sum(c.isdigit() for c in value) < 4:
        raise ValueError("must be a phone number: digits, spaces and an optional leading +")
    return value


def _normalize_language(value: str) -> str:
    if not _LANGUAGE_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a language code like 'it', 'en' or 'pt-BR'")
    primary, *rest = value.split("-")
    # BCP 47 conventional casing: language lower, script title, region upper.
    subtags = [s.title() if len(s) == 4 else s.upper() if len(s) == 2 else s.lower() for s in rest]
    return "-".join([primary.lower(), *subtags])


def _normalize_tag(value: str) -> str:
    tag = value.removeprefix("#")
    if not _TAG_RE.fullmatch(tag):
        raise ValueError(f"{value!r} is not a hashtag: use up to 50 letters, digits or _")
    return tag


def _dedupe_tags(values: list[str]) -> list[str]:
    # Hashtags are case-insensitive on every fediverse server: keep the first spelling.
    kept: dict[str, str] = {}
    for tag in values:
        kept.setdefault(tag.casefold(), tag)
    return list(kept.values())


def _check_vocabulary(values: list[str], known: frozenset[str] | tuple[str, ...], what: str) -> list[str]:
    cleaned = [v.strip().lower() for v in values]
    unknown = sorted({v for v in cleaned if v not in known})
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(unknown)}")
    return list(dict.fromkeys(cleaned))


HttpUrl = Annotated[str, Field(max_length=2000), AfterValidator(check_http_url)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_check_email)]
Phone = Annotated[str, Field(max_length=30), AfterValidator(_check_phone)]
Language = Annotated[str, AfterValidator(_normalize_language)]
Tag = Annotated[str, Field(max_length=51), AfterValidator(_normalize_tag)]
Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_dedupe_tags)]
Languages = Annotated[list[Language], Field(max_length=20), AfterValidator(lambda v: list(dict.fromkeys(v)))]
Amenities = Annotated[list[str], Field(max_length=len(AMENITIES)), AfterValidator(lambda v: _check_vocabulary(v, AMENITIES, "amenities"))]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Summary = Annotated[str, Field(max_length=5000)]
Seats = Annotated[int, Field(ge=0, le=100_000, strict=True)]


# --- value models ---


class Address(BaseModel):
    """A postal address; only the country is required."""

    model_config = MODEL_CONFIG

    street: Annotated[str, Field(max_length=200)] | None = None
    locality: Annotated[str, Field(max_length=100)] | None = None
    region: Annotated[str, Field(max_length=100)] | None = None
    postal_code: Annotated[str, Field(max_length=20)] | None = None
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. IT")

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str) -> str:
        code = value.upper()
        if code not in COUNTRY_CODES:
            raise ValueError(f"{value!r} is not an ISO 3166-1 two-letter country code (e.g. IT, DE, FR)")
        return code


class Geo(BaseModel):
    """WGS 84 coordinates in decimal degrees."""

    model_config = MODEL_CONFIG

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class OpeningHours(BaseModel):
    """One opening rule: these days, from ``opens`` to ``closes`` local time ("24:00" = midnight)."""

    model_config = MODEL_CONFIG

    days: list[str] = Field(min_length=1, max_length=7)
    opens: str = Field(description="HH:MM, 00:00 to 23:59")
    closes: str = Field(description="HH:MM, 00:01 to 24:00, after opens")

    @field_validator("days")
    @classmethod
    def _known_days(cls, values: list[str]) -> list[str]:
        cleaned = _check_vocabulary(values, WEEKDAYS, "days (use mo, tu, we, th, fr, sa, su)")
        return sorted(cleaned, key=WEEKDAYS.index)

    @field_validator("opens", "closes")
    @classmethod
    def _time(cls, value: str) -> str:
        match = _TIME_RE.fullmatch(value)
        if not match or (match[1] == "24" and match[2] != "00"):
            raise ValueError(f"{value!r} is not a time between 00:00 and 24:00 written as HH:MM")
        return value

    @field_validator("closes")
    @classmethod
    def _after_opening(cls, value: str, info: ValidationInfo) -> str:
        opens = info.data.get("opens")
        # "HH:MM" strings compare in time order; overnight hours are two rules.
        if opens is not None and value <= opens:
            raise ValueError(f"must be later than the opening time {opens} (split overnight hours in two rules)")
        return value


class Price(BaseModel):
    """A price of one kind from the vocabulary, e.g. a day pass at 15.00 EUR."""

    model_config = MODEL_CONFIG

    kind: str
    amount: str = Field(description="decimal string with two decimals, e.g. 15.00")
    currency: str = Field(description="ISO 4217 code, e.g. EUR")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        return _check_vocabulary([value], PRICE_KINDS, "price kind")[0]

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError("must be an amount like \"15.00\"")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount like \"15.00\"") from None
        if not amount.is_finite() or amount < 0 or amount > _MAX_AMOUNT:
            raise ValueError("must be an amount between 0.00 and 10000000.00")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError(f"{value!r} has more than two decimals")
        return str(amount.quantize(Decimal("0.01")))

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.upper()
        if not _CURRENCY_RE.fullmatch(code):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code like EUR")
        return code


def _check_username(value: str) -> str:
    if not _USERNAME_RE.fullmatch(value):
        raise ValueError("must be 1 to 30 characters: lower-case letters a-z, digits or _")
    if value in RESERVED_USERNAMES:
        raise ValueError(f"{value!r} is reserved, please choose another username")
    return value


Username = Annotated[str, AfterValidator(_check_username)]
OpeningHoursList = Annotated[list[OpeningHours], Field(max_length=50)]
Prices = Annotated[list[Price], Field(max_length=50)]


class Space(BaseModel):
    """A coworking space as the admin API creates it (see the contract's "Space")."""

    model_config = MODEL_CONFIG

    username: Username
    name: Name
    summary: Summary | None = None
    address: Address
    geo: Geo | None = None
    website: HttpUrl | None = None
    email: Email | None = None
    phone: Phone | None = None
    opening_hours: OpeningHoursList = Field(default_factory=list)
    amenities: Amenities = Field(default_factory=list)
    prices: Prices = Field(default_factory=list)
    seats: Seats | None = None
    languages: Languages = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    manually_approves_followers: bool = False
    discoverable: bool = True
    indexable: bool = True


_NOT_NULLABLE_SPACE_FIELDS = ("name", "address", "manually_approves_followers", "discoverable", "indexable")


class SpacePatch(BaseModel):
    """The fields a PATCH may change; absent fields stay as they are, ``null`` clears optional ones.

    ``address`` and list fields are replaced as a whole.
    """

    model_config = MODEL_CONFIG

    name: Name | None = None
    summary: Summary | None = None
    address: Address | None = None
    geo: Geo | None = None
    website: HttpUrl | None = None
    email: Email | None = None
    phone: Phone | None = None
    opening_hours: OpeningHoursList | None = None
    amenities: Amenities | None = None
    prices: Prices | None = None
    seats: Seats | None = None
    languages: Languages | None = None
    tags: Tags | None = None
    manually_approves_followers: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None

    @field_validator(*_NOT_NULLABLE_SPACE_FIELDS, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be removed, only changed")
        return value


def apply_space_patch(space: Space, patch: SpacePatch) -> Space:
    """The space with the patch's explicitly given fields replaced (re-validated as a whole)."""
    changes = patch.model_dump(exclude_unset=True)
    return Space.model_validate({**space.model_dump(), **changes})


# --- errors for the API ---

_FRIENDLY_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def _message(error: Any, title: str) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "extra_forbidden" and title == "SpacePatch" and error["loc"] == ("username",):
        return "cannot be changed: it is part of the space's fediverse address"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items"
    if kind in _FRIENDLY_MESSAGES:
        return _FRIENDLY_MESSAGES[kind]
    return str(error["msg"])


def _dotted(loc: tuple[int | str, ...]) -> str:
    # Field names are snake_case; other strings in a location are union branch
    # labels ("Address", "literal[...]") that mean nothing to a manager.
    return ".".join(str(part) for part in loc if isinstance(part, int) or _FIELD_NAME_RE.fullmatch(part))


def validation_errors(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    """``[{"field": "address.country", "message": "..."}]``, one item per problem."""
    return [
        {"field": _dotted(error["loc"]), "message": _message(error, exc.title)}
        for error in exc.errors(include_url=False)
    ]
