"""The focus-cam look (포커스캠): the followed person sharp, the stage behind them soft.

Each output picture is cut by the person model around the followed person (their body box, from the face
the camera follows), and the rest is blurred by distance from them, as the portrait blur does a photo.
Where the model finds nobody there (a dancer in a costume it does not know, motion blur), the body box
itself, feathered, is kept sharp: the look stays, and the person is never blurred away.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image

from visearch.cutout.blur import portrait
from visearch.cutout.people import person_alpha
from visearch.fancam.camera import Box, body_box

MIN_FOUND = 0.05  # of the body box: less of the person model's mask there is "nobody found"


def in_tile(face: Box, crop: Box, tile: tuple[int, int]) -> Box:
    """A face box in the source frame, where it lands in the output picture cut from `crop`. Pure."""
    sx, sy = tile[0] / (crop[2] - crop[0]), tile[1] / (crop[3] - crop[1])
    return ((face[0] - crop[0]) * sx, (face[1] - crop[1]) * sy, (face[2] - crop[0]) * sx, (face[3] - crop[1]) * sy)


def box_alpha(box: Sequence[float], size: tuple[int, int], feather: float = 0.08) -> np.ndarray:
    """A box as a soft mask (1 inside, easing to 0 over `feather` of its size): the fallback subject. Pure."""
    width, height = size
    x0, y0, x1, y1 = box
    reach = max(1.0, feather * max(x1 - x0, y1 - y0))
    xs, ys = np.arange(width, dtype=np.float32) + 0.5, np.arange(height, dtype=np.float32) + 0.5
    across = np.clip(np.minimum(xs - x0, x1 - xs) / reach + 1, 0, 1)
    down = np.clip(np.minimum(ys - y0, y1 - ys) / reach + 1, 0, 1)
    return (down[:, None] * across[None, :]).astype(np.float32)


def focus(pixels: np.ndarray, model, face: Box | None, strength: float) -> np.ndarray:
    """One output picture (RGB, uint8) with everyone but the followed person (`face`, in its pixels) blurred;
    unchanged while the person is not on it."""
    if face is None:
        return pixels
    height, width = pixels.shape[:2]
    body = body_box(face, (width, height))
    alpha = person_alpha(pixels, model, body)
    x0, y0, x1, y1 = (round(v) for v in body)
    found = alpha[y0:y1, x0:x1]
    if found.size == 0 or found.mean() < MIN_FOUND:
        alpha = box_alpha(body, (width, height))
    return np.asarray(portrait(Image.fromarray(pixels), alpha, strength))
