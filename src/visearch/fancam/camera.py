"""The virtual camera of a fancam: where to crop each frame. Pure functions, no I/O.

The input is one person's face box per frame (None where they were not seen).
A face becomes a body box by a dancer's proportions, the body box a wanted
crop, and the wanted crop is followed by a critically damped spring with a
dead zone and limits on speed and acceleration, as broadcast auto-framing
does. The spring is fed the wanted crop a little ahead of time (the render is
offline), which cancels its lag on a steadily moving dancer; a last check
keeps the whole body inside the crop whatever the spring did.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in source pixels

HEAD_PER_FACE = 1.3  # a detector's face box (brows to chin) is about 3/4 of the head's height
BODY_HEADS = 7.5  # a dancer is about seven heads tall; half a head more for raised hands and hair
BODY_WIDTH_HEADS = 3.0  # shoulders are two heads wide; arms add the rest


@dataclass(frozen=True, slots=True)
class CameraConfig:
    aspect: float = 9 / 16  # output width / height
    margin: float = 1.12  # crop height over the body's height
    dead_zone: float = 0.04  # of the crop's height: smaller moves of the body do not move the camera
    omega: float = 4.0  # rad/s: the spring's natural frequency (critically damped)
    zoom_omega: float = 3.0
    max_speed: float = 1.2  # crop heights per second
    max_accel: float = 4.0  # crop heights per second²
    hold: float = 1.2  # s: a gap in sightings this short is bridged (occlusion, a turn away)
    min_height: float = 64.0  # px: never zoom in further than this


@dataclass(frozen=True, slots=True)
class Crop:
    cx: float
    cy: float
    height: float
    aspect: float

    @property
    def width(self) -> float:
        return self.height * self.aspect

    @property
    def box(self) -> Box:
        half_w, half_h = self.width / 2, self.height / 2
        return self.cx - half_w, self.cy - half_h, self.cx + half_w, self.cy + half_h


def body_box(face: Box, frame: tuple[int, int]) -> Box:
    """The box a dancer's body fills, from their face box, cut to the frame."""
    x0, y0, x1, y1 = face
    head = (y1 - y0) * HEAD_PER_FACE
    cx = (x0 + x1) / 2
    top = y0 - (head - (y1 - y0)) * 0.7  # most of the missing head is above the brows
    width, height = frame
    return (max(0.0, cx - head * BODY_WIDTH_HEADS / 2), max(0.0, top),
            min(float(width), cx + head * BODY_WIDTH_HEADS / 2), min(float(height), top + head * BODY_HEADS))


def largest_crop(frame: tuple[int, int], aspect: float) -> float:
    """The tallest crop of this aspect that fits in the frame."""
    width, height = frame
    return min(float(height), width / aspect)


def whole_stage(frame: tuple[int, int], aspect: float) -> float:
    """The height of the smallest crop of this aspect that shows the whole frame (with bars)."""
    width, height = frame
    return max(float(height), width / aspect)


def fit(crop: Crop, frame: tuple[int, int]) -> Crop:
    """The crop moved to lie inside the frame along each axis it is shorter than; centred on the
    frame along an axis it overhangs (the wide shot, with bars), never larger than the whole stage."""
    height = min(crop.height, whole_stage(frame, crop.aspect))
    half_w, half_h = height * crop.aspect / 2, height / 2
    width_f, height_f = frame
    cx = width_f / 2 if 2 * half_w >= width_f else min(max(crop.cx, half_w), width_f - half_w)
    cy = height_f / 2 if 2 * half_h >= height_f else min(max(crop.cy, half_h), height_f - half_h)
    return Crop(cx, cy, height, crop.aspect)


def wanted_crop(body: Box | None, frame: tuple[int, int], config: CameraConfig) -> Crop:
    """The crop that frames the body; with no body, the whole stage: a person who left (or is
    hidden for long) is not replaced by whoever stands where they were."""
    widest = largest_crop(frame, config.aspect)
    if body is None:
        return Crop(frame[0] / 2, frame[1] / 2, whole_stage(frame, config.aspect), config.aspect)
    x0, y0, x1, y1 = body
    height = max((y1 - y0) * config.margin, (x1 - x0) * config.margin / config.aspect, config.min_height)
    return fit(Crop((x0 + x1) / 2, (y0 + y1) / 2, min(height, widest), config.aspect), frame)  # no bars on a close-up


def bridged(a: Box, b: Box, seconds: float, hold: float, width: float) -> bool:
    """Whether the person seen at `a` and `seconds` later at `b` was there all along: a short gap, or
    a longer one (hidden behind someone, turned away) across which they moved no faster than a
    dancer walks, up to BRIDGE_SECONDS, unless they were last seen at the edge: then they left."""
    if seconds <= hold:
        return True
    size = max(a[3] - a[1], b[3] - b[1], 1.0)
    if min(a[0], width - a[2]) < 2 * size or min(b[0], width - b[2]) < 2 * size:
        return False
    moved = math.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2)
    return seconds <= BRIDGE_SECONDS and moved <= max(3 * size, BRIDGE_SPEED * size * seconds)


BRIDGE_SPEED = 4.0  # face sizes per second
BRIDGE_SECONDS = 4.0


