"""누끼 for people: the person models' masks, sharpened along their edge by the picture itself.

The selfie model finds everyone near the camera; the detector finds the most prominent person (or the one in
the user's box) and the landmark model adds their whole body, which the selfie model loses at a distance.
Both masks come at 256 × 256, so their edge is soft and a little off. A guided filter (He et al.) takes the edge
from the picture: hair and fingers follow what the photo shows. Pictures are worked on at a bounded size
and the alpha is brought back to the photo's.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image

from visearch.cutout.grabcut import PAD, Cutout
from visearch.errors import N_
from visearch.indexer.errors import InvalidInput

WORK_SIDE = 1600  # px: a larger picture is worked on at this size (a 12-megapixel photo in ~0.3 s)
GUIDE_RADIUS = 0.006  # of the work size's long side: the guided filter's window
GUIDE_EPS = 1e-3
# Where the detector finds nobody, the selfie model's mask must cover this share of the picture to be someone
# close to the camera (a face filling a photo) rather than a speck of a pattern it half recognised.
MIN_UNSEEN_SHARE = 0.01


def person_alpha(pixels: np.ndarray, model, box: Sequence[float] | None = None) -> np.ndarray:
    """The people's alpha (0..1 floats, the picture's size): everyone near the camera by the selfie model, with
    the most prominent person's whole body by the landmark model (sharper on someone far away); within `box`
    (the user's) when given, around the person standing there."""
    height, width = pixels.shape[:2]
    area = (0.0, 0.0, float(width), float(height)) if box is None else grown(box, width, height)
    alpha = model.segment(pixels, area)
    roi = _chosen(model.detect(pixels), box)
    if roi is not None:
        alpha = np.maximum(alpha, model.mask(pixels, roi))
    elif (alpha > 0.5).mean() < MIN_UNSEEN_SHARE:  # a speck nobody was detected at: no one is there
        alpha = np.zeros_like(alpha)
    if box is not None:  # only the person the user pointed at
        x0, y0, x1, y1 = (round(v) for v in area)
        kept = np.zeros_like(alpha)
        kept[y0:y1, x0:x1] = alpha[y0:y1, x0:x1]
        alpha = kept
    return alpha


def grown(box: Sequence[float], width: int, height: int, margin: float = 0.1) -> tuple[float, float, float, float]:
    """A user's box with a margin (a loosely drawn box cuts no hair off), within the picture. Pure."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    return max(0.0, x0 - dx), max(0.0, y0 - dy), min(float(width), x1 + dx), min(float(height), y1 + dy)


def _chosen(people, box) -> tuple[float, float, float, float] | None:
    """The square the landmark model looks at: the detected person whose hips lie in the box (the largest), the
    box itself when nobody detected is in it, or the largest person without a box."""
    if box is None:
        return max(people, key=lambda p: p.radius).box if people else None
    x0, y0, x1, y1 = box
    inside = [p for p in people if x0 <= p.centre[0] <= x1 and y0 <= p.centre[1] <= y1]
    if inside:
        return max(inside, key=lambda p: p.radius).box
    side = max(x1 - x0, y1 - y0) * 1.1  # a person standing in the box: the model sees a square around it
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2


def guided(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """The guided filter: `source` (0..1) smoothed where `guide` (grey, 0..1) is flat, kept sharp along its
    edges. Box filters only. Pure."""
    import cv2

    def mean(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, (2 * radius + 1, 2 * radius + 1))

    mean_g, mean_s = mean(guide), mean(source)
    covariance = mean(guide * source) - mean_g * mean_s
    variance = mean(guide * guide) - mean_g * mean_g
    a = covariance / (variance + eps)
    b = mean_s - a * mean_g
    return np.clip(mean(a) * guide + mean(b), 0.0, 1.0)


def refined(pixels: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The model's soft mask with its edge taken from the picture. Pure."""
    import cv2

    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    radius = max(2, round(GUIDE_RADIUS * max(grey.shape)))
    return guided(grey, alpha.astype(np.float32), radius, GUIDE_EPS)


def cut_person(image: Image.Image, model, *, box: Sequence[float] | None = None,
               background: str | None = None) -> Cutout:
    """The person in `image` (in `box`, when given) as a transparent PNG cropped to them (or on white)."""
    import cv2

    image = image.convert("RGB")
    width, height = image.size
    scale = min(1.0, WORK_SIDE / max(width, height))
    small = image.resize((round(width * scale), round(height * scale)), Image.BILINEAR) if scale < 1 else image
    pixels = np.asarray(small)
    alpha = refined(pixels, person_alpha(pixels, model, None if box is None else [v * scale for v in box]))
    if scale < 1:
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR)
    found = alpha > 0.5
    if not found.any():
        raise InvalidInput(N_("no person found in this picture"), code="no_person")
    ys, xs = np.nonzero(found)
    crop = (max(0, int(xs.min()) - PAD), max(0, int(ys.min()) - PAD), min(width, int(xs.max()) + 1 + PAD),
            min(height, int(ys.max()) + 1 + PAD))
    rgba = np.dstack([np.asarray(image), np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)])
    result = Image.fromarray(rgba[crop[1]:crop[3], crop[0]:crop[2]], "RGBA")
    if background == "white":
        flat = Image.new("RGB", result.size, (255, 255, 255))
        flat.paste(result, mask=result.split()[3])
        result = flat
    return Cutout(result, found, crop)
