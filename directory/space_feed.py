"""An Atom feed (RFC 4287) of a space's events and news, written with the stdlib.

Entry ids are the objects' AS2 ids (stable), so feed readers recognise an event
they already have when it is updated or cancelled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.etree import ElementTree as ET

__all__ = ["FeedEntry", "atom_feed"]

ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    title: str
    url: str
    published: datetime
    updated: datetime
    content_html: str
    summary: str | None = None
    categories: tuple[str, ...] = ()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def atom_feed(*, feed_id: str, title: str, self_url: str, page_url: str, author: str,
              entries: Iterable[FeedEntry], fallback_updated: datetime) -> bytes:
    ordered = sorted(entries, key=lambda entry: entry.updated, reverse=True)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _add(feed, "id", feed_id)
    _add(feed, "title", title)
    _add(feed, "updated", _stamp(ordered[0].updated if ordered else fallback_updated))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    _add(_add(feed, "author"), "name", author)
    _add(feed, "generator", "Espresso")
    for item in ordered:
        entry = _add(feed, "entry")
        _add(entry, "id", item.id)
        _add(entry, "title", item.title)
        _add(entry, "link", rel="alternate", type="text/html", href=item.url)
        _add(entry, "published", _stamp(item.published))
        _add(entry, "updated", _stamp(item.updated))
        if item.summary:
            _add(entry, "summary", item.summary)
        # Escaped HTML (type="html"): the sanitized fragment needs no XHTML well-formedness.
        _add(entry, "content", item.content_html, type="html")
        for category in item.categories:
            _add(entry, "category", term=category)
    # encoding="unicode" (typed as str, unlike "utf-8"), then encoded: the same bytes, no declaration.
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode").encode("utf-8")
