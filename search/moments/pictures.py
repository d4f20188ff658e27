"""An example picture found in sampled frames by its keypoints: a logo, a bumper, a sponsor board.

The frames' RootSIFT keypoints were stored at indexing time (`frame-features/`); a
picture's keypoints vote for the frames holding their nearest neighbours, and each
voted frame of the videos asked about is verified by a RANSAC homography (the lens's
geometry). CLIP alone cannot tell a small, partly covered logo from the rest of a frame.
"""
from __future__ import annotations

import base64

import numpy as np

from indexer.local_features import LocalFeatures
from search.codec import vector_base64, vector_from_base64
from search.lens.geometry import verify

VOTED = 2000  # frames a picture's keypoints may vote for, library-wide
MIN_INLIERS = 8  # the least evidence kept at all (the threshold decides what counts)
FULL_SCORE = 30  # inliers at which a match scores 1.0


def features_json(features: LocalFeatures, size: tuple[int, int]) -> dict:
    """A picture's keypoints as JSON, kept in a tag so it applies to videos indexed later."""
    return {"size": list(size), "points": vector_base64(features.points.ravel().astype(np.float32)),
            "descriptors": base64.b64encode(np.ascontiguousarray(features.descriptors, np.uint8).tobytes()).decode()}


def features_from_json(data: dict) -> tuple[LocalFeatures, tuple[int, int]]:
    points = vector_from_base64(data["points"]).reshape(-1, 2)
    descriptors = np.frombuffer(base64.b64decode(data["descriptors"]), np.uint8).reshape(-1, 128)
    return LocalFeatures(points, descriptors), tuple(data["size"])


def voted_frames(store, data: dict) -> dict[int, float]:
    """Frames (item ids) the picture's keypoints voted for, with their votes."""
    features, _ = features_from_json(data)
    return dict(store.vote(features, limit=VOTED))


def picture_scores(store, data: dict, frames, voted: dict[int, float]) -> dict[int, tuple[float, dict]]:
    """Score each voted frame by the keypoints of the picture it holds in one geometry."""
    features, size = features_from_json(data)
    scores = {}
    for frame in frames:
        if frame.id not in voted:
            continue
        found = store.get(frame.id)
        if found is None:
            continue
        check = verify(found, features, size, (frame.width, frame.height), min_inliers=MIN_INLIERS)
        if check is None:
            continue
        scores[frame.id] = (min(1.0, check.inliers / FULL_SCORE),
                            {"image": {"inliers": check.inliers, "box": [round(v, 1) for v in check.box],
                                       "frame": frame.id, "time": frame.time}})
    return scores
