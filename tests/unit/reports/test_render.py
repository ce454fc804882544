"""Report Markdown: URLs that browsers would read differently from the sanitiser."""

from __future__ import annotations

import re

import pytest

from gallery.reports.render import clean_url, excerpt, render_report
from tests.unit.web.conftest import REPORT_BODY


def _html(body: str) -> str:
    return "".join(str(s.html) for s in render_report(body).segments if hasattr(s, "html"))


def _srcs(html: str) -> list[str]:
    return re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)


@pytest.mark.parametrize(
    "src",
    [
        "/&#9;/evil.example/x.png",  # a tab that browsers drop: //evil.example
        "/&#10;/evil.example/x.png",
        "/&#13;/evil.example/x.png",
        "&#9;//evil.example/x.png",
        "//evil.example/x.png",
        "/\\evil.example/x.png",  # backslash counts as a slash for http(s)
        "/&#92;evil.example/x.png",
        "\\\\evil.example/x.png",
        "https://evil.example/x.png",
        "HTTPS://evil.example/x.png",
        "java&#9;script:alert(1)",
        "data:image/png;base64,AAAA",
        "/&#127;/evil.example/x.png",
        "/&#x1f;/evil.example/x.png",
    ],
)
def test_foreign_and_protocol_relative_image_sources_are_dropped(src: str) -> None:
    html = _html(f'<p>before <img src="{src}" alt="x"> after</p>')
    assert _srcs(html) == []
    assert "evil.example" not in html
    assert "before" in html and "after" in html


def test_markdown_image_syntax_with_a_tab_entity_is_dropped_too() -> None:
    # markdown-it percent-encodes the tab ("/%09/evil.example/x.png": a path on this
    # site); whatever survives must not read as another host once a browser cleans it.
    html = _html("![x](/&#9;/evil.example/x.png)")
    for src in _srcs(html):
        cleaned = clean_url(src)
        assert cleaned.startswith("/") and cleaned[1:2] not in ("/", "\\"), src


def test_same_site_images_keep_their_source() -> None:
    html = _html('<img src="/media/derivatives/ab/400.jpg" alt="Stage">')
    assert _srcs(html) == ["/media/derivatives/ab/400.jpg"]


def test_control_characters_are_removed_from_link_targets() -> None:
    html = _html('<a href="https://exa&#9;mple.org/a&#10;b">x</a>')
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(not re.search(r"[\x00-\x1f\x7f]", h) for h in hrefs), html


def test_clean_url_follows_what_browsers_strip() -> None:
    assert clean_url(" \t/a\tb\n/c\r ") == "/ab/c"
    assert clean_url("/\x00/x\x7f") == "//x"


def test_render_report_service() -> None:
    rendered = render_report(REPORT_BODY)
    assert rendered.album_slugs == ["public-album", "private-album", "unlisted-album", "no-such-album"]
    assert rendered.excerpt.startswith("Opening day Brussels, 7–8 May 2024. More than 700 delegates met.")
    html = "".join(str(s.html) for s in rendered.segments if hasattr(s, "html"))
    assert "<script" not in html and 'alert("owned")' not in html
    assert not re.search(r"(href|src)=\"?\s*javascript", html) and "onerror" not in html
    assert "[click me](javascript:alert(1))" in html  # a refused Markdown link stays inert text
    quoted = render_report("> [album inside-a-quote]\n\n- [album in-a-list]\n")
    assert quoted.album_slugs == []  # only a paragraph of its own at the top level
    assert render_report("").segments == []
    same_origin = render_report('<img src="/media/derivatives/x/400.jpg" alt="ok"><img src="//evil.example/x.png">')
    html = str(same_origin.segments[0].html)  # type: ignore[union-attr]
    assert html.count("<img") == 1
    assert 'src="/media/derivatives/x/400.jpg"' in html and "evil.example" not in html


# --- the one excerpt (feeds, cards, the report page) ------------------------------------------


def test_excerpt_is_plain_text_and_bounded() -> None:
    assert excerpt("# Title\n\nSome *text* & <script>x</script> [album a-b] end") == "Title Some text & end"
    long = excerpt("word " * 200, limit=50)
    assert len(long) <= 51 and long.endswith("…")


def test_excerpt_cuts_at_a_word_and_drops_trailing_punctuation() -> None:
    assert excerpt("") == ""
    assert excerpt("Short enough.", limit=50) == "Short enough."
    assert excerpt("Brussels, delegates met, and more followed later", limit=20) == "Brussels, delegates…"
    assert excerpt("One — two", limit=6) == "One…"
