"""Find the moments of a query in indexed videos, from what the index stored: no video is decoded.

Text is matched on the video's text spans (each string on screen, from when it appeared to when it went;
frames' OCR lines for a video indexed before spans), a picture on the frames' keypoints (or CLIP vectors
where there are none), CLIP text on the frames' CLIP vectors, a person on their tracks (the clips
machinery). Matching frames become spans
(moments/intervals.py) and the clauses combine by AND or OR.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from visearch.defaults import MOMENT_GAP
from visearch.errors import N_
from visearch.indexer.text_spans import sampling_interval, shows, text_form
from visearch.moments.intervals import Frame, Moment, frame_runs, intersect, span_moments, union
from visearch.moments.pictures import picture_scores
from visearch.moments.query import Clause, MomentQuery, MomentQueryError

CLIP_PICTURE = 0.85  # CLIP cosine a frame needs to match a picture, where frames have no keypoints


def all_videos(library) -> list[int]:
    return sorted(s.id for s in library.docs.file_states() if s.kind == "video")


def find_moments(library, query: MomentQuery, *, videos: Sequence[int] | None = None, gap: float = MOMENT_GAP,
                 margin: float = 0.0) -> list[Moment]:
    """Every moment of the query in `videos` (default: all), by video and start.

    `margin` > 0 lowers every cutoff by that much: the borderline moments a user looks at to set a
    tag's threshold come from the difference.
    """
    query.check()
    chosen = list(videos) if videos is not None else all_videos(library)
    found: list[Moment] | None = None
    for clause in query.clauses:
        moments = _clause_moments(library, clause, chosen, gap, margin)
        if found is None:
            found = moments
        else:
            found = intersect(found, moments) if query.combine == "and" else union(found, moments, gap)
    return found or []


def _clause_moments(library, clause: Clause, videos: list[int], gap: float, margin: float) -> list[Moment]:
    if clause.kind == "person":
        return _person_moments(library, clause, set(videos), gap)
    moments: list[Moment] = []
    docs = library.docs.get_videos(videos)
    keypoints = clause.kind == "image" and clause.features is not None and len(library.frame_features) > 0
    by_clip = clause.kind == "image" and not keypoints and clause.threshold is None
    cutoff = (CLIP_PICTURE if by_clip else clause.cutoff()) - margin
    for video_id in videos:
        video = docs.get(video_id)
        if video is None:
            continue
        frames = [f for f in library.docs.frames_of(video_id) if f.time is not None]
        if not frames:
            continue
        if clause.kind == "text" and video.text_spans:
            moments += span_moments(video.text_spans, query_words(clause.value), cutoff, video_id, gap=gap,
                                    thumbnail=lambda start, end, frames=frames: _frame_within(frames, start, end))
            continue
        if clause.kind == "text":  # a video indexed before text spans: its frames' lines
            scores = _text_scores(frames, clause.value)
        elif keypoints:
            scores = picture_scores(library.frame_features, clause.features, frames)
        else:
            scores = _vector_scores(library, frames, clause)
        hits = {item: (score, evidence) for item, (score, evidence) in scores.items() if score >= cutoff - 1e-9}
        shots = video.shots or [(0.0, video.duration)]
        timeline = [Frame(f.id, f.time, tuple(shots[f.shot]) if f.shot is not None and f.shot < len(shots)
                          else (0.0, video.duration)) for f in frames]
        moments += frame_runs(timeline, hits, video_id, interval=sampling_interval([f.time for f in frames]), gap=gap)
    return moments


def _frame_within(frames, start: float, end: float) -> int | None:
    """The sampled frame that best shows a moment: the first one inside it, else the nearest."""
    inside = [f for f in frames if start <= f.time <= end]
    return (inside[0] if inside else min(frames, key=lambda f: abs(f.time - start))).id


def query_words(text: str) -> list[str]:
    """The words of a text query, as on-screen text is matched (`text_form`): `0:0` finds a score read `O:O`."""
    return [w for w in dict.fromkeys(text_form(part) for part in text.split()) if w]


def _text_scores(frames, text: str) -> dict[int, tuple[float, dict]]:
    """The share of the query's words on screen in each frame, with the lines that hold them."""
    words = query_words(text)
    scores = {}
    for frame in frames:
        if not frame.ocr:
            continue
        whole = text_form(" ".join(line.text for line in frame.ocr))
        found = [w for w in words if shows(whole, w)]
        if not found:
            continue
        lines = [{"text": line.text, "box": [round(v, 1) for v in line.bounds]}
                 for line in frame.ocr if any(shows(text_form(line.text), w) for w in found)]
        scores[frame.id] = (len(found) / len(words), {"text": {"words": found, "lines": lines, "frame": frame.id,
                                                               "time": frame.time}})
    return scores


def _vector_scores(library, frames, clause: Clause) -> dict[int, tuple[float, dict]]:
    """CLIP cosine of each frame to the query's vector (a picture, where frames have no keypoints: then
    the cutoff is CLIP's, not the keypoints')."""
    if clause.vector is None:
        raise MomentQueryError(N_("%(kind)s: the query has no CLIP vector (encode the picture or text first)"),
                               code="query_vector_missing", kind=clause.kind)
    query = np.asarray(clause.vector, np.float32)
    ids = [f.id for f in frames]
    vectors = library.vectors.get(ids)
    if vectors.shape[1] != query.shape[0]:
        raise MomentQueryError(N_("%(kind)s: the query's vector has %(shape)s dimensions and the library's %(shape2)s: it was made with another CLIP model"),
                               code="query_vector_mismatch", kind=clause.kind, shape=query.shape[0],
                               shape2=vectors.shape[1])
    norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(query) + 1e-12) + 1e-12
    similarity = (vectors @ query) / norms
    key = "image" if clause.kind == "image" else "clip_text"
    return {item: (float(s), {key: {"similarity": round(float(s), 4), "frame": item, "time": f.time,
                                    "query": clause.value}})
            for item, s, f in zip(ids, similarity, frames)}


def _person_moments(library, clause: Clause, videos: set[int], gap: float) -> list[Moment]:
    from visearch.people.index import PersonNotFoundError, people_index

    people = people_index(library)
    try:
        person = people.resolve(clause.value)
    except PersonNotFoundError as exc:
        raise MomentQueryError.like(exc) from None
    rows = library.faces.people([person])
    name = rows[0].name if rows else ""
    return [Moment(s.video, s.start, s.end, s.score, s.thumbnail_item,
                   {"person": {"id": person, "name": name}})
            for s in people.clips(person, gap=gap).clips if s.video in videos]
