"""Time spans of moments: sampled frames that match become spans, spans combine by AND and OR.
Pure functions, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from visearch.indexer.text_spans import TextSpan, shows, text_form


@dataclass
class Moment:
    video: int
    start: float
    end: float
    score: float
    thumbnail_item: int | None = None
    evidence: dict = field(default_factory=dict)  # per query kind: what matched, and where


@dataclass(frozen=True, slots=True)
class Frame:
    """A sampled frame of one video: its item, time and shot (start, end)."""

    item: int
    time: float
    shot: tuple[float, float]


def frame_runs(frames: list[Frame], hits: dict[int, tuple[float, dict]], video: int,
               interval: float = 1.0, gap: float = 0.0) -> list[Moment]:
    """Moments from the frames that matched (`hits`: item → score, evidence).

    The index keeps a frame only when it differs from the one before, so a frame's content lasts
    until the next kept frame of its shot. A change between two samples is placed half an interval
    before the sample that shows it, which halves the worst error, and never outside the shot.
    Runs closer than `gap` merge. A moment's score and thumbnail are its best frame's.
    """
    ordered = sorted(frames, key=lambda f: f.time)
    moments: list[Moment] = []
    for index, frame in enumerate(ordered):
        if frame.item not in hits:
            continue
        score, evidence = hits[frame.item]
        shot_start, shot_end = frame.shot
        start = max(shot_start, frame.time - interval / 2)
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if following is not None and following.shot == frame.shot:
            end = max(frame.time + interval / 2, following.time - interval / 2)
        else:
            end = shot_end
        end = max(start, min(end, shot_end))
        last = moments[-1] if moments else None
        if last is not None and start - last.end <= gap + 1e-6:
            last.end = max(last.end, end)
            if score > last.score:
                last.score, last.thumbnail_item, last.evidence = score, frame.item, evidence
            continue
        moments.append(Moment(video, start, end, score, frame.item, evidence))
    return moments


def intersect(a: list[Moment], b: list[Moment]) -> list[Moment]:
    """The times both hold (same video): each overlap, scored by the weaker side, with both evidences."""
    out = []
    for left in a:
        for right in b:
            if left.video != right.video:
                continue
            start, end = max(left.start, right.start), min(left.end, right.end)
            if end > start:
                best = left if left.score >= right.score else right
                out.append(Moment(left.video, start, end, min(left.score, right.score), best.thumbnail_item,
                                  {**right.evidence, **left.evidence}))
    return sorted(out, key=lambda m: (m.video, m.start))


def union(a: list[Moment], b: list[Moment], gap: float = 0.0) -> list[Moment]:
    """The times either holds: overlapping (or `gap`-close) moments merge, scored by the stronger."""
    out: list[Moment] = []
    for moment in sorted(a + b, key=lambda m: (m.video, m.start)):
        last = out[-1] if out else None
        if last is not None and last.video == moment.video and moment.start - last.end <= gap + 1e-6:
            last.end = max(last.end, moment.end)
            last.evidence = {**moment.evidence, **last.evidence}
            if moment.score > last.score:
                last.score, last.thumbnail_item = moment.score, moment.thumbnail_item
            continue
        out.append(Moment(moment.video, moment.start, moment.end, moment.score, moment.thumbnail_item,
                          dict(moment.evidence)))
    return out


def span_moments(spans: Sequence[TextSpan], words: Sequence[str], cutoff: float, video: int, *, gap: float = 0.0,
                 thumbnail: Callable[[float, float], int | None] = lambda start, end: None) -> list[Moment]:
    """Moments of on-screen text from a video's text spans: the times at which at least `cutoff` of the
    query's `words` (as `text_form` makes them) are on screen, in any of the strings shown then (`shows`: a
    number only whole, 2:1 is not in 12:1; a Hangul word past an OCR slip). Runs closer than `gap` merge. Pure."""
    holding = [(span, [w for w in words if shows(text_form(span.text), w)]) for span in spans]
    holding = [(span, found) for span, found in holding if found]
    edges = sorted({t for span, _ in holding for t in (span.start, span.end)})
    moments: list[Moment] = []
    for start, end in zip(edges, edges[1:]):
        showing = [(span, found) for span, found in holding if span.start <= start and span.end >= end]
        found = list(dict.fromkeys(w for _, seen in showing for w in seen))
        score = len(found) / len(words) if words else 0.0
        if not showing or score < cutoff - 1e-9:
            continue
        last = moments[-1] if moments else None
        if last is not None and start - last.end <= gap + 1e-6:
            last.end = max(last.end, end)
            if score > last.score:
                last.score, last.evidence = score, _span_evidence(found, showing, start, last.thumbnail_item)
            continue
        item = thumbnail(start, end)
        moments.append(Moment(video, start, end, score, item, _span_evidence(found, showing, start, item)))
    return moments


def _span_evidence(found: list[str], showing: list, start: float, item: int | None) -> dict:
    lines = [{"text": span.text, "box": [round(v, 1) for v in span.box], "start": round(span.start, 3),
              "end": round(span.end, 3)} for span, _ in showing]
    return {"text": {"words": found, "lines": lines, "frame": item, "time": round(start, 3)}}
