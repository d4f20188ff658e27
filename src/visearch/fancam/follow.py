"""Where a person's face is, several times a second: the index's ~1 fps sightings made dense.

The index knows each person's face at about one sample a second, with their
identity settled. Between those anchors each member's `Follower` looks again
a few times a second, only in a small region around where the face should be
(scaled so the face is ~100 px, dlib's sweet spot), and accepts a face there
only as long as it is the same person: a cheap aligned-chip correlation every
look, and the identity vector (compared with this person's and every other
member's) whenever two faces are near, the face looks different, the person
is being found again, or a couple of seconds have passed. A face that fails is
not this person: the camera holds instead of following someone else.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from visearch.indexer.models.faces import FaceModel, Sighting, face_distances
from visearch.indexer.video import frame_time, open_video, time_origin

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class FollowConfig:
    detect_fps: float = 5.0  # looks per second
    face_px: float = 100.0  # the face's size in the region the detector sees
    region_faces: float = 2.5  # the region reaches this many face sizes from the predicted centre
    gate_faces: float = 1.2  # a face further than this from the prediction is someone else
    same_look: float = 0.9  # aligned-chip correlation under which the identity vector is checked
    check_every: float = 2.0  # s: the identity vector is checked at least this often
    hold: float = 1.2  # s: keep predicting from the last sighting this long
    anchor_reach: float = 0.8  # s: an index sighting this close in time tells where to look
    search_every: float = 0.5  # s: how often the whole frame is searched for people not being followed
    search_side: int = 1920  # px: the whole-frame search's resolution (dlib finds faces from ~80 px)
    missed_looks: int = 2  # after this many looks without the member, the whole frame is searched too
    learn_margin: float = 0.8  # a face this much closer than the threshold joins the references
    learned: int = 32  # at most this many faces from the video join the references


@dataclass
class Member:
    """One person to follow through one video, with what the index knows of them there."""

    person: int
    name: str
    anchors: list[tuple[float, int, Box]]  # (time, shot, face box): the index's sightings, sorted by time
    references: np.ndarray  # this person's identity vectors
    others: np.ndarray  # the identity vectors of everyone else in the video


class Strangers:
    """Faces already found not to be the member: the same face a moment later, looking the same
    (aligned-chip correlation), is not identified again. Sightings of someone else cost a detector
    pass instead of an identity vector (~60 ms a face with dlib)."""

    MAX_AGE = 3.0  # s
    MIN_IOU = 0.3

    def __init__(self, same_look: float) -> None:
        self.same_look = same_look
        self._known: list[list] = []  # [box, signature, time]

    def known(self, sighting: Sighting, box: Box, time: float) -> bool:
        from visearch.indexer.tracking import box_iou

        for entry in self._known:
            if (time - entry[2] <= self.MAX_AGE and box_iou(box, entry[0]) >= self.MIN_IOU
                    and sighting.signature is not None and _looks(sighting.signature, entry[1]) >= self.same_look):
                entry[0], entry[2] = box, time  # it moved a little: follow it, keep the checked look
                return True
        return False

    def add(self, sighting: Sighting, box: Box, time: float) -> None:
        if sighting.signature is not None:
            self._known = [e for e in self._known if time - e[2] <= self.MAX_AGE] + [[box, sighting.signature, time]]


@dataclass
class _Last:
    time: float
    shot: int
    box: Box
    velocity: tuple[float, float]
    signature: np.ndarray | None
    checked_at: float


class Follower:
    """Looks for one member in the frames it is shown; `seen` maps frame index → face box."""

    def __init__(self, member: Member, model: FaceModel, threshold: float, config: FollowConfig) -> None:
        self.member, self.model, self.threshold, self.config = member, model, threshold, config
        self.seen: dict[int, Box] = {}
        self.learned = 0
        self.strangers = Strangers(config.same_look)
        self._last: _Last | None = None
        self._anchor_times = [a[0] for a in member.anchors]

    def predict(self, time: float, shot: int) -> tuple[Box, bool] | None:
        """Where the face should be, and whether that comes from our own last sighting."""
        last = self._last
        if last is not None and last.shot == shot and time - last.time <= self.config.hold:
            dt = time - last.time
            dx, dy = last.velocity[0] * dt, last.velocity[1] * dt
            return (last.box[0] + dx, last.box[1] + dy, last.box[2] + dx, last.box[3] + dy), True
        position = bisect.bisect_left(self._anchor_times, time)
        near = [a for a in self.member.anchors[max(0, position - 1): position + 1]
                if a[1] == shot and abs(a[0] - time) <= self.config.anchor_reach]
        if not near:
            return None
        return min(near, key=lambda a: abs(a[0] - time))[2], False

    def look(self, index: int, time: float, shot: int, pixels: np.ndarray) -> None:
        predicted = self.predict(time, shot)
        if predicted is None:
            return
        box, tracking = predicted
        candidates, crowded, region = self._candidates(box, pixels, time)
        if not candidates:
            return
        last = self._last
        must_check = (not tracking or crowded or last is None
                      or time - last.checked_at >= self.config.check_every
                      or _looks(candidates[0][0].signature, last.signature) < self.config.same_look)
        if must_check:
            chosen = self._identified(region, candidates, time)
            if chosen is None:
                return
            checked_at = time
        else:
            chosen, checked_at = candidates[0], last.checked_at
        sighting, found = chosen
        velocity = (0.0, 0.0)
        if last is not None and last.shot == shot and time > last.time:
            velocity = tuple((_centre(found)[k] - _centre(last.box)[k]) / (time - last.time) for k in (0, 1))
        self._last = _Last(time, shot, found, velocity, sighting.signature, checked_at)
        self.seen[index] = found

    def lost(self, time: float, shot: int) -> bool:
        """Not followed: no prediction, or missed at the last looks (they may have moved fast). The whole
        video is searched, not only where the index saw them: it misses the small faces of a stage."""
        last = self._last
        missed = last is None or time - last.time >= self.config.missed_looks / self.config.detect_fps
        return missed or self.predict(time, shot) is None

    def _accept(self, mine: float, theirs: float, vector: np.ndarray) -> bool:
        """Whether a face is this member; a clear match also joins the references, so the member is
        then recognised by how they look in this very video (light, make-up, angle)."""
        if mine > self.threshold or mine >= theirs:
            return False
        if mine <= self.threshold * self.config.learn_margin and self.learned < self.config.learned:
            self.member.references = np.vstack([self.member.references, vector[None, :]])
            self.learned += 1
        return True

    def take(self, index: int, time: float, shot: int, chosen: tuple[Sighting, Box]) -> None:
        """Follow a face that a whole-frame search found to be this member."""
        sighting, box = chosen
        self._last = _Last(time, shot, box, (0.0, 0.0), sighting.signature, time)
        self.seen[index] = box

    def _candidates(self, box: Box, pixels: np.ndarray,
                    time: float) -> tuple[list[tuple[Sighting, Box]], bool, np.ndarray]:
        """Faces found in the region around `box` near enough to it (in frame coordinates), and whether
        the region holds another face not known as a stranger: someone close by, so a look alone
        cannot tell who is who."""
        import cv2

        config = self.config
        size = max(box[2] - box[0], box[3] - box[1], 8.0)
        cx, cy = _centre(box)
        reach = size * config.region_faces
        height, width = pixels.shape[:2]
        x0, y0 = max(0, int(cx - reach)), max(0, int(cy - reach))
        x1, y1 = min(width, int(cx + reach)), min(height, int(cy + reach))
        if x1 - x0 < 16 or y1 - y0 < 16:
            return [], False, pixels[:0, :0]
        scale = min(2.5, max(0.3, config.face_px / size))
        region = cv2.resize(pixels[y0:y1, x0:x1], (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))),
                            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        found, others = [], 0
        for sighting in self.model.locate(region):
            b = sighting.box
            frame_box = (x0 + b[0] / scale, y0 + b[1] / scale, x0 + b[2] / scale, y0 + b[3] / scale)
            if self.strangers.known(sighting, frame_box, time):
                continue
            fx, fy = _centre(frame_box)
            found_size = max(frame_box[2] - frame_box[0], frame_box[3] - frame_box[1])
            if (abs(fx - cx) <= size * config.gate_faces and abs(fy - cy) <= size * config.gate_faces
                    and 0.6 <= found_size / size <= 1.6):
                found.append((sighting, frame_box))
            else:
                others += 1
        found.sort(key=lambda item: abs(_centre(item[1])[0] - cx) + abs(_centre(item[1])[1] - cy))
        return found, others + len(found) > 1, region

    def _identified(self, region: np.ndarray, candidates: list[tuple[Sighting, Box]], time: float):
        """The candidate that is this member and nobody else, or None; the others become strangers."""
        vectors = self.model.identify(region, [c[0] for c in candidates])
        return self.choose(candidates, vectors, time)

    def choose(self, candidates: list[tuple[Sighting, Box]], vectors: np.ndarray, time: float):
        """The candidate that is this member (and nobody else), or None; the others become strangers."""
        mine = face_distances(self.model.metric, vectors, self.member.references).min(axis=1)
        theirs = (face_distances(self.model.metric, vectors, self.member.others).min(axis=1)
                  if len(self.member.others) else np.full(len(candidates), np.inf))
        best = int(np.argmin(mine))
        chosen = best if self._accept(float(mine[best]), float(theirs[best]), vectors[best]) else None
        for number, (sighting, box) in enumerate(candidates):
            if number != chosen:
                self.strangers.add(sighting, box, time)
        return None if chosen is None else candidates[chosen]


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _looks(signature: np.ndarray | None, previous: np.ndarray | None) -> float:
    if signature is None or previous is None:
        return 1.0  # a backend without chips: rely on the periodic identity check
    return float(signature @ previous)


@dataclass
class Followed:
    """What one decoding pass learnt: every frame's time and shot, and each member's sightings."""

    times: list[float]
    shots: list[int]
    size: tuple[int, int]
    fps: float
    seen: list[dict[int, Box]]

    @property
    def cuts(self) -> set[int]:
        return {i for i in range(1, len(self.shots)) if self.shots[i] != self.shots[i - 1]}


def _search(model: FaceModel, pixels: np.ndarray, lost: list[Follower], index: int, time: float, shot: int,
            side: int) -> None:
    """Search the whole frame once for every member not being followed; faces a member already knows
    as strangers are not identified again, and a face one member takes is nobody else's."""
    import cv2

    height, width = pixels.shape[:2]
    scale = min(1.0, side / max(height, width))
    small = pixels if scale == 1.0 else cv2.resize(pixels, (round(width * scale), round(height * scale)),
                                                   interpolation=cv2.INTER_AREA)
    found = model.locate(small)
    boxes = [tuple(v / scale for v in s.box) for s in found]
    unknown = {f: [n for n in range(len(found)) if not f.strangers.known(found[n], boxes[n], time)] for f in lost}
    wanted = sorted({n for numbers in unknown.values() for n in numbers})
    if not wanted:
        return
    vectors = dict(zip(wanted, model.identify(small, [found[n] for n in wanted])))
    taken: set[int] = set()
    for follower in lost:
        numbers = [n for n in unknown[follower] if n not in taken]
        if not numbers:
            continue
        chosen = follower.choose([(found[n], boxes[n]) for n in numbers], np.stack([vectors[n] for n in numbers]),
                                 time)
        if chosen is not None:
            number = numbers[[found[n] for n in numbers].index(chosen[0])]
            taken.add(number)
            follower.take(index, time, shot, chosen)


