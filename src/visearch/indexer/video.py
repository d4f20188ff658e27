"""Video decoding and sampling with PyAV; shot boundaries from PySceneDetect.

One pass over the stream: each frame's time stamp comes from the stream
(pts × time_base, so variable frame rates come out right), each frame is
scored for cuts by PySceneDetect's ContentDetector at 256 px (sampled from its planes), and a sampling
planner takes each shot's first frame plus one frame per second.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from visearch.errors import N_
from visearch.indexer.errors import MediaError
from visearch.indexer.records import Shot
from visearch.indexer.taken import video_time

SCAN_WIDTH = 256  # frames are scored for cuts at this width
MAX_DAMAGED = 50  # packets in a row that will not decode: the rest of the file is beyond reach


@dataclass(frozen=True)
class SamplingConfig:
    rate: float = 1.0  # samples per second within a shot; each shot's first frame is always taken
    scene_threshold: float = 27.0  # ContentDetector's default
    min_shot_seconds: float = 0.5
    black_luma: float = 18.0  # mean luma (0-255) below which a frame is near-black
    duplicate_difference: float = 2.0  # mean abs grey difference (0-255) at 64×64 to the last kept sample
    local_difference: float = 24.0  # ...and no 64×64 cell differs by this: a caption, a clock's digit is a change


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
    damaged: int = 0  # packets that would not decode and were skipped (the frames after them are kept)
    taken: str = ""  # the container's creation time (indexer/taken.py)


@dataclass(frozen=True, slots=True)
class PlannedSample:
    frame: int  # index in decode order
    time: float
    shot: int
    shot_start: bool


def open_video(path: Path):
    """The container and its first video stream, or a MediaError that names the file and says why."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(path, N_("not a readable video (%(detail)s)"), code="video_unreadable", detail=exc) from None
    if not container.streams.video:
        kind = "audio only" if container.streams.audio else "no streams"
        container.close()
        raise MediaError(path, N_("no video stream (%(kind)s)"), code="video_no_stream", kind=kind)
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame threads: decoding keeps up with a busy CPU
    return container, stream


def time_origin(container) -> float:
    """The container's start time: frame times are measured from it, as players and ffmpeg -ss do."""
    return (container.start_time or 0) / 1_000_000


def frame_time(frame, stream, origin: float, fallback: float) -> float:
    """A decoded frame's time in seconds from the container's start: what the index records."""
    if frame.pts is None:
        return fallback
    return max(0.0, float(frame.pts * stream.time_base) - origin)


class VideoSampler:
    """One decode pass: shot detection, sampling, and near-black / near-duplicate filtering.

    Iterating yields (sample, RGB image) for the frames worth analysing, and
    (sample, None) for near-duplicates of the previous kept frame in the same
    shot (nothing new to analyse, but what was on screen is still there, which
    keeps time spans honest). Every frame is scored for cuts at 256 px; frames
    wait in a short buffer (the detector's minimum shot length) before the
    sampling decision, so a cut reported a few frames late still starts its
    shot on the right frame. `scan` holds the stream facts, frame times and
    cuts; it is complete when the iteration ends. Damage ends the pass, not
    the video: what was decoded before it is kept and `scan.error` says why.
    """

    def __init__(self, path: Path, config: SamplingConfig = SamplingConfig()) -> None:
        self.path = path
        self.config = config
        self.scan: VideoScan | None = None

    def __iter__(self) -> Iterator[tuple[PlannedSample, "object | None"]]:
        import av
        from scenedetect import ContentDetector
        from scenedetect.common import FrameTimecode

        config = self.config
        container, stream = open_video(self.path)
        with container:
            fps = float(stream.average_rate or stream.guessed_rate or 25.0)
            scan = self.scan = VideoScan(duration=0.0, fps=fps, width=stream.width, height=stream.height,
                                         codec=stream.codec_context.name, rotation=0,
                                         taken=video_time({**stream.metadata, **container.metadata}))
            delay = max(1, round(config.min_shot_seconds * fps))
            detector = ContentDetector(threshold=config.scene_threshold, min_scene_len=delay)
            planner = SamplePlanner(config.rate)
            keeper = _Keeper(config)
            cuts: set[int] = set()
            waiting: deque = deque()
            origin = time_origin(container)
            index = -1
            try:
                for index, frame in enumerate(decode_frames(container, stream, scan)):
                    if index == 0:
                        scan.rotation = int(getattr(frame, "rotation", 0) or 0) % 360
                    scan.frame_times.append(frame_time(frame, stream, origin, index / fps))
                    small = scan_pixels(frame, SCAN_WIDTH)
                    cuts.update(int(c.frame_num) for c in detector.process_frame(FrameTimecode(index, fps=fps), small))
                    waiting.append((index, frame))
                    while waiting and waiting[0][0] <= index - delay:
                        yield from self._decide(waiting.popleft(), planner, keeper, cuts, scan)
                if index >= 0 and hasattr(detector, "post_process"):
                    cuts.update(int(c.frame_num) for c in detector.post_process(FrameTimecode(index, fps=fps)) or [])
            except (av.error.FFmpegError, ValueError) as exc:
                at = scan.frame_times[-1] if scan.frame_times else 0.0
                scan.error = f"decoding stopped at {at:.2f} s: {exc}"
            while waiting:
                yield from self._decide(waiting.popleft(), planner, keeper, cuts, scan)
            if not scan.frame_times:
                raise MediaError(self.path, N_("no decodable video frames%(detail)s"), code="video_no_frames",
                                 detail=": " + scan.error if scan.error else "")
            _finish(scan, container, stream, cuts)

    def _decide(self, entry, planner: "SamplePlanner", keeper: "_Keeper", cuts: set[int], scan: VideoScan):
        index, frame = entry
        sample = planner.feed(index, scan.frame_times[index], index in cuts)
        if sample is not None:
            kept = keeper.judge(sample, frame, scan.rotation)
            if kept is not None:
                yield kept


