"""An example picture found in sampled frames by its keypoints: a logo, a bumper, a sponsor board.

The frames' RootSIFT keypoints were stored at indexing time (`frame-features/`). Every
frame of the videos asked about is matched against the picture: each frame keypoint finds
its two nearest picture keypoints in one FAISS search per batch of frames (Lowe's ratio
test), and a frame with enough matches is verified by a MAGSAC++ homography (the lens's
geometry). A graphic that recurs in every video is found in every video, which a vote
over the whole library (the lens's way) would starve. CLIP alone cannot tell a small,
partly covered logo from the rest of a frame.
"""
from __future__ import annotations

import base64

import numpy as np

from visearch.indexer.local_features import LocalFeatures
from visearch.storage.codec import vector_base64, vector_from_base64
from visearch.lens.geometry import RATIO, verify_matches

FRAME_KEYPOINTS = 200  # the strongest keypoints of each frame that are matched (they are stored strongest first)
MIN_MATCHES = 8  # ratio-test matches a frame needs before its geometry is checked
MIN_INLIERS = 8  # the least evidence kept at all (the threshold decides what counts)
FULL_SCORE = 30  # inliers at which a match scores 1.0
MIN_COVERAGE = 0.04  # of the object its inliers must span, as the lens asks of an exact product
BATCH = 64  # frames matched in one search


def features_json(features: LocalFeatures, size: tuple[int, int], outline=(0.0, 0.0, 1.0, 1.0)) -> dict:
    """A picture's keypoints as JSON, kept in a tag so it applies to videos indexed later; `outline`, the
    object's extent in it (fractions: a catalogue shot's product, not its white margin)."""
    return {"size": list(size), "points": vector_base64(features.points.ravel().astype(np.float32)),
            "descriptors": base64.b64encode(np.ascontiguousarray(features.descriptors, np.uint8).tobytes()).decode(),
            "outline": [round(float(v), 4) for v in outline]}


def features_from_json(data: dict) -> tuple[LocalFeatures, tuple[int, int]]:
    points = vector_from_base64(data["points"]).reshape(-1, 2)
    descriptors = np.frombuffer(base64.b64decode(data["descriptors"]), np.uint8).reshape(-1, 128)
    return LocalFeatures(points, descriptors), tuple(data["size"])


def picture_scores(store, data: dict, frames) -> dict[int, tuple[float, dict]]:
    """Score each frame by how many of the picture's keypoints it holds in one geometry."""
    import faiss

    picture, size = features_from_json(data)
    outline = tuple(data.get("outline") or (0.0, 0.0, 1.0, 1.0))  # tags saved before outlines: the whole picture
    if len(picture) < 2:
        return {}
    index = faiss.IndexFlatL2(128)
    index.add(np.ascontiguousarray(picture.descriptors, np.float32))
    scores = {}
    for start in range(0, len(frames), BATCH):
        batch = [(f, store.get(f.id)) for f in frames[start:start + BATCH]]
        batch = [(f, found) for f, found in batch if found is not None and len(found) >= 2]
        if not batch:
            continue
        parts = [found.descriptors[:FRAME_KEYPOINTS] for _, found in batch]
        distances, nearest = index.search(np.ascontiguousarray(np.concatenate(parts), np.float32), 2)
        good = distances[:, 0] < (RATIO ** 2) * distances[:, 1]  # squared L2: the ratio squared
        offsets = np.cumsum([0] + [len(p) for p in parts])
        for number, (frame, found) in enumerate(batch):
            rows = np.flatnonzero(good[offsets[number]:offsets[number + 1]])
            if len(rows) < MIN_MATCHES:
                continue
            pairs = nearest[offsets[number] + rows, 0]
            check = verify_matches(found.points[rows], picture.points[pairs], size, (frame.width, frame.height),
                                   min_inliers=MIN_INLIERS, outline=outline)
            if check is not None and check.coverage >= MIN_COVERAGE:  # not through a logo two products share
                scores[frame.id] = (min(1.0, check.inliers / FULL_SCORE),
                                    {"image": {"inliers": check.inliers, "box": [round(v, 1) for v in check.box],
                                               "frame": frame.id, "time": frame.time}})
    return scores
