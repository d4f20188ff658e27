"""Ranking items by the query text they show: pure functions over compact texts, shared by both stores."""
from __future__ import annotations

from typing import Mapping, Sequence

from visearch.text.hangul import near_miss

NEAR_MISS_WEIGHT = 0.8  # a match past one OCR slip (one jamo) scores below an exact match of the same share


def rank_text_matches(
    terms: Sequence[str], texts: Mapping[int, str]
) -> list[tuple[int, float, tuple[str, ...]]]:
    """Rank items by how much of the query their compact text contains.

    The score is the matched share of the query's characters, so an item that
    shows the model number `ax-2040` outranks one that only says `air`. Ties
    keep the caller's order (the full-text engine's relevance).
    """
    total = sum(len(t) for t in terms) or 1
    ranked = []
    for item_id, text in texts.items():
        matched = tuple(t for t in terms if t in text)
        if matched:
            ranked.append((item_id, sum(len(t) for t in matched) / total, matched))
    ranked.sort(key=lambda hit: -hit[1])
    return ranked


def rank_near_misses(terms: Sequence[str], texts: Mapping[int, str]) -> list[tuple[int, float, tuple[str, ...]]]:
    """Items showing Hangul terms with one syllable off by one jamo (an OCR slip), scored as
    `rank_text_matches` would score them exactly, times NEAR_MISS_WEIGHT. Best first; ties keep order."""
    total = sum(len(t) for t in terms) or 1
    ranked = []
    for item_id, text in texts.items():
        near = tuple(t for t in terms if near_miss(t, text))
        if near:
            ranked.append((item_id, NEAR_MISS_WEIGHT * sum(len(t) for t in near) / total, near))
    ranked.sort(key=lambda hit: -hit[1])
    return ranked
