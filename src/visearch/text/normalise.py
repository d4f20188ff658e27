"""Text normalisation shared by indexing and querying, so both sides agree.

PP-OCR's recogniser often drops spaces (`AX-2040 PRO` comes back as
`AX-2040PRO`), so besides the readable text we index a *compact* form with all
whitespace removed, and queries are compacted the same way.
"""
from __future__ import annotations

import re
import unicodedata

from visearch.text.hangul import fold_jamo

_WHITESPACE = re.compile(r"\s+")
_WORD_RUNS = re.compile(r"[^\W_]+")  # letters and digits of any script
# Separators users type between words; the rest (hyphens, dots) belongs to model numbers.
_QUERY_SPLIT = re.compile(r"[\s,;:!?\"'()\[\]{}<>|/\\]+")


def normalise(text: str) -> str:
    """NFKC (full-width forms → ASCII, halfwidth Hangul → Hangul, NFD → composed syllables), lone jamo as a
    keyboard types them, and single spaces: the one form every stored and queried text takes."""
    return _WHITESPACE.sub(" ", fold_jamo(unicodedata.normalize("NFKC", text))).strip()


def compact(text: str) -> str:
    """Case- and accent-folded text with no whitespace: what both index and query match on.

    Accents are folded because the recogniser often misses them (`développement`
    comes back as `developpement`); users rarely type them either.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return fold_jamo(_WHITESPACE.sub("", unicodedata.normalize("NFC", stripped)).casefold())


def query_terms(text: str, min_length: int = 1) -> list[str]:
    """Split a query into compact terms, keeping order and dropping repeats."""
    terms: list[str] = []
    for raw in _QUERY_SPLIT.split(unicodedata.normalize("NFKC", text)):
        term = compact(raw).strip(".-_")
        if len(term) >= min_length and term not in terms:
            terms.append(term)
    return terms


def grams(text: str) -> list[str]:
    """The one- and two-character pieces of a compact text's letters and digits, each once: what finds a
    two-syllable word (우유) or a one-syllable one (컵) through an index, where trigrams cannot. Pure."""
    found: dict[str, None] = {}
    for run in _WORD_RUNS.findall(text):
        for size in (1, 2):
            for start in range(len(run) - size + 1):
                found[run[start:start + size]] = None
    return list(found)


def short_term(term: str) -> bool:
    """A term under a trigram that the grams index can answer: one or two letters or digits."""
    return 0 < len(term) < 3 and bool(_WORD_RUNS.fullmatch(term))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein: insertions, deletions and substitutions from `a` to `b` (OCR slips, name spellings). Pure."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]
