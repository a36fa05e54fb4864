"""WebFinger (RFC 7033) as Mastodon uses it: documents for our actors, and
the parsing of `acct:` handles and of remote answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import InvalidActivity
from .vocab import ACTIVITY_JSON

__all__ = ["Handle", "parse_handle", "webfinger_document", "self_link_of"]

_HANDLE_RE = re.compile(r"^@?(?P<user>[^@\s/]+)@(?P<host>[A-Za-z0-9.\-]+(?::\d{1,5})?|\[[0-9a-fA-F:.]+\](?::\d{1,5})?)$")


@dataclass(frozen=True)
class Handle:
    username: str
    host: str

    def __str__(self) -> str:
        return f"@{self.username}@{self.host}"

    @property
    def resource(self) -> str:
        return f"acct:{self.username}@{self.host}"


def parse_handle(text: str) -> Handle | None:
    """`@user@host`, `user@host` or `acct:user@host`, else None."""
    value = text.strip()
    if value.startswith("acct:"):
        value = value[len("acct:") :]
    match = _HANDLE_RE.match(value)
    if match is None:
        return None
    return Handle(match["user"], match["host"].lower())


def webfinger_document(*, subject: str, actor_id: str, profile_url: str, aliases: list[str]) -> dict[str, Any]:
    return {
        "subject": subject,
        "aliases": aliases,
        "links": [
            {"rel": "self", "type": ACTIVITY_JSON, "href": actor_id},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url},
        ],
    }


def self_link_of(document: dict[str, Any]) -> str:
    """The ActivityPub actor URL of a WebFinger answer."""
    links = document.get("links")
    if isinstance(links, list):
        for link in links:
            if not isinstance(link, dict) or link.get("rel") != "self":
                continue
            media_type = str(link.get("type", ""))
            href = link.get("href")
            if isinstance(href, str) and ("activity+json" in media_type or "ld+json" in media_type):
                return href
    raise InvalidActivity("the WebFinger answer has no self link of type application/activity+json")
