"""The schema's validation messages (English, shared with the JSON API) in the
manager's language: each known message shape is a catalogue entry with
placeholders, matched here and filled with the values found in the message."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..i18n import N_

__all__ = ["localize"]

_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern), msgid) for pattern, msgid in [
        (r"is required", N_("This field is required.")),
        (r"must not be empty", N_("This field is required.")),
        (r"must be at most (?P<n>\d+) characters", N_("Use at most %(n)s characters.")),
        (r"must have at most (?P<n>\d+) items", N_("Give at most %(n)s items.")),
        (r"must be a number", N_("Enter a number, e.g. 39.96.")),
        (r"must be a whole number", N_("Enter a whole number, e.g. 40.")),
        (r"must be true or false", N_("Tick the box or leave it empty.")),
        (r"must be a web address starting with http:// or https://",
         N_("Enter a web address starting with http:// or https://")),
        (r"must be an e-mail address like name@example.org", N_("Enter an e-mail address like name@example.org.")),
        (r"must be a phone number: digits, spaces and an optional leading \+",
         N_("Enter a phone number: digits, spaces and an optional leading +.")),
        (r"'(?P<value>.*)' is not a language code like 'it', 'en' or 'pt-BR'",
         N_("“%(value)s” is not a language code like it, en or pt-BR.")),
        (r"'(?P<value>.*)' is not a hashtag: use up to 50 letters, digits or _",
         N_("“%(value)s” is not a hashtag: use up to 50 letters, digits or _.")),
        (r"unknown (?P<what>[a-z ]+?)(?: \(.*\))?: (?P<value>.*)", N_("Unknown value: %(value)s.")),
        (r"'(?P<value>.*)' is not an ISO 3166-1 two-letter country code.*",
         N_("“%(value)s” is not a two-letter country code such as IT, DE or FR.")),
        (r"'(?P<value>.*)' is not a time between 00:00 and 24:00 written as HH:MM",
         N_("“%(value)s” is not a time: write it as HH:MM, e.g. 09:00.")),
        (r"must be later than the opening time (?P<time>[0-9:]+).*",
         N_("Closing must be after opening (%(time)s); split overnight hours in two slots.")),
        (r"'(?P<value>.*)' is not an amount like \"15.00\"", N_("“%(value)s” is not an amount like 15.00.")),
        (r"must be an amount like \"15.00\"", N_("Enter an amount like 15.00.")),
        (r"must be an amount between 0.00 and 10000000.00", N_("Enter an amount between 0.00 and 10000000.00.")),
        (r"'(?P<value>.*)' has more than two decimals", N_("“%(value)s” has more than two decimals.")),
        (r"'(?P<value>.*)' is not an ISO 4217 currency code like EUR",
         N_("“%(value)s” is not a currency code like EUR.")),
        (r"must be 1 to 30 characters: lower-case letters a-z, digits or _",
         N_("Use 1 to 30 characters: lower-case letters a-z, digits or _.")),
        (r"'(?P<value>.*)' is reserved, please choose another username",
         N_("“%(value)s” is reserved, please choose another username.")),
        (r"must be after starts_at", N_("The end must be after the start.")),
        (r'is required when location is "online"', N_("Enter the web address of the online event.")),
        (r"'(?P<value>.*)' is not a time zone name like Europe/Rome", N_("Choose a time zone from the list.")),
        (r"cannot be removed, only changed", N_("This field is required.")),
        (r"Input should be greater than or equal to (?P<n>-?[0-9.]+)", N_("Enter a number of at least %(n)s.")),
        (r"Input should be less than or equal to (?P<n>-?[0-9.]+)", N_("Enter a number of at most %(n)s.")),
    ]
]


def localize(message: str, translate: Callable[[str], str]) -> str:
    """`message` in the page's language when its shape is known, else as it is."""
    for pattern, msgid in _SHAPES:
        match = pattern.fullmatch(message)
        if match:
            return translate(msgid) % {"n": "", "value": "", "time": "", **match.groupdict()}
    return message
