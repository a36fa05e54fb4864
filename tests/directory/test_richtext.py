from __future__ import annotations

import pytest

from directory.richtext import extract_hashtags, plain_text, render_markdown
from federation.sanitize import sanitize_remote_html


def test_render_markdown__renders_commonmark_basics() -> None:
    html = render_markdown("# Benvenuti\n\nCiao **mondo** e *amici*.\n\n- uno\n- due\n\n> citazione\n\n`x = 1`")
    for fragment in ("<h1>Benvenuti</h1>", "<strong>mondo</strong>", "<em>amici</em>", "<li>uno</li>", "<blockquote>", "<code>x = 1</code>"):
        assert fragment in html


def test_render_markdown__links_get_nofollow_noopener_noreferrer() -> None:
    html = render_markdown("[sito](https://example.org)")
    assert html == '<p><a href="https://example.org" rel="nofollow noopener noreferrer">sito</a></p>'


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "![i](https://example.org/x.png)",
        "<iframe src=https://evil.example></iframe>",
    ],
)
def test_render_markdown__never_emits_active_content(hostile: str) -> None:
    html = render_markdown(hostile)
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert '<a href="javascript' not in html


def test_render_markdown__empty_text_is_empty_html() -> None:
    assert render_markdown("  \n") == ""


def test_plain_text__keeps_text_and_block_breaks() -> None:
    assert plain_text("<p>Ciao &amp; <strong>benvenuti</strong></p><ul><li>uno</li><li>due</li></ul>") == "Ciao & benvenuti\nuno\ndue"


def test_extract_hashtags__prose_only_in_order_without_duplicates() -> None:
    text = "Oggi #Coworking e #caffè_lungo, ancora #coworking.\n\n`#notcode` [l](https://x.org/#frag) https://x.org/#anchor a#b #123"
    assert extract_hashtags(text) == ["Coworking", "caffè_lungo"]


def test_extract_hashtags__ignores_code_blocks_and_overlong_tags() -> None:
    assert extract_hashtags("```\n#inside\n```\n\n#" + "x" * 51 + " #ok") == ["ok"]


MASTODON_MENTION = (
    '<p><span class="h-card"><a href="https://m.example/@ada" class="u-url mention">@<span>ada</span></a></span> '
    'see <a href="https://m.example/tags/espresso" class="mention hashtag" rel="tag">#<span>espresso</span></a> '
    '<a href="https://example.org/a/very/long/path"><span class="invisible">https://</span>'
    '<span class="ellipsis">example.org/a/very</span><span class="invisible">/long/path</span></a></p>'
)


def test_sanitize_remote_html__keeps_mastodon_markup() -> None:
    html = sanitize_remote_html(MASTODON_MENTION, 10_000)
    assert 'class="u-url mention"' in html and 'class="mention hashtag"' in html
    assert '<span class="invisible">https://</span>' in html and '<span class="ellipsis">' in html
    assert 'rel="nofollow noopener noreferrer"' in html


def test_sanitize_remote_html__strips_active_content_and_unknown_classes() -> None:
    html = sanitize_remote_html(
        '<p class="x" style="color:red" onclick="evil()">hi<script>alert(1)</script>'
        '<img src=x onerror=alert(1)><a href="javascript:alert(1)" class="evil">x</a></p>',
        1000,
    )
    assert html == '<p>hi<a rel="nofollow noopener noreferrer">x</a></p>'


@pytest.mark.parametrize("limit", [12, 40, 80, 200])
def test_sanitize_remote_html__truncates_without_breaking_markup(limit: int) -> None:
    html = sanitize_remote_html(MASTODON_MENTION + "<p>" + "&amp;" * 500 + "</p>", limit)
    assert len(html) <= limit
    assert html.endswith("…") or html.endswith(">")
    assert sanitize_remote_html(html, limit) == html  # already clean: no open tag, no split entity


def test_sanitize_remote_html__bounds_huge_input() -> None:
    html = sanitize_remote_html("<p>" + "a" * 10_000_000 + "</p>", 500)
    assert len(html) <= 500 and html.startswith("<p>aaa") and "…" in html
