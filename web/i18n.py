"""Languages of the pages: message catalogues, the visitor's language, and
locale-aware formatting of dates, times and prices.

Catalogues are the `.po` files under `web/locale`, compiled in memory at
startup (`read_po` + `write_mo`), so a translator edits a `.po` and restarts:
no build step. The language comes from the `lang` cookie (set by the language
links), else from `Accept-Language`, else English."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from starlette.requests import HTTPConnection

from directory.event_text import event_when
from directory.vocabulary import AMENITY_LABELS, PRICE_KIND_LABELS, WEEKDAY_LABELS, Label

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "Catalogues",
    "N_",
    "choose_language",
    "country_name",
    "current_language",
    "format_event_when",
    "format_money",
    "format_when",
    "language_name",
    "named_choices",
    "vocabulary_label",
]

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES: tuple[str, ...] = ("en", "it")
LANGUAGE_NAMES = {"en": "English", "it": "Italiano"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"

_current: ContextVar[tuple[str, gettext.NullTranslations] | None] = ContextVar("espresso_language", default=None)


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated later, where the language is known."""
    return message


class Catalogues:
    """Every language's translations, compiled once from the `.po` files."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        self._translations: dict[str, gettext.NullTranslations] = {}
        for lang in LANGUAGES:
            po_path = locale_dir / lang / "LC_MESSAGES" / "messages.po"
            self._translations[lang] = _compile(po_path) if po_path.is_file() else gettext.NullTranslations()

    def get(self, lang: str) -> gettext.NullTranslations:
        return self._translations.get(lang) or self._translations[DEFAULT_LANGUAGE]

    @contextmanager
    def activate(self, lang: str) -> Iterator[gettext.NullTranslations]:
        """Make `lang` the language of what is rendered in this block (templates read it)."""
        translations = self.get(lang)
        token = _current.set((lang, translations))
        try:
            yield translations
        finally:
            _current.reset(token)


def _compile(po_path: Path) -> gettext.GNUTranslations:
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_language() -> str:
    active = _current.get()
    return active[0] if active else DEFAULT_LANGUAGE


def _translations() -> gettext.NullTranslations:
    active = _current.get()
    return active[1] if active else gettext.NullTranslations()


def gettext_active(message: str) -> str:
    return _translations().gettext(message)


def ngettext_active(singular: str, plural: str, n: int) -> str:
    return _translations().ngettext(singular, plural, n)


def choose_language(connection: HTTPConnection) -> str:
    """The `lang` cookie if valid, else the best `Accept-Language` match, else English."""
    chosen = connection.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return language_from_header(connection.headers.get("accept-language", ""))


def language_from_header(header: str) -> str:
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def format_when(value: datetime | date | str | None, format: str = "medium") -> str:
    """`|datetime`: a date or date-time (or its ISO text) in the page's language (e.g. "22 set 2027, 09:30")."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    locale = Locale.parse(current_language())
    if isinstance(value, datetime):
        return babel_format_datetime(value, format=format, locale=locale, tzinfo=value.tzinfo)
    return babel_format_date(value, format=format, locale=locale)


def format_money(amount: str | Decimal | float, currency: str) -> str:
    """`|money("EUR")`: "€15.00" in English, "15,00 €" in Italian; "Free" for a zero amount
    (a Coworking Visa costs nothing, and "€0.00" reads like a missing price)."""
    value = Decimal(str(amount))
    if value == 0:
        return gettext_active(N_("Free"))
    return format_currency(value, currency, locale=Locale.parse(current_language()))


def _moment(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def format_event_when(starts_at: datetime | str | None, ends_at: datetime | str | None = None,
                      timezone_name: str | None = None) -> str:
    """`event_when(...)`: an event's date and time in its own time zone, in the page's language
    (API values are ISO strings in UTC; shown as is they read as local times, an hour or two off)."""
    if not starts_at:
        return ""
    return event_when(_moment(starts_at), _moment(ends_at) if ends_at else None, timezone_name or None,
                      current_language())


def country_name(code: str | None) -> str:
    """`|country`: "IT" → "Italy" / "Italia"; an unknown code is shown as given."""
    if not code:
        return ""
    name: str = Locale.parse(current_language()).territories.get(code.upper(), code)
    return name


def language_name(code: str | None) -> str:
    """`|language`: "it" → "Italian" / "italiano"; an unknown code is shown as given."""
    if not code:
        return ""
    locale = Locale.parse(current_language())
    name: str = locale.languages.get(code.lower().replace("-", "_"), code)
    return name


def named_choices(codes: Iterable[str], kind: str) -> list[tuple[str, str]]:
    """`named(codes, "country" | "language")`: (code, name in the page's language), sorted by name, for a
    drop-down list."""
    name_of = country_name if kind == "country" else language_name
    return sorted(((code, name_of(code)) for code in codes), key=lambda pair: (pair[1].casefold(), pair[0]))


_VOCABULARIES: dict[str, dict[str, Label]] = {
    "amenity": dict(AMENITY_LABELS),
    "price_kind": dict(PRICE_KIND_LABELS),
    "weekday": dict(WEEKDAY_LABELS),
}


def vocabulary_label(vocabulary: str, code: str) -> str:
    """The name of a vocabulary code in the page's language (the vocabulary carries both)."""
    label = _VOCABULARIES[vocabulary].get(code)
    if label is None:
        return code
    return label.it if current_language() == "it" else label.en
