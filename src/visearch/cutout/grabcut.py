"""누끼: lift an object from its background as a transparent PNG.

The seed is what is known about where the object is: the outline the lens verified (a homography maps the
catalogue image into the photo: a product's four corners), else a box the user drew, else the middle of
the picture. GrabCut (OpenCV) refines the seed into a mask at a bounded size; the mask keeps the largest
part, fills its holes, is upscaled to the photo, feathered at the edge, and the picture is cropped to it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PIL import Image

from visearch.errors import N_
from visearch.indexer.errors import InvalidInput

WORK_SIDE = 800  # px: GrabCut runs on the picture scaled to this longest side; the mask is upscaled
ITERATIONS = 5
BAND = 0.06  # of the seed's size: the uncertain band along an outline, each side
FEATHER = 1.2  # px at the photo's size: the alpha edge's softness (Gaussian sigma)
MARGIN = 0.06  # of the picture: without a seed, the border assumed to be background
PAD = 4  # px kept around the object when cropping
CORE = 0.35  # of an outline, about its centre: surely the object
CONTEXT = 0.3  # of the seed's size: background around it that GrabCut looks at

Point = tuple[float, float]


@dataclass(frozen=True)
class Cutout:
    image: Image.Image  # RGBA, or RGB on a white background
    mask: np.ndarray  # bool, the photo's size: the object
    box: tuple[int, int, int, int]  # where the crop was taken from


def cut_out(image: Image.Image, *, box: Sequence[float] | None = None, outline: Sequence[Point] | None = None,
            reference: Image.Image | None = None, background: str | None = None) -> Cutout:
    """The object in `image` seeded by `outline` (a polygon: the four corners of the `reference` catalogue
    image as the lens's homography maps them), else `box`, else the middle; `background` "white" flattens it
    onto white (the marketplace format)."""
    if background not in (None, "white"):
        raise InvalidInput(N_("background: white or none, not %(background)s"), code="cutout_background",
                           background=f'{background!r}')
    image = image.convert("RGB")
    width, height = image.size
    region = _region((width, height), box, outline)
    x0, y0, x1, y1 = region
    scale = min(1.0, WORK_SIDE / max(x1 - x0, y1 - y0))
    part = image.crop(region)
    small = np.asarray(part.resize((max(1, round(part.width * scale)), max(1, round(part.height * scale))),
                                   Image.BILINEAR) if scale < 1 else part)
    shift = lambda points: [((px - x0), (py - y0)) for px, py in points]  # noqa: E731
    seed = seed_mask(small.shape[:2], scale, box=None if box is None else (box[0] - x0, box[1] - y0, box[2] - x0,
                                                                            box[3] - y0),
                     outline=None if outline is None else shift(outline), size=part.size,
                     reference=None if reference is None or outline is None else object_mask(reference))
    alpha = np.zeros((height, width), np.uint8)
    alpha[y0:y1, x0:x1] = feather(refine(small, seed), part.size)
    found = alpha > 127
    if not found.any():
        raise InvalidInput(N_("nothing to cut out there: the region holds no object apart from its background"),
                           code="cutout_empty")
    ys, xs = np.nonzero(found)
    crop = (max(0, int(xs.min()) - PAD), max(0, int(ys.min()) - PAD), min(width, int(xs.max()) + 1 + PAD),
            min(height, int(ys.max()) + 1 + PAD))
    rgba = np.dstack([np.asarray(image), alpha])[crop[1]:crop[3], crop[0]:crop[2]]
    result = Image.fromarray(rgba, "RGBA")
    if background == "white":
        flat = Image.new("RGB", result.size, (255, 255, 255))
        flat.paste(result, mask=result.split()[3])
        result = flat
    return Cutout(result, found, crop)


def _region(size: tuple[int, int], box, outline) -> tuple[int, int, int, int]:
    """The part of the picture GrabCut looks at: the seed with some background around it (all of it without
    a seed). Pure."""
    width, height = size
    if outline is not None:
        xs, ys = [p[0] for p in outline], [p[1] for p in outline]
        box = (min(xs), min(ys), max(xs), max(ys))
    if box is None:
        return 0, 0, width, height
    grow = CONTEXT * max(box[2] - box[0], box[3] - box[1]) + 16
    return (max(0, int(box[0] - grow)), max(0, int(box[1] - grow)), min(width, int(np.ceil(box[2] + grow))),
            min(height, int(np.ceil(box[3] + grow))))


def seed_mask(shape: tuple[int, int], scale: float, *, box=None, outline=None, size=(0, 0),
              reference: np.ndarray | None = None) -> np.ndarray:
    """GrabCut's starting labels at the working size: sure foreground deep inside an outline, probable
    foreground and background along it, background beyond; with the catalogue image's own object mask
    (`reference`), that mask mapped into the picture is the object's shape to start from. A box or the
    middle gives probable foreground inside and background outside. Pure."""
    import cv2

    height, width = shape
    seed = np.full(shape, cv2.GC_BGD, np.uint8)
    if outline is not None:
        polygon = np.asarray(outline, np.float64) * scale
        if len(polygon) < 3 or _area(polygon) < 16:
            raise InvalidInput(N_("outline: give at least three corners around an area"), code="cutout_outline")
        band = max(2, int(BAND * np.sqrt(_area(polygon))))
        inside = np.zeros(shape, np.uint8)
        cv2.fillPoly(inside, [np.round(polygon).astype(np.int32)], 1)
        if reference is not None and len(polygon) == 4:
            inside = _warped(reference, polygon, shape)
        kernel = np.ones((2 * band + 1, 2 * band + 1), np.uint8)
        seed[cv2.dilate(inside, kernel) > 0] = cv2.GC_PR_BGD
        seed[inside > 0] = cv2.GC_PR_FGD
        if reference is not None:  # the object's own shape, well inside its edge
            seed[cv2.erode(inside, kernel, iterations=2) > 0] = cv2.GC_FGD
            return seed
        core = np.zeros(shape, np.uint8)  # the middle of the outline: an image's margins may be background
        centre = polygon.mean(axis=0)
        cv2.fillPoly(core, [np.round(centre + CORE * (polygon - centre)).astype(np.int32)], 1)
        seed[core > 0] = cv2.GC_FGD
        return seed
    if box is None:
        box = (MARGIN * size[0], MARGIN * size[1], (1 - MARGIN) * size[0], (1 - MARGIN) * size[1])
    x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise InvalidInput(N_("box: too small to cut anything out of"), code="cutout_box_too_small")
    seed[y0:y1, x0:x1] = cv2.GC_PR_FGD
    return seed


def refine(pixels: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """GrabCut from the seed; the largest connected part, its holes filled. Boolean mask."""
    import cv2

    labels = seed.copy()
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(pixels[:, :, ::-1])
    if (labels == cv2.GC_BGD).any() and ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).any():
        cv2.grabCut(bgr, labels, None, background, foreground, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    mask = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    count, parts, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask.astype(bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = (parts == largest).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled.astype(bool)


def object_mask(reference: Image.Image, side: int = 400) -> np.ndarray:
    """A catalogue image's object: what differs from its border's colour (a studio shot's white), holes
    filled; the whole image when that leaves too little or too much. Pure."""
    import cv2

    small = reference.convert("RGB")
    small.thumbnail((side, side))
    pixels = np.asarray(small).astype(np.int16)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    mask = (np.abs(pixels - np.median(border, axis=0)).max(axis=2) > 24).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(mask)
    if contours:
        cv2.drawContours(filled, [max(contours, key=cv2.contourArea)], -1, 1, cv2.FILLED)
    return filled if 0.05 < filled.mean() < 0.97 else np.ones_like(mask)


def _warped(mask: np.ndarray, polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A reference mask mapped onto the picture through the homography its four corners give."""
    import cv2

    height, width = mask.shape
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    matrix = cv2.getPerspectiveTransform(corners, _clockwise(polygon).astype(np.float32))
    return cv2.warpPerspective(mask, matrix, shape[::-1], flags=cv2.INTER_NEAREST)


def _clockwise(polygon: np.ndarray) -> np.ndarray:
    """Four corners from the top-left one, clockwise on screen (y down), as a homography's outline is. Pure."""
    centre = polygon.mean(axis=0)
    order = np.argsort(np.arctan2(polygon[:, 1] - centre[1], polygon[:, 0] - centre[0]))
    ordered = polygon[order]
    start = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -start, axis=0)


def feather(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The working mask upscaled to the photo (smoothly) with a soft edge: uint8 alpha."""
    import cv2

    alpha = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    alpha = cv2.GaussianBlur(alpha, (0, 0), FEATHER)
    return np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)


def _area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return float(abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2)
