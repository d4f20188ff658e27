"""Text normalisation shared by indexing and querying, so both sides agree.

PP-OCR's recogniser often drops spaces (`AX-2040 PRO` comes back as
`AX-2040PRO`), so besides the readable text we index a *compact* form with all
whitespace removed, and queries are compacted the same way.
"""
from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# Separators users type between words; the rest (hyphens, dots) belongs to model numbers.
_QUERY_SPLIT = re.compile(r"[\s,;:!?\"'()\[\]{}<>|/\\]+")


def normalise(text: str) -> str:
    """NFKC (full-width forms → ASCII) and single spaces."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def compact(text: str) -> str:
    """Case- and accent-folded text with no whitespace: what both index and query match on.

    Accents are folded because the recogniser often misses them (`développement`
    comes back as `developpement`); users rarely type them either.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _WHITESPACE.sub("", unicodedata.normalize("NFC", stripped)).casefold()


def query_terms(text: str, min_length: int = 1) -> list[str]:
    """Split a query into compact terms, keeping order and dropping repeats."""
    terms: list[str] = []
    for raw in _QUERY_SPLIT.split(unicodedata.normalize("NFKC", text)):
        term = compact(raw).strip(".-_")
        if len(term) >= min_length and term not in terms:
            terms.append(term)
    return terms
