"""Video decoding and sampling with PyAV; shot boundaries from PySceneDetect.

Two passes over the stream. The first decodes every frame at thumbnail size,
records its time stamp (pts × time_base, so variable frame rates come out
right) and feeds PySceneDetect's ContentDetector. The sampling plan is then a
pure function of those times and cuts. The second pass decodes again and keeps
the planned frames at full size. Decoding is cheap next to CLIP and face
models, and two passes keep memory flat for any length of video.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from indexer.errors import MediaError
from indexer.records import Shot

SCAN_WIDTH = 256  # frames are scored for cuts at this width


@dataclass(frozen=True)
class SamplingConfig:
    rate: float = 1.0  # samples per second within a shot; each shot's first frame is always taken
    scene_threshold: float = 27.0  # ContentDetector's default
    min_shot_seconds: float = 0.5
    black_luma: float = 18.0  # mean luma (0-255) below which a frame is near-black
    duplicate_difference: float = 2.0  # mean abs grey difference (0-255) at 32×32 to the last kept sample


@dataclass
class VideoScan:
    """What the first pass learned: stream facts, every frame's time, and the cuts."""

    duration: float
    fps: float
    width: int
    height: int
    codec: str
    rotation: int
    frame_times: list[float] = field(default_factory=list)
    cut_frames: list[int] = field(default_factory=list)  # frame indices that start a new shot
    error: str = ""


@dataclass(frozen=True, slots=True)
class PlannedSample:
    frame: int  # index in decode order
    time: float
    shot: int
    shot_start: bool


