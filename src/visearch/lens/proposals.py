"""Suggested object boxes on a query photo: text regions and salient blobs (no model needed)."""
from __future__ import annotations

import numpy as np

from visearch.indexer.records import OcrLine
from visearch.indexer.tracking import box_iou

Box = tuple[float, float, float, float]


def text_region_boxes(lines: list[OcrLine], width: int, height: int, grow: float = 1.6) -> list[Box]:
    """Group nearby OCR lines (a label) and grow each group to cover the package around it."""
    groups: list[list[float]] = []
    for line in lines:
        x0, y0, x1, y1 = line.bounds
        line_height = y1 - y0
        for group in groups:
            if x0 < group[2] + line_height * 2 and x1 > group[0] - line_height * 2 and \
                    y0 < group[3] + line_height * 2.5 and y1 > group[1] - line_height * 2.5:
                group[:] = [min(group[0], x0), min(group[1], y0), max(group[2], x1), max(group[3], y1)]
                break
        else:
            groups.append([x0, y0, x1, y1])
    boxes = []
    for x0, y0, x1, y1 in groups:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half_w, half_h = (x1 - x0) * grow / 2, max((y1 - y0) * grow, (x1 - x0) * 0.8) / 2
        boxes.append(_clamp((cx - half_w, cy - half_h, cx + half_w, cy + half_h), width, height))
    return boxes


def salient_boxes(pixels: np.ndarray, limit: int = 4) -> list[Box]:
    """Regions dense in edges, large enough to be objects: a cheap stand-in for an object detector."""
    import cv2

    height, width = pixels.shape[:2]
    scale = 320 / max(height, width)
    small = cv2.resize(pixels, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), 60, 160)
    mask = cv2.dilate(edges, np.ones((9, 9), np.uint8), iterations=2)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    area = small.shape[0] * small.shape[1]
    boxes = []
    for x, y, w, h, pixels_in in stats[1:]:
        if 0.02 * area <= w * h <= 0.8 * area and pixels_in > 0.25 * w * h:
            boxes.append((w * h, (x / scale, y / scale, (x + w) / scale, (y + h) / scale)))
    return [box for _, box in sorted(boxes, reverse=True)[:limit]]


def propose(pixels: np.ndarray, lines: list[OcrLine], limit: int = 6) -> list[dict]:
    height, width = pixels.shape[:2]
    found = [{"box": [round(v, 1) for v in box], "source": "text"} for box in text_region_boxes(lines, width, height)]
    for box in salient_boxes(pixels):
        if all(box_iou(box, tuple(f["box"])) < 0.5 for f in found):
            found.append({"box": [round(v, 1) for v in box], "source": "saliency"})
    return found[:limit]


def _clamp(box: Box, width: int, height: int) -> Box:
    x0, y0, x1, y1 = box
    return max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1)
