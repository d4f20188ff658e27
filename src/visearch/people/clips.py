"""Turn a person's on-screen spans into playable segments: pure functions, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field

from visearch.defaults import MOMENT_GAP


@dataclass(frozen=True, slots=True)
class Span:
    """One track of a person: seen from `start` to `end` (sample times) inside one shot."""

    video: int
    start: float
    end: float
    shot: int
    shot_start: float
    shot_end: float
    score: float
    thumbnail_item: int | None = None


@dataclass
class Segment:
    video: int
    start: float
    end: float
    score: float
    thumbnail_item: int | None
    shots: list[int] = field(default_factory=list)


def build_segments(spans: list[Span], *, gap: float = MOMENT_GAP, pad: float = 0.5) -> list[Segment]:
    """Contiguous spans per video where a person is on screen.

    Each span is widened by `pad` (half the sampling interval: the person was
    probably there until the next sample) but never past its shot's edges —
    a cut is a hard boundary. Spans closer than `gap` merge, across cuts too,
    so one appearance split by a reaction shot stays one clip. A segment's
    score is the best of its spans; its thumbnail is that span's.
    """
    segments: list[Segment] = []
    by_video: dict[int, list[Span]] = {}
    for span in spans:
        by_video.setdefault(span.video, []).append(span)
    for video in sorted(by_video):
        widened = sorted(
            ((max(span.shot_start, span.start - pad), min(span.shot_end, span.end + pad), span)
             for span in by_video[video]),
            key=lambda item: (item[0], item[1]),
        )
        current: Segment | None = None
        for start, end, span in widened:
            if current is not None and start - current.end <= gap:
                current.end = max(current.end, end)
                if span.shot not in current.shots:
                    current.shots.append(span.shot)
                if span.score > current.score:
                    current.score, current.thumbnail_item = span.score, span.thumbnail_item
                continue
            current = Segment(video, start, end, span.score, span.thumbnail_item, [span.shot])
            segments.append(current)
    return segments
