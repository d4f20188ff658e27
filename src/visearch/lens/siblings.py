"""Finding the catalogue images that share one design, once, when the catalogue is indexed.

Two catalogue images are siblings when one's keypoints verify on the other over a real part of the product
(not just a shared logo): the same carton in another flavour, the long-life pack of the fresh drink. The lens
then weighs a photo against every sibling of the product it verified, so a variant that did not verify on
its own still competes, and one that did is never called exact by default.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from visearch.indexer.local_features import LocalFeatures
from visearch.lens.geometry import verify

CANDIDATES = 8  # images each catalogue image's keypoints vote for most, checked geometrically
MIN_COVERAGE = 0.12  # of the product: a shared logo alone covers less (0.01-0.08 on the grocery catalogue)


def find_siblings(
    items: Iterable[int], features: Callable[[int], LocalFeatures | None],
    vote: Callable[[LocalFeatures, int], list[tuple[int, float]]], sizes: Mapping[int, tuple[int, int]],
    group_of: Mapping[int, str],
) -> list[tuple[int, int, int, float, object]]:
    """(item, sibling, inliers, coverage, homography sibling → item) for each of `items` (catalogue images:
    `group_of` their SKU) and the images of other products that share its design."""
    found = []
    for item in items:
        own = features(item)
        if own is None or not len(own) or item not in group_of:
            continue
        for other, _ in vote(own, CANDIDATES + 1):
            if other == item or other not in group_of or group_of[other] == group_of[item]:
                continue
            theirs = features(other)
            match = verify(own, theirs, sizes[other], sizes[item]) if theirs is not None else None
            if match is not None and match.coverage >= MIN_COVERAGE:
                found.append((item, other, match.inliers, match.coverage, match.homography))
    return found