def decode_frames(container, stream, scan: VideoScan) -> Iterator:
    """The stream's frames in order, skipping packets that will not decode (counted in `scan.damaged`);
    MAX_DAMAGED in a row is damage the decoder cannot get past, and ends the pass."""
    import av

    in_a_row = 0
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            scan.damaged, in_a_row = scan.damaged + 1, in_a_row + 1
            if in_a_row >= MAX_DAMAGED:
                raise
            continue
        in_a_row = 0
        yield from frames


def scan_pixels(frame, width: int) -> np.ndarray:
    """The frame as BGR at `width` px wide, for cut scoring, which needs no finesse.

    Planar 4:2:0 frames (nearly all video) are sampled straight from their planes: half the
    time of FFmpeg's scaler, which took ~0.6 s of the main thread's ~2 s on a 35 s 720p video.
    Other formats go through the scaler.
    """
    import cv2

    height = max(2, round(width * frame.height / max(frame.width, 1) / 2) * 2)
    if frame.format.name not in ("yuv420p", "yuvj420p"):
        return frame.to_ndarray(format="bgr24", width=width, height=height, interpolation="FAST_BILINEAR")
    size = (width, height)
    chroma = ((frame.width + 1) // 2, (frame.height + 1) // 2)
    planes = [_plane(frame, 0, frame.width, frame.height), _plane(frame, 1, *chroma), _plane(frame, 2, *chroma)]
    small = [cv2.resize(plane, size, interpolation=cv2.INTER_NEAREST) for plane in planes]
    return cv2.cvtColor(cv2.merge(small), cv2.COLOR_YUV2BGR)


def _plane(frame, number: int, width: int, height: int) -> np.ndarray:
    plane = frame.planes[number]
    return np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:height, :width]


def scan_video(path: Path, config: SamplingConfig = SamplingConfig()) -> VideoScan:
    """Stream facts, frame times and shot cuts (the sampling pass, with its samples dropped)."""
    sampler = VideoSampler(path, config)
    for _ in sampler:
        pass
    return sampler.scan


def _finish(scan: VideoScan, container, stream, cuts: set[int]) -> None:
    if container.duration:
        declared = container.duration / 1_000_000
    elif stream.duration:
        declared = float(stream.duration * stream.time_base)
    else:
        declared = 0.0
    last_frame_end = scan.frame_times[-1] + 1.0 / scan.fps
    if not scan.error and declared and last_frame_end < declared * 0.95 - 0.5:
        # Demuxers end quietly at a truncated file's end; the declared length tells.
        scan.error = f"frames end at {last_frame_end:.2f} s of {declared:.2f} s declared: file truncated"
    scan.duration = last_frame_end if scan.error or not declared else max(declared, last_frame_end)
    scan.cut_frames = sorted(c for c in cuts if 0 < c < len(scan.frame_times))


class SamplePlanner:
    """Each shot's first frame, then one frame per 1/rate seconds within the shot."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("sampling rate must be positive")
        self.interval = 1.0 / rate
        self.shot = -1
        self.next_time = 0.0

    def feed(self, index: int, time: float, cut: bool) -> PlannedSample | None:
        if index == 0 or cut:
            self.shot += 1
            self.next_time = time + self.interval
            return PlannedSample(index, time, self.shot, True)
        if time >= self.next_time - 1e-6:
            self.next_time += self.interval * max(1, int((time - self.next_time) // self.interval) + 1)
            return PlannedSample(index, time, self.shot, False)
        return None


class _Keeper:
    """Drops near-black samples and marks near-duplicates; a shot whose first sample was black
    gets its next kept sample as keyframe."""

    def __init__(self, config: SamplingConfig) -> None:
        self.config = config
        self.previous: np.ndarray | None = None
        self.keyframe_pending: set[int] = set()

    def judge(self, sample: PlannedSample, frame, rotation: int):
        grey = frame.to_ndarray(format="gray", width=64, height=64).astype(np.float32)
        if grey.mean() < self.config.black_luma and grey.std() < 12:
            if sample.shot_start:
                self.keyframe_pending.add(sample.shot)
            return None
        starts_shot = sample.shot_start or sample.shot in self.keyframe_pending
        if not starts_shot and self.previous is not None:
            difference = np.abs(grey - self.previous)
            if difference.mean() < self.config.duplicate_difference and difference.max() < self.config.local_difference:
                return sample, None
        self.keyframe_pending.discard(sample.shot)
        self.previous = grey
        image = frame.to_image()
        if rotation:
            image = image.rotate(rotation, expand=True)
        if starts_shot and not sample.shot_start:
            sample = PlannedSample(sample.frame, sample.time, sample.shot, True)
        return sample, image


def shots_from_cuts(frame_times: list[float], cut_frames: list[int], duration: float) -> list[Shot]:
    """Shots as [start, end) spans in seconds, from the frames that start them."""
    starts = [0] + [c for c in cut_frames if 0 < c < len(frame_times)]
    shots = []
    for number, first in enumerate(starts):
        end = frame_times[starts[number + 1]] if number + 1 < len(starts) else duration
        shots.append(Shot(number, frame_times[first], end))
    return shots


def plan_samples(frame_times: list[float], cut_frames: list[int], rate: float) -> list[PlannedSample]:
    """The sampling plan for known frame times and cuts (what the sampler decides frame by frame)."""
    planner = SamplePlanner(rate)
    cuts = set(cut_frames)
    planned = (planner.feed(index, time, index in cuts) for index, time in enumerate(frame_times))
    return [sample for sample in planned if sample is not None]
