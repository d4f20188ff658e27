"""Full-text search in the embedded store: what finds a model number, a Chinese line, and Korean as typed.

Three FTS5 tables, kept in step by `refresh_text`:
  * `item_text` (trigram): OCR and catalogue text, readable and compact; any substring of 3+ characters;
  * `item_grams` (one token per character and per pair): a two-syllable word (우유) or one syllable (컵),
    which trigrams cannot match, by index instead of a scan;
  * `item_hangul` (trigram): the initial consonants (ㅅㅇㅇㅇ for 서울우유) and the jamo (ㅅㅓㅇㅜㄹ…) of
    Hangul text, for 초성 queries and for matching past one OCR slip.
Results are ranked by `visearch.text.matching` on the compact text, ties in the engine's relevance order (BM25).
"""
from __future__ import annotations

import json
import sqlite3
from typing import Sequence

from visearch.text.hangul import has_hangul, initials, jamo, jamo_pieces, slip_terms
from visearch.text.normalise import compact, grams, short_term
from visearch.storage.codec import chunks
from visearch.storage.documents import TextHit
from visearch.text.matching import rank_near_misses, rank_text_matches
from visearch.storage.sqlite.browse import like_pattern
from visearch.storage.sqlite.database import MAX_PARAMETERS


def refresh_text(db: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Rebuild the full-text rows of items from their OCR lines and catalogue products."""
    for chunk in chunks(list(ids), MAX_PARAMETERS):
        marks = ",".join("?" * len(chunk))
        for table in ("item_text", "item_grams", "item_hangul"):
            db.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", chunk)
        ocr = {i: [] for i in chunk}
        for row in db.execute(
            f"SELECT item_id, text FROM ocr_lines WHERE item_id IN ({marks}) ORDER BY item_id, line_no", chunk
        ):
            ocr[row[0]].append(row[1])
        catalog = {i: [] for i in chunk}
        for row in db.execute(
            f"SELECT items.id, p.sku, p.title, p.brand, p.category, p.aliases, p.details FROM items "
            f"JOIN product_images pi ON pi.path = items.path JOIN products p ON p.sku = pi.sku "
            f"WHERE items.id IN ({marks})",
            chunk,
        ):
            details = [str(value) for _, value in json.loads(row[6] or "[]")]
            catalog[row[0]] += [value for value in row[1:6] if value] + details
        texts = [i for i in chunk if ocr[i] or catalog[i]]
        db.executemany(
            "INSERT INTO item_text (rowid, ocr, ocr_compact, catalog, catalog_compact) VALUES (?, ?, ?, ?, ?)",
            [(i, "\n".join(ocr[i]), "\n".join(map(compact, ocr[i])), "\n".join(catalog[i]),
              "\n".join(map(compact, catalog[i]))) for i in texts])
        whole = {i: "\n".join(map(compact, ocr[i] + catalog[i])) for i in texts}
        db.executemany("INSERT INTO item_grams (rowid, grams) VALUES (?, ?)",
                       [(i, " ".join(grams(whole[i]))) for i in texts])
        db.executemany("INSERT INTO item_hangul (rowid, initials, jamo) VALUES (?, ?, ?)",
                       [(i, initials(whole[i]), jamo(whole[i])) for i in texts if has_hangul(whole[i])])


def text_search(db: sqlite3.Connection, terms: Sequence[str], limit: int) -> list[TextHit]:
    """Items whose compact OCR or catalogue text contains the terms, best first."""
    terms = [t for t in dict.fromkeys(compact(t) for t in terms) if t]
    if not terms or limit <= 0:
        return []
    candidates: dict[int, None] = {}  # in relevance order (bm25), which breaks ties in the ranking
    long_terms = [t for t in terms if len(t) >= 3]
    if long_terms:
        candidates.update(_match(db, "item_text", " OR ".join(map(_quoted, long_terms)), limit * 20))
    short = [t for t in terms if short_term(t)]
    if short:
        candidates.update(_match(db, "item_grams", " OR ".join(map(_quoted, short)), limit * 20))
    for term in (t for t in terms if len(t) < 3 and not short_term(t)):  # a dash or a dot: scan
        pattern = like_pattern(term)
        candidates.update((row[0], None) for row in db.execute(
            "SELECT rowid FROM item_text WHERE ocr_compact LIKE ? ESCAPE '\\' OR catalog_compact LIKE ? ESCAPE '\\' "
            "LIMIT ?", (pattern, pattern, limit * 20)))
    texts = compact_texts(db, list(candidates))
    return [TextHit(i, s, t) for i, s, t in rank_text_matches(terms, texts)[:limit]]


def initials_search(db: sqlite3.Connection, letters: str, limit: int) -> list[TextHit]:
    """Items whose Hangul text starts its syllables with these consonants (ㅅㅇㅇㅇ: 서울우유), best first."""
    letters = compact(letters)
    if not letters or limit <= 0:
        return []
    if len(letters) >= 3:
        found = _match(db, "item_hangul", "initials : " + _quoted(letters), limit)
    else:
        found = {row[0]: None for row in db.execute(
            "SELECT rowid FROM item_hangul WHERE initials LIKE ? ESCAPE '\\' LIMIT ?", (like_pattern(letters), limit))}
    return [TextHit(item, 1.0, (letters,)) for item in found]


def near_search(db: sqlite3.Connection, terms: Sequence[str], limit: int) -> list[TextHit]:
    """Items showing a Hangul term with one syllable off by one jamo (an OCR slip: 서울우요 for 서울우유);
    scored below an exact match of the same share."""
    terms = slip_terms(compact(t) for t in terms)
    pieces = jamo_pieces(terms)
    if not pieces or limit <= 0:
        return []
    found = _match(db, "item_hangul", "jamo : (" + " OR ".join(map(_quoted, pieces)) + ")", limit * 20)
    return [TextHit(i, s, t) for i, s, t in rank_near_misses(terms, compact_texts(db, list(found)))[:limit]]


def compact_texts(db: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """Each item's compact OCR and catalogue text, in the order of `ids`."""
    texts = {}
    for chunk in chunks(ids, MAX_PARAMETERS):
        marks = ",".join("?" * len(chunk))
        for row in db.execute(f"SELECT rowid, ocr_compact, catalog_compact FROM item_text WHERE rowid IN ({marks})",
                              chunk):
            texts[row[0]] = row[1] + "\n" + row[2]
    return {item: texts[item] for item in ids if item in texts}


def _match(db: sqlite3.Connection, table: str, query: str, limit: int) -> dict[int, None]:
    rows = db.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY bm25({table}), rowid LIMIT ?",
                      (query, limit))
    return {row[0]: None for row in rows}


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fill_missing(db: sqlite3.Connection) -> int:
    """Fill the grams and Hangul forms of items indexed before they existed (a library from an older schema)."""
    ids = [row[0] for row in db.execute("SELECT rowid FROM item_text WHERE rowid NOT IN (SELECT rowid FROM item_grams)")]
    refresh_text(db, ids)
    return len(ids)
