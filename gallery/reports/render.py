"""Event reports: Markdown to safe HTML, with ``[album slug]`` shortcodes.

The body is CommonMark (plus tables and strikethrough) rendered by markdown-it-py
and then sanitised by nh3, so whatever an editor (or a pasted document) puts in
it, the page gets inert HTML:

* Allowed: paragraphs, headings, emphasis, lists, quotes, code, tables, links,
  line breaks, rules, ``abbr``/``sup``/``sub``/``del``, figures and images.
  Everything else is stripped; ``script``/``style`` elements go with their
  content; event-handler (``on*``) and ``style`` attributes never survive.
* Links keep only ``http``, ``https``, ``mailto`` and relative URLs (so no
  ``javascript:``/``data:`` links) and always get ``rel="noopener nofollow"``.
* Images: only same-site images (a path starting with ``/``) keep their ``src``;
  images from other sites, protocol-relative sources (``//host``, ``/\\host``) and
  anything with a scheme are dropped.  The pages' Content-Security-Policy would
  block them anyway (``img-src 'self'``), and a report should not make every
  reader's browser call a third party.  Put photos in an album and use the
  ``[album slug]`` shortcode instead.
* Headings move one level down (``#`` becomes ``<h2>``): the report title is the
  page's only ``<h1>``.

A paragraph of its own that is exactly ``[album some-slug]`` is a shortcode: the
rendered report is a list of segments, HTML and album references, and the page
puts an album strip where the reference is (only for albums the visitor may see).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "figcaption",
        "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre", "q",
        "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"lang", "title"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "abbr": set(),
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow"

SHORTCODE_RE = re.compile(r"^\[album\s+([a-z0-9]+(?:-[a-z0-9]+)*)\]$")

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


# What the WHATWG URL parser ignores: ASCII tab and newlines anywhere, C0 controls and
# spaces at either end.  Browsers read "/\t/evil.example" as "//evil.example".
_URL_IGNORED_RE = re.compile(r"[\x00-\x1f\x7f]")


def clean_url(value: str) -> str:
    """A URL as a browser will read it: control characters removed, ends stripped."""
    return _URL_IGNORED_RE.sub("", value).strip(" ")


def _same_site_path(value: str) -> bool:
    """A path on this site: one leading slash, no second slash or backslash after it
    (browsers treat ``\\`` like ``/`` in http(s) URLs, so ``/\\host`` is another host)."""
    return value.startswith("/") and value[1:2] not in ("/", "\\") and "\\" not in value


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("src", "href"):
        value = clean_url(value)
    if tag == "img" and attribute == "src":
        return value if _same_site_path(value) else None
    return value


_IMG_RE = re.compile(r"<img\b[^>]*>")


def _tidy_image(match: re.Match[str]) -> str:
    """Images whose source was dropped go entirely; the rest get an ``alt``."""
    tag = match.group(0)
    if not re.search(r"\ssrc=", tag):
        return ""
    if not re.search(r"\salt=", tag):
        tag = tag[:4] + ' alt=""' + tag[4:]
    return tag


def sanitize(fragment: str) -> str:
    """nh3 with the rules above; its output is normalised HTML (double-quoted
    attributes), which the image tidy-up relies on."""
    return _IMG_RE.sub(_tidy_image, _clean(fragment))


def _clean(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


@dataclass(frozen=True)
class HtmlSegment:
    html: Markup


@dataclass(frozen=True)
class AlbumSegment:
    slug: str


Segment = HtmlSegment | AlbumSegment


@dataclass(frozen=True)
class RenderedReport:
    segments: list[Segment]
    excerpt: str

    @property
    def album_slugs(self) -> list[str]:
        return [s.slug for s in self.segments if isinstance(s, AlbumSegment)]


def _shortcode_at(tokens: list[Token], i: int) -> str | None:
    """The album slug when tokens[i:i+3] is a top-level paragraph holding only a shortcode."""
    if i + 2 >= len(tokens):
        return None
    opening, inline, closing = tokens[i], tokens[i + 1], tokens[i + 2]
    if opening.type != "paragraph_open" or opening.level != 0 or opening.hidden:
        return None
    if inline.type != "inline" or closing.type != "paragraph_close":
        return None
    match = SHORTCODE_RE.match(inline.content.strip())
    return match.group(1) if match else None


def _demote_headings(tokens: list[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1])
            token.tag = f"h{min(6, level + 1)}"


# An album shortcode inside running text (not a paragraph of its own) is not shown as text either.
_SHORTCODE_ANYWHERE_RE = re.compile(r"\[album\s+[^\]\s]*\]")


def _plain_text(fragment: str) -> str:
    text = html.unescape(nh3.clean(fragment, tags=set()))
    return " ".join(_SHORTCODE_ANYWHERE_RE.sub(" ", text).split())


def shorten(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters at a word, without trailing punctuation, with "…"."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:—–-") + "…"


def excerpt(markdown: str, limit: int = 200) -> str:
    """The plain text a report (or any Markdown text) starts with: what feeds and cards show."""
    return render_report(markdown, excerpt_length=limit).excerpt


def render_report(body: str, *, excerpt_length: int = 200) -> RenderedReport:
    """Render a report body into sanitised HTML segments and album references."""
    env: dict[str, Any] = {}
    tokens = _markdown.parse(body or "", env)
    _demote_headings(tokens)
    segments: list[Segment] = []
    chunk: list[Token] = []
    text_parts: list[str] = []

    def flush() -> None:
        if not chunk:
            return
        rendered = sanitize(_markdown.renderer.render(chunk, _markdown.options, env))
        if rendered.strip():
            segments.append(HtmlSegment(Markup(rendered)))
            text_parts.append(rendered)
        chunk.clear()

    i = 0
    while i < len(tokens):
        slug = _shortcode_at(tokens, i)
        if slug is not None:
            flush()
            segments.append(AlbumSegment(slug))
            i += 3
            continue
        chunk.append(tokens[i])
        i += 1
    flush()
    return RenderedReport(segments=segments, excerpt=shorten(_plain_text(" ".join(text_parts)), excerpt_length))
