"""What a CLIP score means in *this* library: the score unrelated items reach.

For a sample of indexed items, the best score against any item that is not the same file,
the same product or the same video is "how close an unrelated item gets". A lens result is
called similar only above a high quantile of that distribution: below it, the photo is no
closer to the result than unrelated catalogue items are to each other. With a non-semantic
encoder (`tiny`) the quantile is near the top, so "similar" means "near-duplicate".
Computed at index time and stored in the manifest; no number is hard-coded per encoder.
"""
from __future__ import annotations

import numpy as np

SAMPLE = 200
NEIGHBOURS = 24
QUANTILE_SEMANTIC = 0.90
QUANTILE_NON_SEMANTIC = 0.99
RECALIBRATE_GROWTH = 1.25


def floor_from_scores(best_unrelated: np.ndarray, semantic: bool) -> float:
    """The no-match floor: a high quantile of unrelated best-match scores. Pure."""
    if len(best_unrelated) == 0:
        return 1.0  # nothing to compare with: only exact matches count
    quantile = QUANTILE_SEMANTIC if semantic else QUANTILE_NON_SEMANTIC
    return min(1.0, float(np.quantile(np.asarray(best_unrelated, np.float64), quantile)))


def best_unrelated(scores: np.ndarray, ids: np.ndarray, group_of: dict[int, object], item: int) -> float | None:
    """The best score in one neighbour list that belongs to another group than `item`'s. Pure."""
    own = group_of.get(item, ("item", item))
    for score, other in zip(scores, ids):
        if other < 0 or other == item:
            continue
        if group_of.get(int(other), ("item", int(other))) != own:
            return float(score)
    return None


def calibrate(library, rng_seed: int = 0) -> tuple[float, int]:
    """(floor, sample size) measured on the library's own vectors."""
    vectors = library.vectors
    ids = vectors.ids()
    if len(ids) < 3:
        return 1.0, 0
    rng = np.random.default_rng(rng_seed)
    sample = rng.choice(ids, min(SAMPLE, len(ids)), replace=False)
    scores, found = vectors.search(vectors.get(sample.tolist()), min(NEIGHBOURS, len(ids)))
    involved = sorted({int(i) for i in found.ravel() if i >= 0} | {int(i) for i in sample})
    group_of = groups(library, involved)
    best = [best_unrelated(s, f, group_of, int(item)) for s, f, item in zip(scores, found, sample)]
    best = np.asarray([b for b in best if b is not None])
    return floor_from_scores(best, library.manifest.semantic), len(best)


def groups(library, ids: list[int]) -> dict[int, object]:
    """Items that belong together: one product (SKU), one video, one file content."""
    docs = library.docs.get(ids)
    products = library.docs.products_for(ids)
    group_of: dict[int, object] = {}
    for item, doc in docs.items():
        if item in products:
            group_of[item] = ("sku", products[item].sku)
        elif doc.video_id is not None:
            group_of[item] = ("video", doc.video_id)
        else:
            group_of[item] = ("sha", doc.sha256)
    return group_of


def needs_recalibration(count: int, calibrated_on: int) -> bool:
    if calibrated_on <= 0:
        return count >= 3
    return not (1 / RECALIBRATE_GROWTH <= count / calibrated_on <= RECALIBRATE_GROWTH)