def decoded(video: Path) -> Iterator[tuple[int, float, object, object]]:
    """(index, time, frame, stream) for every frame, timed as the index times them."""
    container, stream = open_video(video)
    with container:
        fps = float(stream.average_rate or stream.guessed_rate or 25.0)
        origin = time_origin(container)
        for index, frame in enumerate(container.decode(stream)):
            yield index, frame_time(frame, stream, origin, index / fps), frame, stream


def pixels_of(frame, rotation: int) -> np.ndarray:
    """A frame as RGB, turned upright as the indexer turned it (its boxes are upright)."""
    pixels = frame.to_ndarray(format="rgb24")
    return np.ascontiguousarray(np.rot90(pixels, rotation // 90)) if rotation % 360 else pixels


def follow(video: Path, members: list[Member], model: FaceModel, threshold: float, shot_starts: list[float], *,
           rotation: int = 0, config: FollowConfig = FollowConfig(),
           progress: Callable[[float], None] | None = None) -> Followed:
    """Decode the video once and follow every member through it."""
    followers = [Follower(member, model, threshold, config) for member in members]
    times: list[float] = []
    shots: list[int] = []
    fps, size, duration, every, searched = 25.0, (0, 0), 0.0, 1, -np.inf
    for index, time, frame, stream in decoded(video):
        if index == 0:
            fps = float(stream.average_rate or stream.guessed_rate or 25.0)
            every = max(1, round(fps / config.detect_fps))
            duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
            size = (frame.width, frame.height) if rotation % 180 == 0 else (frame.height, frame.width)
        shot = max(0, bisect.bisect_right(shot_starts, time + 1e-6) - 1)
        times.append(time)
        shots.append(shot)
        lookers = followers if index % every == 0 else []
        if lookers:
            pixels = pixels_of(frame, rotation)
            for follower in lookers:
                follower.look(index, time, shot, pixels)
            lost = [f for f in lookers if index not in f.seen and f.lost(time, shot)]
            if lost and time - searched >= config.search_every:
                searched = time
                _search(model, pixels, lost, index, time, shot, config.search_side)
        if progress is not None and duration and index % 25 == 0:
            progress(min(1.0, time / duration))
    return Followed(times, shots, size, fps, [f.seen for f in followers])
