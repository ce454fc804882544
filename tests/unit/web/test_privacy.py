"""The /privacy page (gallery/web/privacy.py): public, in Polish and English, says how removal of a
photo works, is linked from the footer of every page, and is a well-formed page."""

from __future__ import annotations

import itertools
import re

import pytest
from flask.testing import FlaskClient

from tests.unit.web.conftest import World, get, outline, page_urls

WORDS = {
    "en": ("editor", "hidden at once", "pending review", "blur", "erase"),
    "pl": ("redaktor", "natychmiast ukryte", "do czasu", "rozmy", "usun"),
}


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_privacy_page_explains_removal_in_both_languages(client: FlaskClient, lang: str) -> None:
    status, html = get(client, "/privacy", lang)
    assert status == 200
    page = outline(html)
    assert page.lang == lang
    assert page.headings.count(1) == 1
    for before, after in itertools.pairwise(page.headings):
        assert after <= before + 1, page.headings
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).lower()
    for word in WORDS[lang]:
        assert word in text, (lang, word)


def test_every_page_links_to_privacy_from_its_footer(client: FlaskClient, world: World) -> None:
    for url in [*page_urls(world), "/privacy", "/login"]:
        status, html = get(client, url)
        assert status == 200, url
        footer = html.split('<footer class="site-footer">', 1)[1].split("</footer>", 1)[0]
        assert 'href="/privacy"' in footer, url
