"""The search box's language: words, which match as prefixes (``konf`` finds ``konferencja``),
and ``"quoted phrases"``, whose words must follow each other.  Every term must match.

The query is folded by the same function as the indexed text (:func:`gallery.search.fold.fold`),
and spelled here for each database: an FTS5 ``MATCH`` expression on SQLite, a ``tsquery`` on
PostgreSQL.  Only folded words reach those spellings (letters and digits), so no operator
of either language can be smuggled in from the search box."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gallery.core.errors import ValidationError
from gallery.search.fold import words

MAX_QUERY_LENGTH = 500
MAX_TERMS = 12
MAX_WORD_LENGTH = 60

_PHRASE_RE = re.compile(r'"([^"]*)"?')


@dataclass(frozen=True)
class Term:
    """One condition: a word matched as a prefix (``phrase`` False, one word), or a phrase."""

    words: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.terms

    def fts5(self) -> str:
        """The FTS5 ``MATCH`` expression (SQLite): ``"konf"* "podpisanie deklaracji"``."""
        parts = [f'"{" ".join(t.words)}"' if t.phrase else f'"{t.words[0]}"*' for t in self.terms]
        return " ".join(parts)

    def tsquery(self) -> str:
        """The ``to_tsquery`` text (PostgreSQL): ``konf:* & (podpisanie <-> deklaracji)``."""
        parts = [f"({' <-> '.join(t.words)})" if t.phrase else f"{t.words[0]}:*" for t in self.terms]
        return " & ".join(parts)

    def matches_word(self, folded_word: str) -> bool:
        """Whether a folded word of a text is (the start of) a word term, for highlighting."""
        return any(not t.phrase and folded_word.startswith(t.words[0]) for t in self.terms)

    @property
    def phrases(self) -> tuple[tuple[str, ...], ...]:
        return tuple(t.words for t in self.terms if t.phrase)


def parse(text: str | None) -> Query:
    """The terms of a search box's text; an empty :class:`Query` for blank text.
    :class:`ValidationError` (422, field ``q``) for a text too long to be a search."""
    text = text or ""
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationError(f"the search text is longer than {MAX_QUERY_LENGTH} characters", field="q")
    terms: list[Term] = []
    seen: set[Term] = set()

    def add(term: Term) -> None:
        if term not in seen:
            seen.add(term)
            terms.append(term)

    position = 0
    for match in _PHRASE_RE.finditer(text):
        for word in words(text[position : match.start()]):
            add(Term((word[:MAX_WORD_LENGTH],)))
        phrase = tuple(word[:MAX_WORD_LENGTH] for word in words(match.group(1)))
        if phrase:  # a quoted word matches whole, not as a prefix
            add(Term(phrase, phrase=True))
        position = match.end()
    for word in words(text[position:]):
        add(Term((word[:MAX_WORD_LENGTH],)))
    if len(terms) > MAX_TERMS:
        raise ValidationError(f"a search takes at most {MAX_TERMS} words or phrases", field="q")
    return Query(terms=tuple(terms))
