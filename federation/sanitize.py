"""Sanitizing HTML that arrives from other servers.

The allowed set is Mastodon's (``Sanitize::Config::MASTODON_STRICT``): the markup
remote servers actually send for mentions, hashtags and shortened links survives,
everything else (scripts, styles, images, event handlers) is stripped by nh3.
Truncation happens on the sanitized HTML and the result is re-sanitized, so a
cut can never leave an open tag, a split entity or a dangling attribute.
"""

from __future__ import annotations

import re

import nh3

__all__ = ["REMOTE_ALLOWED_CLASSES", "REMOTE_ALLOWED_TAGS", "sanitize_remote_html"]

REMOTE_ALLOWED_TAGS: frozenset[str] = frozenset(
    {"p", "br", "a", "span", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre"}
)
# Microformats and Mastodon's link-shortening classes; any other class is dropped.
REMOTE_ALLOWED_CLASSES: dict[str, frozenset[str]] = {
    "a": frozenset({"mention", "hashtag", "u-url", "h-card", "status-link", "unhandled-link"}),
    "span": frozenset({"h-card", "invisible", "ellipsis"}),
}
_LINK_REL = "nofollow noopener noreferrer"
_URL_SCHEMES = frozenset({"http", "https"})
_ELLIPSIS = "…"
# Markup around remote text is rarely more than a few times the text; cutting the
# raw input first bounds the parser's work on hostile megabyte-sized fields.
_RAW_INPUT_FACTOR = 8
# nh3 leaves class="" when every class was disallowed; "<" in text is always escaped,
# so this only ever matches inside a real tag.
_EMPTY_CLASS_RE = re.compile(r'(<[a-z]+\b[^<>]*?) class=""')


def _clean(html: str) -> str:
    cleaned = nh3.clean(
        html,
        tags=set(REMOTE_ALLOWED_TAGS),
        attributes={"a": {"href"}},  # "class" is governed by allowed_classes
        allowed_classes={tag: set(classes) for tag, classes in REMOTE_ALLOWED_CLASSES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel=_LINK_REL,
        strip_comments=True,
    )
    return _EMPTY_CLASS_RE.sub(r"\1", cleaned)


def _safe_prefix(html: str, length: int) -> str:
    prefix = html[:length]
    # Step back before a tag or an entity the cut would split.
    if prefix.rfind("<") > prefix.rfind(">"):
        prefix = prefix[: prefix.rfind("<")]
    if prefix.rfind("&") > prefix.rfind(";"):
        prefix = prefix[: prefix.rfind("&")]
    return prefix


def sanitize_remote_html(html: str, max_chars: int) -> str:
    """Remote HTML reduced to Mastodon's safe subset, at most ``max_chars`` characters long.

    When it has to be cut, the text ends with "…" and every open element is closed.
    """
    if max_chars <= 0:
        return ""
    cleaned = _clean(html[: max_chars * _RAW_INPUT_FACTOR + 1024])
    if len(cleaned) <= max_chars:
        return cleaned
    cut = max_chars - len(_ELLIPSIS)
    while cut > 0:
        candidate = _clean(_safe_prefix(cleaned, cut) + _ELLIPSIS)
        if len(candidate) <= max_chars:
            return candidate
        # Closing tags added by the re-parse made it longer: cut that much more.
        cut -= max(len(candidate) - max_chars, 1)
    return ""
