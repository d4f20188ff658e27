"""One frame of a video at a time, decoded from the original file at full resolution: what "shop this frame"
and a frame's cut-out look at (not a thumbnail, not the indexer's sampled copy)."""
from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from visearch.errors import N_
from visearch.indexer.errors import InvalidInput

_CLOCK = re.compile(r"^(?:(?:(?P<h>\d+):)?(?P<m>\d+):)?(?P<s>\d+(?:\.\d+)?)$")


def parse_seconds(text: str) -> float:
    """`12.5`, `00:12.5` or `1:02:03.5` → seconds. InvalidInput otherwise. Pure."""
    found = _CLOCK.match((text or "").strip())
    if not found:
        raise InvalidInput(N_("time: %(text)s is not a time (seconds like 12.5, or 00:12.5)"), code="time_not_a_time",
                           text=f'{text!r}')
    hours, minutes = int(found["h"] or 0), int(found["m"] or 0)
    if found["m"] is not None and int(found["m"]) >= 60 and found["h"] is not None:
        raise InvalidInput(N_("time: %(text)s has more than 59 minutes"), code="time_minutes", text=f'{text!r}')
    return hours * 3600 + minutes * 60 + float(found["s"])


def parse_moment(text: str) -> tuple[str, float]:
    """`VIDEO@SECONDS` → (the video as typed: a path or an id, seconds). Pure."""
    video, at, when = (text or "").rpartition("@")
    if not at or not video:
        raise InvalidInput(N_("frame: %(text)s is not VIDEO@SECONDS (e.g. show.mp4@12.5 or 3@00:12.5)"),
                           code="frame_not_moment", text=f'{text!r}')
    return video, parse_seconds(when)


def frame_at(path: Path, seconds: float, *, duration: float = 0.0, rotation: int = 0) -> Image.Image:
    """The frame on screen at `seconds`, upright, as RGB. InvalidInput past the end or before the start."""
    import numpy as np

    from visearch.indexer.video import frame_time, open_video, time_origin

    if seconds < 0 or (duration and seconds > duration):
        raise InvalidInput(N_("time: %(seconds)s s is outside %(name)s (0 to %(duration)s s)"),
                           code="time_outside_video", seconds=f'{seconds:.3f}', name=Path(path).name,
                           duration=f'{duration:.3f}')
    container, stream = open_video(Path(path))
    with container:
        origin = time_origin(container)
        fps = float(stream.average_rate or stream.guessed_rate or 25.0)
        if stream.time_base:
            container.seek(int((seconds + origin) / stream.time_base), stream=stream, backward=True, any_frame=False)
        shown = None
        for index, frame in enumerate(container.decode(stream)):
            if frame_time(frame, stream, origin, index / fps) > seconds + 0.5 / fps and shown is not None:
                break
            shown = frame
        if shown is None:
            raise InvalidInput(N_("time: %(name)s has no frame at %(seconds)s s"), code="time_no_frame",
                               name=Path(path).name, seconds=f'{seconds:.3f}')
        pixels = shown.to_ndarray(format="rgb24")
    if rotation % 360:
        pixels = np.ascontiguousarray(np.rot90(pixels, rotation // 90))
    return Image.fromarray(pixels)