def fill_gaps(seen: dict[int, Box], frames: int, cuts: set[int], fps: float, hold: float,
              width: float) -> list[Box | None]:
    """A box for every frame: sightings, linear between two sightings that `bridged` joins within one
    shot (a brief occlusion or turn), None elsewhere. A cut (the first frame of a shot) is never
    bridged."""
    boxes: list[Box | None] = [None] * frames
    known = sorted(i for i in seen if 0 <= i < frames)
    for index in known:
        boxes[index] = seen[index]
    for before, after in zip(known, known[1:]):
        gap = after - before
        if (gap <= 1 or not bridged(seen[before], seen[after], gap / fps, hold, width)
                or any(before < cut <= after for cut in cuts)):
            continue
        a, b = seen[before], seen[after]
        for index in range(before + 1, after):
            t = (index - before) / gap
            boxes[index] = tuple(p + (q - p) * t for p, q in zip(a, b))
    return boxes


def extend_edges(boxes: list[Box | None], cuts: set[int], frames_each_side: int) -> list[Box | None]:
    """Hold the first and last sighting of each run a little longer (sightings are a few per
    second: the person was there until the next look), never across a cut."""
    out = list(boxes)
    for index, box in enumerate(boxes):
        if box is None:
            continue
        for step in (-1, 1):
            for offset in range(1, frames_each_side + 1):
                other = index + step * offset
                crossing = other if step > 0 else other + 1
                if not 0 <= other < len(boxes) or boxes[other] is not None or crossing in cuts:
                    break
                if out[other] is None:
                    out[other] = box
    return out


def _spring(position: float, velocity: float, target: float, omega: float, dead: float,
            max_speed: float, max_accel: float, dt: float) -> tuple[float, float]:
    error = target - position
    error = 0.0 if abs(error) <= dead else error - math.copysign(dead, error)
    accel = omega * omega * error - 2 * omega * velocity
    accel = max(-max_accel, min(max_accel, accel))
    velocity = max(-max_speed, min(max_speed, velocity + accel * dt))
    return position + velocity * dt, velocity


def frame_path(faces: list[Box | None], frame: tuple[int, int], fps: float, cuts: set[int],
               config: CameraConfig) -> list[Crop]:
    """The camera's crop for every frame, given the person's face box per frame (gaps filled)."""
    bodies = [None if face is None else body_box(face, frame) for face in faces]
    wanted = [wanted_crop(body, frame, config) for body in bodies]
    lead = max(0, round(2.0 / config.omega * fps))  # a critically damped spring lags 2/ω behind a ramp
    dt = 1.0 / fps
    crops: list[Crop] = []
    state = None
    for index in range(len(faces)):
        ahead = index  # look ahead within the shot, and while the person is seen, only while they are
        while (ahead < min(len(faces) - 1, index + lead) and ahead + 1 not in cuts
               and (bodies[index] is None or bodies[ahead + 1] is not None)):
            ahead += 1
        goal = wanted[ahead]
        if state is None or index in cuts:
            state = [goal.cx, 0.0, goal.cy, 0.0, goal.height, 0.0]  # a cut: the camera jumps
        else:
            scale = state[4]
            state[0], state[1] = _spring(state[0], state[1], goal.cx, config.omega, config.dead_zone * scale,
                                         config.max_speed * scale, config.max_accel * scale, dt)
            state[2], state[3] = _spring(state[2], state[3], goal.cy, config.omega, config.dead_zone * scale,
                                         config.max_speed * scale, config.max_accel * scale, dt)
            state[4], state[5] = _spring(state[4], state[5], goal.height, config.zoom_omega, 0.0,
                                         config.max_speed * scale, config.max_accel * scale, dt)
        crop = fit(Crop(state[0], state[2], state[4], config.aspect), frame)
        crop = contain(crop, bodies[index], frame)
        state[0], state[2], state[4] = crop.cx, crop.cy, crop.height
        crops.append(crop)
    return crops


def contain(crop: Crop, body: Box | None, frame: tuple[int, int]) -> Crop:
    """The crop, moved or widened just enough to hold the whole body (the safety net)."""
    if body is None:
        return crop
    x0, y0, x1, y1 = body
    needed = min(max((y1 - y0) * 1.02, (x1 - x0) * 1.02 / crop.aspect), largest_crop(frame, crop.aspect))
    crop = fit(Crop(crop.cx, crop.cy, max(crop.height, needed), crop.aspect), frame)
    bx0, by0, bx1, by1 = crop.box
    dx = min(0.0, x0 - bx0) + max(0.0, x1 - bx1)
    dy = min(0.0, y0 - by0) + max(0.0, y1 - by1)
    return fit(Crop(crop.cx + dx, crop.cy + dy, crop.height, crop.aspect), frame)


def jerk_p95(values: list[float]) -> float:
    """The 95th percentile of |third difference| (px/frame³): how shaky a path is."""
    if len(values) < 4:
        return 0.0
    third = [abs(values[i + 3] - 3 * values[i + 2] + 3 * values[i + 1] - values[i]) for i in range(len(values) - 3)]
    third.sort()
    return third[min(len(third) - 1, int(0.95 * len(third)))]


def parse_aspect(text: str) -> float:
    """'9:16' → 0.5625 (width over height)."""
    try:
        width, height = (float(part) for part in text.split(":"))
    except ValueError:
        raise ValueError(f"aspect '{text}': write it as W:H, e.g. 9:16") from None
    if not (width > 0 and height > 0) or not 0.2 <= width / height <= 5:
        raise ValueError(f"aspect '{text}': must be between 1:5 and 5:1")
    return width / height
