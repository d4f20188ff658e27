"""Sampled video frames → CLIP vectors, faces (linked into tracks) and OCR on shot keyframes."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from indexer.images import make_thumbnail
from indexer.models.clip import ClipEncoder
from indexer.models.faces import FaceModel
from indexer.models.ocr import OcrModel
from indexer.records import FrameRecord, SourceFile, VideoRecord
from indexer.tracking import link_tracks
from indexer.video import SamplingConfig, plan_samples, read_samples, scan_video, shots_from_cuts


@dataclass(frozen=True)
class VideoConfig:
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    ocr_every_frame: bool = False  # default: OCR only each shot's keyframe
    batch_size: int = 16
    thumbnail_size: int = 256


@dataclass
class VideoTimes:
    scan: float = 0.0
    decode: float = 0.0
    clip: float = 0.0
    faces: float = 0.0
    ocr: float = 0.0
    seconds_of_video: float = 0.0
    frames: int = 0


class VideoPipeline:
    def __init__(
        self,
        encoder: ClipEncoder,
        ocr: OcrModel | None = None,
        faces: FaceModel | None = None,
        config: VideoConfig = VideoConfig(),
    ) -> None:
        self.encoder = encoder
        self.ocr = ocr
        self.faces = faces
        self.config = config
        self.times = VideoTimes()

    def process(self, source: SourceFile, fmt: str = "") -> VideoRecord:
        """Raises MediaError when nothing can be decoded; partial damage is kept in `record.error`."""
        import torch

        started = time.perf_counter()
        scan = scan_video(source.path, self.config.sampling)
        self.times.scan += time.perf_counter() - started
        record = VideoRecord(
            source=source, format=fmt, duration=scan.duration, fps=scan.fps, width=scan.width,
            height=scan.height, codec=scan.codec, rotation=scan.rotation, error=scan.error,
            shots=shots_from_cuts(scan.frame_times, scan.cut_frames, scan.duration),
        )
        plan = plan_samples(scan.frame_times, scan.cut_frames, self.config.sampling.rate)
        pending: list[tuple[FrameRecord, object]] = []

        def encode() -> None:
            began = time.perf_counter()
            vectors = self.encoder.encode_pixels(torch.stack([pixels for _, pixels in pending]))
            for (frame, _), vector in zip(pending, vectors):
                frame.embedding = vector
            self.times.clip += time.perf_counter() - began
            pending.clear()

        began = time.perf_counter()
        for sample, image in read_samples(source.path, plan, scan.rotation, self.config.sampling):
            self.times.decode += time.perf_counter() - began
            if image is None:  # a near-duplicate: the last frame's content lasts until now
                if record.frames and record.frames[-1].shot == sample.shot:
                    record.frames[-1].until = sample.time
                began = time.perf_counter()
                continue
            frame = FrameRecord(sample.time, sample.shot, sample.shot_start, image.width, image.height)
            frame.thumbnail = make_thumbnail(image, self.config.thumbnail_size)
            if self.faces is not None:
                began = time.perf_counter()
                frame.faces = self.faces.detect(image)
                self.times.faces += time.perf_counter() - began
            if self.ocr is not None and (sample.shot_start or self.config.ocr_every_frame):
                began = time.perf_counter()
                frame.ocr = self.ocr.read(image)
                self.times.ocr += time.perf_counter() - began
            began = time.perf_counter()
            pending.append((frame, self.encoder.preprocess(image)))
            self.times.clip += time.perf_counter() - began
            record.frames.append(frame)
            if len(pending) >= self.config.batch_size:
                encode()
            began = time.perf_counter()
        if pending:
            encode()
        if self.faces is not None:
            record.tracks = link_tracks(record.frames, self.faces.metric, self.faces.same_person)
        self.times.seconds_of_video += record.duration
        self.times.frames += len(record.frames)
        return record
