"""Time spans of moments: sampled frames that match become spans, spans combine by AND and OR.
Pure functions, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field


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
