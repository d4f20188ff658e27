"""Telling variants apart: of catalogue products whose shared design verified on one spot of a photo, which is it?

Geometric verification proves that a design is in the photo, not which variant of it: SIFT reads grey levels,
and the vanilla and the blueberry pot of one brand share every keypoint but their colours. Here each
candidate's catalogue image is brought into one frame (the reference candidate's) through the homographies
that placed them in the photo, and the photo is brought there too. Where the candidates agree, the photo
tells how the shop's light and the phone's white balance changed the colours; where they differ, that mapped
colour decides which candidate the photo shows. Pure: arrays in, a verdict out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

DISAGREE = 18.0  # ΔE (CIELAB) between two candidates' images past which a pixel tells them apart
AGREE = 8.0  # ... and under which it shows what they share (the colour mapping is fitted there)
MIN_DIFFERING = 0.02  # of the reference product's pixels: less, and the candidates look the same here
MIN_SHARED = 0.05  # pixels the colour mapping needs, as a share of the product
ERROR_CAP = 60.0  # ΔE: a pixel hidden by a hand or glare costs every candidate at most this
BLUR = 1.5  # px (at thumbnail scale): forgives the last pixel of misalignment
WHITE = 235  # a studio background: every channel at or above this
FIT_SAMPLE = 4000  # pixels the colour map is fitted on (evenly spread over those given)


@dataclass(frozen=True)
class Candidate:
    item: int
    image: np.ndarray  # the catalogue image (a thumbnail), RGB uint8
    homography: np.ndarray  # 3 × 3: pixels of `image` → pixels of the query photo


@dataclass(frozen=True)
class Verdict:
    """Candidates ranked by how well their colours explain the photo where they differ (error: lower is better)."""

    ranking: list[tuple[int, float]]
    margin: float  # (runner-up's error − best's) / runner-up's: 0 = no difference, 1 = only the best fits
    differing: float  # share of the product where the candidates differ and the photo shows it

    @property
    def best(self) -> int:
        return self.ranking[0][0]


def compare(query: np.ndarray, candidates: Sequence[Candidate]) -> Verdict | None:
    """Rank `candidates` (two or more) by their colours where they differ, pair by pair: the best must explain
    the photo better than each rival it can be laid over (a rival of another shape is none), by the margin
    reported. None when no pair can be compared here (too little of the product is seen)."""
    duels = {}
    for i, a in enumerate(candidates):
        for b in candidates[i + 1:]:
            duels[a.item, b.item] = duel(query, a, b)
    if not any(duels.values()):
        return None
    wins = {c.item: 0 for c in candidates}
    error = {c.item: [] for c in candidates}
    for (a, b), found in duels.items():
        if found is not None:
            (error_a, error_b), _ = found
            wins[a if error_a < error_b else b] += 1
            error[a].append(error_a)
            error[b].append(error_b)
    mean = {item: float(np.mean(e)) if e else ERROR_CAP for item, e in error.items()}
    ranking = sorted(mean, key=lambda item: (-wins[item], mean[item]))
    best = ranking[0]
    margins = []
    for (a, b), found in duels.items():
        if best in (a, b) and found is not None:  # a rival it cannot be laid over (another shape) is no rival
            (error_a, error_b), _ = found
            mine, theirs = (error_a, error_b) if a == best else (error_b, error_a)
            margins.append((theirs - mine) / max(theirs, 1e-6))
    if not margins:
        return None
    differing = max(found[1] for found in duels.values() if found is not None)
    return Verdict([(item, mean[item]) for item in ranking], float(min(margins)), float(differing))


def duel(query: np.ndarray, a: Candidate, b: Candidate) -> tuple[tuple[float, float], float] | None:
    """How badly each of two candidates' colours explains the photo where they differ (ΔE, mapped through the
    light and white balance the photo shows where they agree), and the share of `a` where they differ (a tie
    where they do not); None when they cannot be laid over each other in what the photo shows."""
    import cv2

    height, width = a.image.shape[:2]
    to_a = np.linalg.inv(a.homography)
    photo, seen = _warp(query, to_a, (width, height))
    into = to_a @ b.homography
    b_image, b_inside = _warp(b.image, into, (width, height))
    a_mask = product_mask(a.image).astype(bool)
    b_mask = b_inside & _warp(product_mask(b.image), into, (width, height))[0].astype(bool)
    valid = seen & a_mask & b_mask
    product = a_mask.sum()
    if product == 0 or valid.sum() < MIN_SHARED * product:
        return None
    photo, a_lab, b_lab = _lab(photo, cv2), _lab(a.image, cv2), _lab(b_image, cv2)
    spread = np.linalg.norm(a_lab - b_lab, axis=-1)
    differ, shared = valid & (spread > DISAGREE), valid & (spread < AGREE)
    if shared.sum() < MIN_SHARED * product:
        return None
    if differ.sum() < MIN_DIFFERING * product:
        return (0.0, 0.0), 0.0  # the same where the photo shows them: a tie
    gain, offset = fit_colour_map((a_lab[shared] + b_lab[shared]) / 2, photo[shared])
    errors = tuple(float(np.minimum(np.linalg.norm(photo[differ] - (image[differ] * gain + offset), axis=-1),
                                    ERROR_CAP).mean()) for image in (a_lab, b_lab))
    return errors, float(differ.sum() / product)


def fit_colour_map(template: np.ndarray, photo: np.ndarray, rounds: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel gain and offset taking catalogue colours to the photo's (N × 3 Lab each), by least squares
    that drops the worst-fitting fifth each round (glare, a thumb). Pure."""
    if len(template) > FIT_SAMPLE:  # a map of three gains and offsets needs no more pixels than this
        step = len(template) // FIT_SAMPLE + 1
        template, photo = template[::step], photo[::step]
    keep = np.ones(len(template), bool)
    gain, offset = np.ones(3), np.zeros(3)
    for _ in range(rounds):
        for channel in range(3):
            x, y = template[keep, channel], photo[keep, channel]
            variance = x.var()
            gain[channel] = np.clip(((x - x.mean()) * (y - y.mean())).mean() / variance, 0.3, 3.0) if variance > 1e-3 \
                else 1.0
            offset[channel] = y.mean() - gain[channel] * x.mean()
        residual = np.linalg.norm(photo - (template * gain + offset), axis=-1)
        keep = residual <= np.quantile(residual, 0.8)
    return gain, offset


