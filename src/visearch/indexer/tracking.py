"""Link faces across consecutive samples of one shot into tracks: a pure function."""
from __future__ import annotations

import numpy as np

from visearch.indexer.records import FrameRecord, Track

MIN_IOU = 0.3
# Reusing a face's identity vector in the next sample of its shot (search: bench/video_throughput.py).
REUSE_MIN_IOU = 0.5  # the face has barely moved
REUSE_MIN_SIMILARITY = 0.9  # its aligned chip still correlates: same pose, same light
REUSE_MAX_AGE = 3  # computed afresh at least every fourth sample, however still the face
REUSE_MAX_SCORE_DROP = 0.5  # the detector's confidence fell: look again


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _distance(metric: str, a: np.ndarray, b: np.ndarray) -> float:
    if metric == "cosine":
        return float(1.0 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
    return float(np.linalg.norm(a - b))


def link_tracks(frames: list[FrameRecord], metric: str, same_person: float) -> list[Track]:
    """Greedy frame-to-frame linking within shots.

    A face continues a track from the previous sample when it overlaps the
    track's last box (IoU ≥ 0.3) and looks like the same person, or when it
    does not overlap but is clearly the same person (distance ≤ `same_person`):
    people move between samples a second apart. Sets each face's `track`.
    """
    tracks: list[Track] = []
    open_tracks: list[int] = []  # tracks seen in the previous sample of the current shot
    last_shot = None
    for frame_index, frame in enumerate(frames):
        if frame.shot != last_shot:
            open_tracks, last_shot = [], frame.shot
        pairs = []
        for face_index, face in enumerate(frame.faces):
            for track_id in open_tracks:
                last_frame, last_face = tracks[track_id].faces[-1]
                previous = frames[last_frame].faces[last_face]
                distance = _distance(metric, face.embedding, previous.embedding)
                overlap = box_iou(face.box, previous.box)
                if (overlap >= MIN_IOU and distance <= same_person * 1.4) or distance <= same_person:
                    pairs.append((distance - overlap, face_index, track_id))
        taken_faces, taken_tracks = set(), set()
        for _, face_index, track_id in sorted(pairs):
            if face_index in taken_faces or track_id in taken_tracks:
                continue
            taken_faces.add(face_index)
            taken_tracks.add(track_id)
            track = tracks[track_id]
            track.faces.append((frame_index, face_index))
            track.end = frame.last_seen
            frame.faces[face_index].track = track_id
        for face_index, face in enumerate(frame.faces):
            if face_index not in taken_faces:
                tracks.append(Track(frame.shot, frame.time, frame.last_seen, [(frame_index, face_index)],
                                    face.embedding))
                face.track = len(tracks) - 1
                taken_tracks.add(len(tracks) - 1)
        open_tracks = sorted(taken_tracks)
    for track in tracks:
        members = [frames[f].faces[i] for f, i in track.faces]
        mean = np.mean([face.embedding for face in members], axis=0).astype(np.float32)
        if metric == "cosine":
            mean /= np.linalg.norm(mean) + 1e-12
        track.embedding = mean
        track.usable = any(face.usable for face in members)
    return tracks


def reusable(box: tuple[float, float, float, float], score: float, signature: np.ndarray | None,
             previous: list) -> object | None:
    """The face of the previous sample (same shot) whose identity vector this face may reuse, or None.

    It must overlap (IoU ≥ REUSE_MIN_IOU), look the same (aligned-chip correlation ≥
    REUSE_MIN_SIMILARITY), be detected about as confidently, and its vector must be
    fresh enough (computed at most REUSE_MAX_AGE samples ago). A pure function.
    """
    if signature is None:
        return None
    best, best_overlap = None, REUSE_MIN_IOU
    for face in previous:
        if face.signature is None or face.reused >= REUSE_MAX_AGE or face.score - score > REUSE_MAX_SCORE_DROP:
            continue
        overlap = box_iou(box, face.box)
        if overlap >= best_overlap and float(signature @ face.signature) >= REUSE_MIN_SIMILARITY:
            best, best_overlap = face, overlap
    return best
