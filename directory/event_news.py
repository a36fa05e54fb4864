"""A short news post telling followers that an event was cancelled, postponed or moved.

Mastodon ignores ``Update`` of an ``Event`` (it updates only ``Note`` and
``Question`` statuses), so its readers keep the text of the original
``Create(Event)``; a change that matters reaches them only through a new post.
The notice is a ``Note`` in the space's main language, published through the
same path as any news post (``directory.note_publishing``), e.g.
"Annullato: Open day — sab 22 set 2027, 09:30–18:00 (Europe/Rome) · Coworking
Racale, Via Roma 1, Racale" and a link to the event page."""

from __future__ import annotations

import re

from .event_document import resolve_place
from .event_schema import Event
from .event_text import event_summary, language_of
from .space_schema import Space

__all__ = ["change_notice"]

# Federated text, written in the space's language rather than the reader's: not a UI catalogue entry.
_LABELS: dict[str, dict[str, str]] = {
    "it": {"cancelled": "Annullato", "postponed": "Rinviato", "restored": "Confermato",
           "moved": "Cambiano data e luogo", "time": "Nuovo orario", "place": "Nuovo luogo",
           "details": "Dettagli"},
    "en": {"cancelled": "Cancelled", "postponed": "Postponed", "restored": "Back on",
           "moved": "New time and place", "time": "New time", "place": "New place",
           "details": "Details"},
}
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>!|~])")


def _change(before: Event, after: Event, space: Space) -> str | None:
    if after.status != before.status:
        return after.status if after.status != "scheduled" else "restored"
    if after.status == "cancelled":
        return None  # a cancelled event's details no longer matter to anyone
    timing = (before.starts_at, before.ends_at, before.timezone) != (after.starts_at, after.ends_at, after.timezone)
    place = resolve_place(before, space) != resolve_place(after, space)
    if timing and place:
        return "moved"
    if timing:
        return "time"
    if place:
        return "place"
    return None


def change_notice(before: Event, after: Event, *, space: Space, page_url: str) -> str | None:
    """Markdown for the notice of ``before`` → ``after``; None when nothing readers must know changed."""
    change = _change(before, after, space)
    if change is None:
        return None
    language = language_of(space.languages)
    labels = _LABELS.get(language, _LABELS["en"])
    when_where = event_summary(after.starts_at, after.ends_at, after.timezone, resolve_place(after, space).text(),
                               language)
    line = f"{labels[change]}: {_escaped(after.title)} — {_escaped(when_where)}"
    return f"{line}\n\n{labels['details']}: <{page_url}>"


def _escaped(text: str) -> str:
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)