def product_mask(image: np.ndarray) -> np.ndarray:
    """The product in a studio shot: everything inside the outline of what is not white background. A photo
    without a white background is all product."""
    import cv2

    ink = (np.asarray(image)[..., :3] < WHITE).any(axis=-1).astype(np.uint8)
    ink = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    mask = np.zeros_like(ink)
    cv2.drawContours(mask, contours, -1, 1, thickness=cv2.FILLED)
    mask = cv2.erode(mask, np.ones((5, 5), np.uint8))  # the edge is where alignment is worst
    return mask if mask.sum() > 0.05 * mask.size else np.ones_like(ink)


def _warp(image: np.ndarray, homography: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """`image` seen through `homography` on a `size` canvas, and which canvas pixels it covers."""
    import cv2

    warped = cv2.warpPerspective(np.ascontiguousarray(image), homography, size, flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    inside = cv2.warpPerspective(np.ones(image.shape[:2], np.uint8), homography, size, flags=cv2.INTER_NEAREST,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return warped, inside.astype(bool)


def _lab(image: np.ndarray, cv2) -> np.ndarray:
    rgb = cv2.GaussianBlur(image.astype(np.float32) / 255.0, (0, 0), BLUR)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)


def fit(query: np.ndarray, candidate: Candidate) -> float | None:
    """How well one candidate's colours explain the photo over the whole product, once mapped through the light
    the photo shows (ΔE, the mean of the best-fitting four fifths of its pixels: a thumb or glare may hide the
    rest). A design verified in colours the catalogue does not have (a variant missing from it) fits worse.
    None when too little of it is seen."""
    import cv2

    height, width = candidate.image.shape[:2]
    photo, seen = _warp(query, np.linalg.inv(candidate.homography), (width, height))
    mask = product_mask(candidate.image).astype(bool)
    valid = seen & mask
    if valid.sum() < max(MIN_SHARED * mask.sum(), 50):
        return None
    template, photo = _lab(candidate.image, cv2)[valid], _lab(photo, cv2)[valid]
    gain, offset = fit_colour_map(template, photo)
    residual = np.minimum(np.linalg.norm(photo - (template * gain + offset), axis=-1), ERROR_CAP)
    return float(np.sort(residual)[: max(1, int(0.8 * len(residual)))].mean())
