"""When a text moment search finds nothing: the on-screen text read that comes closest to what was typed.

"오늘의 무대" finding nothing is either true (no such caption) or an OCR slip ("오늘의 SCH"). Showing the
nearest readings lets the user tell the two apart and search for what was actually read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from visearch.indexer.text_spans import text_form
from visearch.text.hangul import jamo
from visearch.text.normalise import edit_distance

CLOSEST = 3  # readings offered
MAX_SHARE = 0.5  # edits per character of the query beyond which a reading is not "close"


@dataclass(frozen=True, slots=True)
class Reading:
    text: str  # the whole line as read
    video: int
    time: float


def closeness(query: str, line: str) -> float:
    """Edits per query letter between the query and the nearest run of the line's words (0: the query is in
    the line as typed; 1: nothing alike). Hangul counts by jamo, so a slip of one stroke is a small edit.
    Pure."""
    wanted = jamo(text_form(query))
    words = [jamo(text_form(word)) for word in line.split()]
    words = [w for w in words if w]
    if not wanted or not words:
        return 1.0
    width = max(1, len(query.split()))
    runs = {"".join(words[i:i + n]) for n in (width - 1, width, width + 1) if n > 0
            for i in range(max(1, len(words) - n + 1))}
    return min(edit_distance(wanted, run) for run in runs) / len(wanted)


def closest_readings(query: str, readings: Iterable[Reading], limit: int = CLOSEST) -> list[tuple[Reading, float]]:
    """The readings nearest the query (each line once, its first time), nearest first, none past MAX_SHARE.
    Pure."""
    best: dict[str, tuple[Reading, float]] = {}
    for reading in readings:
        share = closeness(query, reading.text)
        if share <= MAX_SHARE and (reading.text not in best or reading.time < best[reading.text][0].time):
            best[reading.text] = (reading, share)
    return sorted(best.values(), key=lambda pair: (pair[1], pair[0].video, pair[0].time))[:limit]


def readings_of(library, videos: Mapping[int, object]) -> list[Reading]:
    """Every line read on screen in these videos (id → video document): their text spans, or for a video
    indexed before spans, its frames' OCR lines."""
    found = []
    for video_id, video in videos.items():
        if video.text_spans:
            found += [Reading(span.text, video_id, span.start) for span in video.text_spans]
        else:
            found += [Reading(line.text, video_id, frame.time) for frame in library.docs.frames_of(video_id)
                      if frame.time is not None for line in frame.ocr]
    return found


def closest_json(library, texts: Iterable[str], videos: Iterable[int]) -> list[dict]:
    """For each text searched, the nearest lines read: what a moments answer with no moment offers."""
    documents = library.docs.get_videos(list(videos))
    readings = readings_of(library, documents)
    return [{"query": text, "text": reading.text, "video": documents[reading.video].path, "video_id": reading.video,
             "time": round(reading.time, 3), "distance": round(share, 3)}
            for text in texts for reading, share in closest_readings(text, readings)]
