"""Where each verified product sits in the photo, which spot the photo is about, and where variants compete.

A shopper holds one product up to the phone; the shelf behind it verifies too. Products whose outlines
overlap share a *spot*: they compete there (variants of one design verify on each other's spot). Spots are
ranked by how much they are the subject: the largest verified area, nearest the centre, sharpest. Pure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import numpy as np

from visearch.indexer.tracking import box_iou
from visearch.lens.geometry import Verification

SAME_SPOT_IOU = 0.4  # outlines overlapping this much show one product
SAME_SPOT_INSIDE = 0.7  # ... or one lies this much inside the other (a logo's fit inside the package's)


@dataclass(frozen=True)
class Standing:
    """A verified item's place in the answer."""

    spot: int  # 0: the spot the photo is about; 1, 2, …: other products also in the photo
    rank: int  # 0: the variant the spot shows (or, unsure, the likeliest); 1, 2, …: its rivals
    sure: bool  # the evidence tells it from its rivals, or it has none
    rivals: int = 1  # the variants weighed on its spot (1: none)
    margin: float | None = None  # the appearance margin that decided (lens/variants.py)
    via: int | None = None  # a sibling placed through this verified item's design, not verified itself
    fit: float | None = None  # the chosen one: how far its colours are from the photo's (lens/variants.py `fit`)


def group_spots(verified: Mapping[int, Verification], group_of: Mapping[int, Hashable]) -> list[list[int]]:
    """Verified items clustered by overlapping outlines, each cluster best first (inliers), one item per group
    (SKU) in it; items outside `group_of` (not catalogue products) are left out. Pure."""
    items = sorted((i for i in verified if i in group_of), key=lambda i: (-verified[i].inliers, i))
    spots: list[list[int]] = []
    for item in items:
        home = next((spot for spot in spots if any(overlap(verified[item].box, verified[o].box) for o in spot)), None)
        if home is None:
            spots.append([item])
        elif group_of[item] not in {group_of[o] for o in home}:
            home.append(item)
    return spots


def overlap(a: Sequence[float], b: Sequence[float]) -> bool:
    """Two boxes show one thing: they overlap enough, or one lies mostly inside the other. Pure."""
    if box_iou(a, b) >= SAME_SPOT_IOU:
        return True
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return smaller > 0 and inter / smaller >= SAME_SPOT_INSIDE


def prominence(verification: Verification, size: tuple[int, int], sharpness: float = 1.0) -> float:
    """How much a verified product is the photo's subject: the share of the photo its outline covers, less
    the farther its centre lies from the photo's, times how sharp it is (1 when unknown). Pure."""
    width, height = max(size[0], 1), max(size[1], 1)
    x0, y0, x1, y1 = verification.box
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0) / (width * height)
    off_centre = np.hypot(((x0 + x1) / 2 - width / 2) / width, ((y0 + y1) / 2 - height / 2) / height) / np.hypot(.5, .5)
    return float(area * (1.0 - 0.5 * off_centre) * sharpness)


def order_spots(spots: list[list[int]], weight: Mapping[int, float]) -> list[list[int]]:
    """The spots, the photo's subject first (by its best item's weight, e.g. `prominence`). Pure."""
    return sorted(spots, key=lambda spot: -weight[spot[0]])


def standings(spots: Sequence[Sequence[int]], decided: Mapping[int, tuple[list[int], float | None, bool, int]]
              ) -> dict[int, Standing]:
    """Each item's standing, from the spots (subject first) and the decision taken on each (`decided[first
    item]`: items best first, the margin, sure or not, how many of them were rivals). Pure."""
    out: dict[int, Standing] = {}
    for number, spot in enumerate(spots):
        order, margin, sure, rivals = decided.get(spot[0], (list(spot), None, len(spot) == 1, len(spot)))
        for rank, item in enumerate(order):
            out[item] = Standing(number, rank, sure, rivals, margin)
    return out
