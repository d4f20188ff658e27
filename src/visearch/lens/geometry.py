"""Geometric verification: match local features, fit a homography robustly (MAGSAC++), project the outline."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visearch.indexer.local_features import LocalFeatures

RATIO = 0.8  # Lowe's ratio test
MIN_INLIERS = 20  # true matches here had 32-100; look-alike packages up to ~26 before overlap suppression
REPROJECTION_ERROR = 6.0  # px in the query photo
# OpenCV's robust homography estimator. On the lens's grocery photos (bench/lens_eval.py) MAGSAC++ took
# 28 ms where RANSAC took 1381 ms for the same 383 checks, at the same top-1, with one more in-store photo
# answered `exact` and no out-of-catalogue photo (RANSAC: one); on video frames, 8x faster at equal inliers.
ESTIMATOR = "USAC_MAGSAC"


@dataclass(frozen=True, slots=True)
class Verification:
    inliers: int
    polygon: list[list[float]]  # the catalogue image's corners in query-photo pixels
    box: list[float]  # x0, y0, x1, y1 of the polygon, clamped to the photo
    coverage: float = 1.0  # share of the product's outline that the inliers span in the catalogue image
    homography: tuple[float, ...] = ()  # 3 × 3, row by row: catalogue image pixels → query photo pixels

    def moved(self, dx: float, dy: float) -> "Verification":
        """The same match in a photo where the searched region starts at (dx, dy)."""
        shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])
        homography = tuple((shift @ np.reshape(self.homography, (3, 3))).ravel()) if self.homography else ()
        return Verification(self.inliers, [[x + dx, y + dy] for x, y in self.polygon],
                            [self.box[0] + dx, self.box[1] + dy, self.box[2] + dx, self.box[3] + dy], self.coverage,
                            homography)


def match(query: LocalFeatures, candidate: LocalFeatures, ratio: float = RATIO) -> tuple[np.ndarray, np.ndarray]:
    """Ratio-test matches as (query points, candidate points)."""
    import faiss

    if len(query) < 2 or len(candidate) < 2:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    # Exact 2-NN of every query descriptor among the candidate's: OpenCV's BFMatcher finds the same
    # pairs, but FAISS's blocked distance kernel does it in a third of the time.
    distances, nearest = faiss.knn(np.ascontiguousarray(query.descriptors, np.float32),
                                   np.ascontiguousarray(candidate.descriptors, np.float32), 2)
    good = distances[:, 0] < (ratio ** 2) * distances[:, 1]  # squared L2: the ratio squared
    return (np.asarray(query.points[good], np.float32).reshape(-1, 2),
            np.asarray(candidate.points[nearest[good, 0]], np.float32).reshape(-1, 2))


def foreground_box(pixels: np.ndarray, background: int = 235, margin: float = 0.95) -> tuple[float, float, float, float]:
    """The product's extent in a studio shot, as fractions of the image: everything not near-white.

    Catalogue images usually show the product on white; its outline, not the
    white margin, is what the lens should draw. A photo with no white
    background returns the whole image.
    """
    mask = (np.asarray(pixels)[..., :3] < background).any(axis=-1)
    if not mask.any():
        return 0.0, 0.0, 1.0, 1.0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    height, width = mask.shape
    box = (cols[0] / width, rows[0] / height, (cols[-1] + 1) / width, (rows[-1] + 1) / height)
    return (0.0, 0.0, 1.0, 1.0) if (box[2] - box[0]) * (box[3] - box[1]) > margin else box


def verify(
    query: LocalFeatures, candidate: LocalFeatures, candidate_size: tuple[int, int], query_size: tuple[int, int],
    *, min_inliers: int = MIN_INLIERS, outline: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
) -> Verification | None:
    """A robust homography from the candidate image into the query photo, or None when it does not hold.

    `outline` is the product's extent in the candidate (fractions): its corners
    are what gets projected into the photo.
    """
    if candidate is None or len(candidate) == 0 or len(query) == 0:
        return None  # an image without keypoints (a blank card) cannot be verified
    query_points, candidate_points = match(query, candidate)
    return verify_matches(query_points, candidate_points, candidate_size, query_size, min_inliers=min_inliers,
                          outline=outline)


def verify_matches(
    query_points: np.ndarray, candidate_points: np.ndarray, candidate_size: tuple[int, int],
    query_size: tuple[int, int], *, min_inliers: int = MIN_INLIERS,
    outline: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
) -> Verification | None:
    """`verify` for matches already made (query points, candidate points, pair by pair)."""
    import cv2

    if len(query_points) < min_inliers:
        return None
    homography, mask = cv2.findHomography(candidate_points, query_points, getattr(cv2, ESTIMATOR),
                                          REPROJECTION_ERROR)
    if homography is None or mask is None:
        return None
    inliers = int(mask.sum())
    if inliers < min_inliers:
        return None
    width, height = candidate_size
    x0, y0, x1, y1 = outline[0] * width, outline[1] * height, outline[2] * width, outline[3] * height
    corners = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]).reshape(-1, 1, 2)
    polygon = cv2.perspectiveTransform(corners, homography).reshape(-1, 2)
    if not plausible(polygon, query_size):
        return None
    qw, qh = query_size
    x0, y0 = polygon.min(axis=0)
    x1, y1 = polygon.max(axis=0)
    box = [float(max(0, x0)), float(max(0, y0)), float(min(qw, x1)), float(min(qh, y1))]
    spread = coverage(candidate_points[mask.ravel() > 0], candidate_size, outline)
    return Verification(inliers, [[float(x), float(y)] for x, y in polygon], box, spread,
                        tuple(float(v) for v in homography.ravel()))


def coverage(points: np.ndarray, size: tuple[int, int], outline) -> float:
    """The share of the product's outline that the inliers' convex hull spans in the catalogue image. Pure.

    A match through a logo that two products of one brand share covers a small part of either."""
    import cv2

    width, height = size
    area = (outline[2] - outline[0]) * width * (outline[3] - outline[1]) * height
    if len(points) < 3 or area <= 0:
        return 0.0
    hull = cv2.convexHull(np.asarray(points, np.float32).reshape(-1, 1, 2))
    return float(min(1.0, cv2.contourArea(hull) / area))


def plausible(polygon: np.ndarray, query_size: tuple[int, int]) -> bool:
    """Reject degenerate fits: a real view of a flat package is a convex quad of sensible size,
    with opposite sides of similar length and no corner folded flat."""
    import cv2

    contour = polygon.reshape(-1, 1, 2).astype(np.float32)
    if not cv2.isContourConvex(contour):
        return False
    area = cv2.contourArea(contour)
    qw, qh = query_size
    if not 0.002 * qw * qh <= area <= 4.0 * qw * qh:
        return False
    sides = np.linalg.norm(np.roll(polygon, -1, axis=0) - polygon, axis=1)
    if min(sides[0], sides[2]) < 0.4 * max(sides[0], sides[2]) or min(sides[1], sides[3]) < 0.4 * max(sides[1], sides[3]):
        return False
    for corner in range(4):
        a = polygon[corner - 1] - polygon[corner]
        b = polygon[(corner + 1) % 4] - polygon[corner]
        cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
        if abs(cosine) > 0.85:  # a corner sharper than ~30° or flatter than ~150°
            return False
    return True


def spread_keypoints(points: np.ndarray, size: tuple[int, int], limit: int, grid: int = 4) -> np.ndarray:
    """Indices of at most `limit` keypoints, the strongest of each cell of a `grid` × `grid` split of the
    image, taken cell by cell in turns (the points arrive strongest first). Pure.

    The strongest points of a photo cluster on its most textured object; spread out, every product
    on a shelf keeps voters."""
    if len(points) <= limit:
        return np.arange(len(points))
    width, height = max(size[0], 1), max(size[1], 1)
    cells = (np.clip(points[:, 0] * grid // width, 0, grid - 1) * grid
             + np.clip(points[:, 1] * grid // height, 0, grid - 1)).astype(int)
    rank = np.zeros(len(points), int)  # each point's place among its cell's points, strongest first
    seen: dict[int, int] = {}
    for index, cell in enumerate(cells):
        rank[index] = seen.get(cell, 0)
        seen[cell] = rank[index] + 1
    order = np.lexsort((np.arange(len(points)), rank))  # first of every cell, then second of every cell, ...
    return np.sort(order[:limit])
