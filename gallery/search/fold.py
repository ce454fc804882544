"""THE folding of searchable text: the indexed text and the query go through the same function.

Lower case, and diacritics folded both ways: ``żółw`` and ``ZOLW`` are both ``zolw``, ``Łódź``
and ``lodz`` both ``lodz``.  Unicode decomposition (NFKD) strips combining marks, but letters
such as ``ł``, ``ø``, ``đ`` or ``ß`` have no decomposition: they are mapped by hand (SQLite's
FTS5 ``remove_diacritics`` leaves ``ł`` alone, which is why Gallery folds text itself)."""

from __future__ import annotations

import re
import unicodedata

# Letters that NFKD leaves whole, and their plain forms (lower case; folding lowers first).
_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ı": "i",
        "ŀ": "l",
        "ŧ": "t",
        "þ": "th",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ĸ": "k",
    }
)

#: What a word is made of, once folded: letters and digits (of any script).
WORD_RE = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """``text`` in lower case with diacritics removed (``Łódź Żółw`` → ``lodz zolw``)."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered  # nothing to fold: most captions' words, and about half the time of a rebuild
    lowered = lowered.translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).translate(_LETTERS)


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (punctuation separates words)."""
    return WORD_RE.findall(fold(text))


def folded_text(*parts: str) -> str:
    """Searchable text of a document: its parts folded, as words separated by single spaces.

    A part whose words another part already holds, in the same order, is left out: alt text that
    repeats the caption, a credit the caption already names, the event's title inside the album's,
    a camera make inside its model.  It would add no word and no phrase that the document does
    not already match -- only count the same words twice.  Ranking counts occurrences, so such a
    photo would outrank another merely for saying its caption twice, and a broad word would put
    most photos above the minimum rank, where every one of them must be ranked (see
    :mod:`gallery.search.ranking`).  Of two equal parts the first stays."""
    folded = [" ".join(found) for found in (words(part) for part in parts if part) if found]
    padded = [f" {text} " for text in folded]

    def repeated(i: int) -> bool:
        # in a longer part, or in an equal part before it: a chain of such parts ends at one kept
        return any(
            j != i and padded[i] in padded[j] and (len(padded[j]) > len(padded[i]) or j < i) for j in range(len(padded))
        )

    return " ".join(text for i, text in enumerate(folded) if not repeated(i))
