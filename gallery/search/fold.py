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
    lowered = text.casefold().translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).translate(_LETTERS)


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (punctuation separates words)."""
    return WORD_RE.findall(fold(text))


def folded_text(*parts: str) -> str:
    """Searchable text of a document: its parts folded, as words separated by single spaces."""
    return " ".join(word for part in parts if part for word in words(part))
