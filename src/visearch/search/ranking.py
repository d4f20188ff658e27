"""Ranking, fusion and grouping: pure functions over ids and scores, no I/O."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence, TypeVar

from visearch.indexer.records import OcrLine

Id = TypeVar("Id", bound=Hashable)

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[Id]],
    weights: Mapping[str, float] | None = None,
    strengths: Mapping[str, Mapping[Id, float]] | None = None,
    k: int = RRF_K,
) -> list[tuple[Id, float]]:
    """Fuse ranked lists: each list gives weight × strength / (k + rank); ties keep first-seen order.

    RRF needs no score calibration between a cosine similarity and a text
    score, which is exactly the situation of a lens query. Plain RRF forgets
    *how much* better the first hit of a list was than the second; an optional
    per-item strength in [0, 1] (e.g. the share of the query's text an item
    matched) puts that back without mixing score scales across lists.
    """
    scores: dict[Id, float] = {}
    for name, ranking in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        strength = (strengths or {}).get(name, {})
        if weight == 0:
            continue
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight * strength.get(item, 1.0) / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def words_then_votes(shares: Mapping[Id, float], votes: Mapping[Id, float]) -> list[Id]:
    """Items by the share of the query's words they show; among equal shares, by the photo's keypoint votes (a
    brand name read alone ties every product of the brand: the one whose keypoints the photo holds leads).
    Votes never outrank words. Stable: the rest keeps the given order. Pure."""
    return sorted(shares, key=lambda item: (-shares[item], -votes.get(item, 0.0)))


def group_best(ranked: Iterable[tuple[Id, float]], group_of: Mapping[Id, Hashable]) -> list[tuple[Id, float]]:
    """Keep the best-ranked item of each group (e.g. one row per SKU); ungrouped items stay."""
    seen: set = set()
    kept = []
    for item, score in ranked:
        group = group_of.get(item)
        if group is not None:
            if group in seen:
                continue
            seen.add(group)
        kept.append((item, score))
    return kept


@dataclass(frozen=True, slots=True)
class TermMatch:
    term: str
    text: str
    box: tuple[float, float, float, float]


def term_matches(terms: Sequence[str], lines: Sequence[OcrLine]) -> list[TermMatch]:
    """Which query terms each OCR line contains, with the line's box: the "why" of a text hit."""
    return [
        TermMatch(term, line.text, line.bounds)
        for line in lines
        for term in terms
        if term and term in line.compact
    ]


def verified_first(ranked: Sequence[tuple[Id, float]], priority: Mapping[Id, float]) -> list[tuple[Id, float]]:
    """Geometrically verified items lead, highest `priority` first (e.g. their inliers); the rest keep their
    order below them.

    Scores stay non-increasing: verified items are raised to the best score of
    the list, unverified ones are capped just under the weakest verified item.
    Verified items missing from `ranked` (found only by descriptor votes) join too.
    """
    scores = dict(ranked)
    top = max(scores.values(), default=0.0)
    out: list[tuple[Id, float]] = []
    ceiling = float("inf")
    for item in sorted(priority, key=lambda i: -priority[i]):
        ceiling = min(ceiling, max(scores.get(item, 0.0), top))
        out.append((item, ceiling))
    cap = ceiling * 0.999 if priority else float("inf")
    out += [(item, min(score, cap)) for item, score in ranked if item not in priority]
    return out
