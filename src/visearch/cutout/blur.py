"""The depth camera's portrait mode without a depth camera: the subject sharp, the background softer the
farther it lies from them.

The subject's mask is the depth proxy: a background pixel's distance from it (in shares of the subject's
size) picks its blur, from a light one beside the subject to the full strength far away. The background is
blurred without the subject in it (a normalised convolution), so no halo of the subject's colours spreads
around them. The blurs run at a quarter of the photo's size: a 12-megapixel photo takes well under a second.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from visearch.defaults import BLUR_STRENGTH

MAX_SIGMA = 0.03  # of the photo's long side: the blur far from the subject at strength 1
WORK_SHARE = 0.25  # the blurs' resolution, of the photo's
LEVELS = 3  # blur steps, blended by distance
REACH = 0.5  # of the subject's size: the distance past which the blur is at its strongest


def portrait(image: Image.Image, alpha: np.ndarray, strength: float = BLUR_STRENGTH) -> Image.Image:
    """`image` with everything but the subject (`alpha`, 0..1 at the image's size) blurred by distance."""
    import cv2

    strength = float(np.clip(strength, 0.0, 1.0))
    pixels = np.asarray(image.convert("RGB"))
    height, width = pixels.shape[:2]
    alpha = alpha.astype(np.float32, copy=False)  # 0..1, the subject's share of each pixel
    if strength == 0 or alpha.max() <= 0:
        return image.convert("RGB")
    small_size = (max(8, round(width * WORK_SHARE)), max(8, round(height * WORK_SHARE)))
    small = cv2.resize(pixels, small_size, interpolation=cv2.INTER_AREA).astype(np.float32)
    keep = 1.0 - np.clip(cv2.resize(alpha, small_size, interpolation=cv2.INTER_AREA), 0.0, 1.0)
    layers = [_background_blur(small, keep, strength * MAX_SIGMA * max(small_size) * (level + 1) / LEVELS)
              for level in range(LEVELS)]
    blurred = np.clip(_blend(layers, _distance(alpha, small_size)) + 0.5, 0, 255).astype(np.uint8)
    blurred = cv2.resize(blurred, (width, height), interpolation=cv2.INTER_LINEAR)
    # the subject over its blurred surroundings, in uint8 (a 12-megapixel photo: no float copy of it)
    return Image.fromarray(cv2.blendLinear(np.ascontiguousarray(pixels), blurred, alpha, 1.0 - alpha))


def _background_blur(pixels: np.ndarray, keep: np.ndarray, sigma: float) -> np.ndarray:
    """The background blurred from background pixels only (normalised convolution): no halo. Pure."""
    import cv2

    weighted = cv2.GaussianBlur(pixels * keep[..., None], (0, 0), sigma)
    weight = cv2.GaussianBlur(keep, (0, 0), sigma)[..., None]
    fallback = cv2.GaussianBlur(pixels, (0, 0), sigma)  # deep inside the subject, where no background is near
    return np.where(weight > 1e-3, weighted / np.maximum(weight, 1e-3), fallback)


def _distance(alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Each pixel's distance from the subject, 0 on it, 1 at REACH of the subject's size and beyond. Pure."""
    import cv2

    subject = cv2.resize((alpha > 0.5).astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    if not subject.any():
        return np.ones(size[::-1], np.float32)
    distance = cv2.distanceTransform((1 - subject).astype(np.uint8), cv2.DIST_L2, 5)
    ys, xs = np.nonzero(subject)
    extent = max(xs.max() - xs.min(), ys.max() - ys.min(), 1)
    return np.clip(distance / (REACH * extent), 0.0, 1.0)


def _blend(layers: list[np.ndarray], depth: np.ndarray) -> np.ndarray:
    """The blur layers (light to strong) mixed by depth (0..1): linear between neighbouring layers. Pure."""
    position = depth * (len(layers) - 1)
    lower = np.clip(np.floor(position).astype(int), 0, len(layers) - 2)
    share = (position - lower)[..., None]
    stack = np.stack(layers)
    rows, cols = np.indices(depth.shape)
    return stack[lower, rows, cols] * (1 - share) + stack[lower + 1, rows, cols] * share
