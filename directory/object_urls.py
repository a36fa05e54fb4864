"""Where a space's events and news live: AS2 ids, HTML pages and feeds.

Built in one place (on top of ``LocalUrls``) so the routes that serve them and the
documents that name them agree. An object's id answers JSON to peers and HTML to
browsers; ``page`` is the HTML address put in ``url``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from federation.urls import LocalUrls

__all__ = ["ObjectUrls"]


@dataclass(frozen=True)
class ObjectUrls:
    urls: LocalUrls

    def event_id(self, username: str, event_id: int) -> str:
        return f"{self.urls.actor(username)}/events/{event_id}"

    def event_page(self, username: str, event_id: int) -> str:
        return f"{self.urls.profile(username)}/events/{event_id}"

    def event_ics(self, username: str, event_id: int) -> str:
        return f"{self.event_page(username, event_id)}.ics"

    def note_id(self, username: str, note_id: int) -> str:
        return f"{self.urls.actor(username)}/notes/{note_id}"

    def note_page(self, username: str, note_id: int) -> str:
        return f"{self.urls.profile(username)}/notes/{note_id}"

    def calendar(self, username: str) -> str:
        return f"{self.urls.profile(username)}/events.ics"

    def atom_feed(self, username: str) -> str:
        return f"{self.urls.profile(username)}/feed.atom"

    def tag(self, name: str) -> str:
        return f"{self.urls.base_url}/tags/{quote(name.lower())}"
