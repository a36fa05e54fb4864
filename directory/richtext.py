"""Markdown written by space managers, turned into the HTML we publish.

CommonMark with raw HTML disabled, then nh3 (ammonia) as the real gate: whatever
the Markdown parser lets through, only the allowed tags and ``http(s)``/``mailto``
links reach the page or the fediverse. Links get ``rel="nofollow noopener noreferrer"``
so spaces do not pass search-engine credit to arbitrary sites.
"""

from __future__ import annotations

import html as html_lib
import importlib.util
import re
from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["ALLOWED_TAGS", "LINK_REL", "extract_hashtags", "plain_text", "render_markdown"]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {"p", "br", "a", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h1", "h2", "h3", "h4"}
)
LINK_REL = "nofollow noopener noreferrer"
_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Mastodon's rule: a hashtag is word characters with at least one letter or "_",
# not glued to a preceding word, URL path or entity.
_HASHTAG_RE = re.compile(r"(?<![\w/&#])#(\w*[^\W\d]\w*)")
_MAX_HASHTAG_LENGTH = 50
_BLOCK_END_RE = re.compile(r"(?i)<br\s*/?>|</(p|li|h[1-6]|blockquote|pre|ul|ol)>")


def _parser() -> MarkdownIt:
    # linkify needs linkify-it-py, which is not a dependency: enable it only if present.
    linkify = importlib.util.find_spec("linkify_it") is not None
    parser = MarkdownIt("commonmark", {"html": False, "linkify": linkify, "typographer": False})
    if linkify:
        parser.enable("linkify")
    return parser


def render_markdown(text: str) -> str:
    """Safe HTML for a manager's Markdown (``""`` for empty text)."""
    if not text.strip():
        return ""
    rendered = _parser().render(text)
    return nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}},
        url_schemes=set(_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def plain_text(html: str) -> str:
    """The text of an HTML fragment, blocks separated by newlines, entities decoded."""
    with_breaks = _BLOCK_END_RE.sub("\n", html)
    text = html_lib.unescape(nh3.clean(with_breaks, tags=set(), strip_comments=True))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _text_tokens(tokens: Iterable[Token]) -> Iterable[str]:
    # Only prose: code spans, code blocks and link targets are not hashtags.
    for token in tokens:
        if token.type == "inline" and token.children:
            yield from _text_tokens(token.children)
        elif token.type == "text":
            yield token.content


def extract_hashtags(markdown: str) -> list[str]:
    """Hashtags in the prose of a Markdown text, without ``#``, first spelling kept, in order."""
    found: dict[str, str] = {}
    for text in _text_tokens(_parser().parse(markdown)):
        for match in _HASHTAG_RE.finditer(text):
            tag = match[1]
            if len(tag) <= _MAX_HASHTAG_LENGTH:
                found.setdefault(tag.casefold(), tag)
    return list(found.values())
