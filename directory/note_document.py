"""A space's news post as an AS2 ``Note``, with Mastodon's markup for tags and mentions.

Mastodon links hashtags and mentions only when the HTML carries them as links
(``class="mention hashtag"``, ``class="u-url mention"`` in an ``h-card``) AND the
``tag`` array lists them (``Hashtag``, ``Mention``); a mentioned account is
notified only when it is also addressed (``cc``). So all three are produced here
from the same list of resolved mentions."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from federation.vocab import PUBLIC

from .event_document import OBJECT_CONTEXT, iso_utc
from .richtext import render_markdown

__all__ = ["MENTION_RE", "Mention", "NoteIds", "linked_html", "note_document"]

# @user@host (a port is allowed: plain-http instances on loopback and closed networks).
MENTION_RE = re.compile(r"(?<![\w/@])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})@([A-Za-z0-9.-]+\.?[A-Za-z0-9-]*(?::\d{1,5})?)")
_HASHTAG_RE = re.compile(r"(?<![\w/&#])#(\w*[^\W\d]\w*)")
_TAG_SPLIT_RE = re.compile(r"(<[^>]*>)")
_NO_LINKS_INSIDE = ("a", "code", "pre")


@dataclass(frozen=True, slots=True)
class Mention:
    """A resolved ``@user@host``: the actor it names and where to deliver to it."""

    name: str  # "@user@host" as written (lower-cased host)
    href: str  # the actor id
    url: str  # the profile page a link points to
    inbox: str


@dataclass(frozen=True, slots=True)
class NoteIds:
    id: str
    url: str
    actor_id: str
    followers: str
    profile_url: str


def _link_text(text: str, mentions: dict[str, Mention], profile_url: str, hashtags: list[str]) -> str:
    def mention(match: re.Match[str]) -> str:
        found = mentions.get(f"@{match[1]}@{match[2]}".lower())
        if found is None:
            return match[0]
        return (f'<span class="h-card"><a href="{html.escape(found.url)}" class="u-url mention">'
                f"@<span>{html.escape(match[1])}</span></a></span>")

    def hashtag(match: re.Match[str]) -> str:
        tag = match[1]
        hashtags.append(tag)
        href = f"{profile_url}?tag={quote(tag.lower())}"
        return f'<a href="{html.escape(href)}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'

    return _HASHTAG_RE.sub(hashtag, MENTION_RE.sub(mention, text))


def linked_html(markdown: str, mentions: list[Mention], profile_url: str) -> tuple[str, list[str]]:
    """Sanitized HTML of ``markdown`` with hashtags and resolved mentions as links; and the hashtags."""
    rendered = render_markdown(markdown)
    by_name = {m.name.lower(): m for m in mentions}
    hashtags: list[str] = []
    depth = 0
    pieces = []
    # Only text outside links and code is linked; tags pass through untouched.
    for piece in _TAG_SPLIT_RE.split(rendered):
        if piece.startswith("<"):
            name = piece.strip("</>").split()[0].lower() if piece.strip("</>") else ""
            if name in _NO_LINKS_INSIDE:
                depth += -1 if piece.startswith("</") else 1
            pieces.append(piece)
        else:
            pieces.append(piece if depth > 0 else _link_text(piece, by_name, profile_url, hashtags))
    unique = list({tag.casefold(): tag for tag in reversed(hashtags)}.values())[::-1]
    return "".join(pieces), unique


def note_document(
    *, ids: NoteIds, content_html: str, hashtags: list[str], mentions: list[dict[str, Any]], language: str,
    published: datetime, updated: datetime | None = None, with_context: bool = True,
) -> dict[str, Any]:
    tags: list[dict[str, Any]] = [
        {"type": "Hashtag", "name": f"#{tag}", "href": f"{ids.profile_url}?tag={quote(tag.lower())}"}
        for tag in hashtags
    ]
    tags += [{"type": "Mention", "href": m["href"], "name": m["name"]} for m in mentions]
    document: dict[str, Any] = {
        "id": ids.id,
        "type": "Note",
        "attributedTo": ids.actor_id,
        "content": content_html,
        "contentMap": {language: content_html},
        "url": ids.url,
        "published": iso_utc(published),
        "to": [PUBLIC],
        "cc": [ids.followers, *(m["href"] for m in mentions)],
        "tag": tags,
        "sensitive": False,
    }
    if updated is not None and updated > published:
        # Mastodon shows an edited status only when ``updated`` moves forward.
        document["updated"] = iso_utc(updated)
    if with_context:
        document = {"@context": list(OBJECT_CONTEXT), **document}
    return document
