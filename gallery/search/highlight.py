"""A caption as search results show it: HTML-escaped, the words that matched in ``<mark>``.

The caption's words are folded one by one (:func:`gallery.search.fold.words`), so ``Żółw``
is marked for ``zolw`` exactly as the index found it; everything else is escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

from gallery.search.fold import WORD_RE, folded_text
from gallery.search.query import Query


def highlight(text: str, query: Query) -> Markup:
    """``text`` escaped, with each word a word term matches as a prefix, and each run of words
    a phrase matches, wrapped in ``<mark>``."""
    spans = [(m.start(), m.end(), folded_text(m.group())) for m in WORD_RE.finditer(text)]
    marked = [False] * len(spans)
    for i, (_start, _end, folded) in enumerate(spans):
        if folded and any(query.matches_word(part) for part in folded.split()):
            marked[i] = True
    folded_words = [folded for _start, _end, folded in spans]
    for phrase in query.phrases:
        size = len(phrase)
        for i in range(len(spans) - size + 1):
            if tuple(folded_words[i : i + size]) == phrase:
                marked[i : i + size] = [True] * size
    out: list[str] = []
    position = 0
    i = 0
    while i < len(spans):
        if not marked[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(spans) and marked[j + 1] and phrase_gap(text, spans[j][1], spans[j + 1][0]):
            j += 1
        out.append(str(escape(text[position : spans[i][0]])))
        out.append(f"<mark>{escape(text[spans[i][0] : spans[j][1]])}</mark>")
        position = spans[j][1]
        i = j + 1
    out.append(str(escape(text[position:])))
    return Markup("".join(out))


def phrase_gap(text: str, end: int, start: int) -> bool:
    """Whether two marked words are close enough to share one ``<mark>``: only spaces between."""
    return text[end:start].isspace()