def _open(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(path, f"not a readable video ({exc})") from None
    if not container.streams.video:
        kind = "audio only" if container.streams.audio else "no streams"
        container.close()
        raise MediaError(path, f"no video stream ({kind})")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame threads: decoding keeps up with a busy CPU
    return container, stream


def _origin(container) -> float:
    """The container's start time: frame times are measured from it, as players and ffmpeg -ss do."""
    return (container.start_time or 0) / 1_000_000


def _frame_time(frame, stream, origin: float, fallback: float) -> float:
    if frame.pts is None:
        return fallback
    return max(0.0, float(frame.pts * stream.time_base) - origin)


def scan_video(path: Path, config: SamplingConfig = SamplingConfig()) -> VideoScan:
    """Pass one: stream facts, frame times and shot cuts. Damage ends the scan, not the video."""
    import av
    from scenedetect import ContentDetector
    from scenedetect.common import FrameTimecode

    container, stream = _open(path)
    with container:
        fps = float(stream.average_rate or stream.guessed_rate or 25.0)
        codec = stream.codec_context.name
        scan = VideoScan(duration=0.0, fps=fps, width=stream.width, height=stream.height, codec=codec, rotation=0)
        detector = ContentDetector(
            threshold=config.scene_threshold, min_scene_len=max(1, round(config.min_shot_seconds * fps))
        )
        index = -1
        origin = _origin(container)
        try:
            for index, frame in enumerate(container.decode(stream)):
                if index == 0:
                    scan.rotation = int(getattr(frame, "rotation", 0) or 0) % 360
                time = _frame_time(frame, stream, origin, index / fps)
                scan.frame_times.append(time)
                height = max(2, round(SCAN_WIDTH * frame.height / max(frame.width, 1) / 2) * 2)
                small = frame.to_ndarray(format="bgr24", width=SCAN_WIDTH, height=height)
                for cut in detector.process_frame(FrameTimecode(index, fps=fps), small):
                    scan.cut_frames.append(int(cut.frame_num))
            if index >= 0 and hasattr(detector, "post_process"):
                for cut in detector.post_process(FrameTimecode(index, fps=fps)) or []:
                    scan.cut_frames.append(int(cut.frame_num))
        except (av.error.FFmpegError, ValueError) as exc:
            scan.error = f"decoding stopped at {scan.frame_times[-1] if scan.frame_times else 0:.2f} s: {exc}"
        if not scan.frame_times:
            raise MediaError(path, f"no decodable video frames{': ' + scan.error if scan.error else ''}")
        if container.duration:
            declared = container.duration / 1_000_000
        elif stream.duration:
            declared = float(stream.duration * stream.time_base)
        else:
            declared = 0.0
        last_frame_end = scan.frame_times[-1] + 1.0 / fps
        if not scan.error and declared and last_frame_end < declared * 0.95 - 0.5:
            # Demuxers end quietly at a truncated file's end; the declared length tells.
            scan.error = f"frames end at {last_frame_end:.2f} s of {declared:.2f} s declared: file truncated"
        scan.duration = last_frame_end if scan.error or not declared else max(declared, last_frame_end)
        scan.cut_frames = sorted({c for c in scan.cut_frames if 0 < c < len(scan.frame_times)})
    return scan


def shots_from_cuts(frame_times: list[float], cut_frames: list[int], duration: float) -> list[Shot]:
    """Shots as [start, end) spans in seconds, from the frames that start them."""
    starts = [0] + [c for c in cut_frames if 0 < c < len(frame_times)]
    shots = []
    for number, first in enumerate(starts):
        end = frame_times[starts[number + 1]] if number + 1 < len(starts) else duration
        shots.append(Shot(number, frame_times[first], end))
    return shots


def plan_samples(frame_times: list[float], cut_frames: list[int], rate: float) -> list[PlannedSample]:
    """Each shot's first frame, then one frame per 1/rate seconds within the shot."""
    if rate <= 0:
        raise ValueError("sampling rate must be positive")
    cuts = set(cut_frames)
    interval = 1.0 / rate
    plan: list[PlannedSample] = []
    shot = -1
    next_time = 0.0
    for index, time in enumerate(frame_times):
        if index == 0 or index in cuts:
            shot += 1
            plan.append(PlannedSample(index, time, shot, True))
            next_time = time + interval
        elif time >= next_time - 1e-6:
            plan.append(PlannedSample(index, time, shot, False))
            next_time += interval * max(1, int((time - next_time) // interval) + 1)
    return plan


def read_samples(
    path: Path, plan: list[PlannedSample], rotation: int = 0, config: SamplingConfig = SamplingConfig()
) -> Iterator[tuple[PlannedSample, "object | None"]]:
    """Pass two: decode again and yield (sample, RGB image) for the planned frames worth keeping.

    Near-black frames are dropped. A near-duplicate of the previous kept frame
    in the same shot yields (sample, None): nothing new to analyse, but what
    was on screen is still there, which keeps time spans honest. When a shot's
    first frame is dropped, its next kept frame becomes the shot's keyframe.
    """
    import av
    from PIL import Image

    wanted = {sample.frame: sample for sample in plan}
    if not wanted:
        return
    last_frame = max(wanted)
    previous: np.ndarray | None = None
    keyframe_pending: set[int] = set()
    container, stream = _open(path)
    with container:
        try:
            for index, frame in enumerate(container.decode(stream)):
                sample = wanted.get(index)
                if sample is not None:
                    grey = frame.to_ndarray(format="gray", width=32, height=32).astype(np.float32)
                    if grey.mean() < config.black_luma and grey.std() < 12:
                        if sample.shot_start:
                            keyframe_pending.add(sample.shot)
                        continue
                    starts_shot = sample.shot_start or sample.shot in keyframe_pending
                    if (
                        not starts_shot
                        and previous is not None
                        and np.abs(grey - previous).mean() < config.duplicate_difference
                    ):
                        yield sample, None
                        continue
                    keyframe_pending.discard(sample.shot)
                    previous = grey
                    image = frame.to_image()
                    if rotation:
                        image = image.rotate(rotation, expand=True)
                    if starts_shot and not sample.shot_start:
                        sample = PlannedSample(sample.frame, sample.time, sample.shot, True)
                    yield sample, image
                if index >= last_frame:
                    break
        except (av.error.FFmpegError, ValueError):
            return  # the scan already recorded the damage
