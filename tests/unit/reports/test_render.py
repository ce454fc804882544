"""Report Markdown: URLs that browsers would read differently from the sanitiser."""

from __future__ import annotations

import re

import pytest

from gallery.reports.render import clean_url, render_report


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
