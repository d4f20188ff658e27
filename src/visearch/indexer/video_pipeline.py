"""Sampled video frames → CLIP vectors, faces (linked into tracks) and OCR on shot keyframes."""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from visearch.indexer.images import make_thumbnail
from visearch.indexer.models.clip import ClipEncoder
from visearch.indexer.models.faces import FaceModel
from visearch.indexer.models.ocr import OcrModel
from visearch.indexer.records import FrameRecord, SourceFile, VideoRecord
from visearch.indexer.tracking import link_tracks, reusable
from visearch.indexer.video import SamplingConfig, VideoSampler, shots_from_cuts
from visearch.indexer.video_text import READ_BUDGET, RegionReader, TextPlanner, spans_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoConfig:
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    ocr_frames: str = "changes"  # which samples are read: "changes" (where text changed), "keyframes", "all"
    batch_size: int = 16
    thumbnail_size: int = 256
    workers: int = 2
    reuse_face_vectors: bool = True  # take a still face's identity vector from the sample before
    face_max_side: int = 960  # the detector's view of a frame: faces from ~110 px high in 720p
    ocr_detect_side: int = 960  # on-screen text (captions, signs) is large: frames are read at ≤ 960 px


@dataclass
class VideoTimes:
    decode: float = 0.0  # one pass: decode, shot detection, sampling
    clip: float = 0.0
    faces: float = 0.0
    face_vectors: int = 0  # identity vectors computed
    face_vectors_reused: int = 0  # taken from the same face a sample earlier
    ocr: float = 0.0
    ocr_reads: int = 0  # samples whose text was read (whole or in part)
    text_capped: int = 0  # samples whose changes went unread: reading past READ_BUDGET
    features: float = 0.0  # local keypoints of each sample
    seconds_of_video: float = 0.0
    frames: int = 0


class VideoPipeline:
    def __init__(
        self,
        encoder: ClipEncoder,
        ocr: OcrModel | None = None,
        faces: FaceModel | None = None,
        config: VideoConfig = VideoConfig(),
        local_features=None,
    ) -> None:
        self.encoder = encoder
        self.local_features = local_features  # RootSift, or None: keypoints let a picture find its moments
        self.ocr = ocr.with_detect_side(config.ocr_detect_side) if ocr is not None else None
        self.text_reader = RegionReader(self.ocr) if self.ocr is not None else None
        self.faces = faces
        self.config = config
        self.times = VideoTimes()
        self._times_lock = threading.Lock()

    def process(self, source: SourceFile, fmt: str = "") -> VideoRecord:
        """Raises MediaError when nothing can be decoded; partial damage is kept in `record.error`.

        The main thread decodes (one pass) and runs CLIP in batches; worker threads find
        faces and read text (dlib and onnxruntime release the GIL), a bounded
        window ahead, so a 2-core machine keeps both cores busy.
        """
        sampler = VideoSampler(source.path, self.config.sampling)
        record = VideoRecord(source=source, format=fmt, duration=0.0, fps=0.0, width=0, height=0, codec="")
        window = self.config.workers * 2
        in_flight: deque[tuple[FrameRecord, Future]] = deque()
        batch: list[tuple[FrameRecord, object]] = []
        previous: tuple[FrameRecord, threading.Event] | None = None  # the last sample, while its faces are found
        planner = None
        with ThreadPoolExecutor(self.config.workers, thread_name_prefix="visearch-frames") as pool:
            began = time.perf_counter()
            for sample, image in sampler:
                self.times.decode += time.perf_counter() - began
                if image is None:  # a near-duplicate: the last frame's content lasts until now
                    if record.frames and record.frames[-1].shot == sample.shot:
                        record.frames[-1].until = sample.time
                else:
                    frame = FrameRecord(sample.time, sample.shot, sample.shot_start, image.width, image.height)
                    if self.ocr is not None:
                        planner = planner or TextPlanner(self.config.ocr_frames, image.size)
                        frame.text_plan = planner.plan(sample.time, frame.keyframe, image)
                    record.frames.append(frame)
                    faces_done = threading.Event()
                    earlier = previous if previous is not None and previous[0].shot == frame.shot else None
                    in_flight.append((frame, pool.submit(self._analyse, frame, image, earlier, faces_done)))
                    previous = (frame, faces_done)
                    while len(in_flight) > window:
                        self._collect(in_flight.popleft(), batch)
                began = time.perf_counter()
            while in_flight:
                self._collect(in_flight.popleft(), batch)
        if batch:
            self._encode(batch)
        scan = sampler.scan
        record.duration, record.fps, record.width, record.height = scan.duration, scan.fps, scan.width, scan.height
        record.codec, record.rotation, record.error = scan.codec, scan.rotation, scan.error
        record.damaged, record.taken = scan.damaged, scan.taken
        record.shots = shots_from_cuts(scan.frame_times, scan.cut_frames, scan.duration)
        if self.faces is not None:
            record.tracks = link_tracks(record.frames, self.faces.metric, self.faces.same_person)
        if self.ocr is not None:
            record.text_spans = spans_of(record.frames, record.shots, 1.0 / self.config.sampling.rate, record.duration)
            self._note_capped(planner, source)
        self.times.seconds_of_video += record.duration
        self.times.frames += len(record.frames)
        return record

    def _analyse(self, frame: FrameRecord, image, earlier: tuple[FrameRecord, threading.Event] | None,
                 faces_done: threading.Event) -> object:
        """Worker thread: thumbnail, faces, text; returns CLIP's input tensor.

        Faces may take their identity vectors from the previous sample of the shot (`earlier`),
        found by another worker: this one waits for them only once its own faces are detected.
        Tasks start in submission order, so the sample it waits for is already running.
        """
        try:  # the next sample may wait for these faces: say they are done whatever happens
            small = self.encoder.resize_for_model(image)
            frame.thumbnail = make_thumbnail(small if max(small.size) >= self.config.thumbnail_size else image,
                                             self.config.thumbnail_size)
            if self.faces is not None:
                began = time.perf_counter()
                frame.faces = self.faces.detect(image, max_side=self.config.face_max_side,
                                                reuse=self._reuse_from(earlier))
                self._add_time("faces", time.perf_counter() - began)
                reused = sum(1 for face in frame.faces if face.reused)
                self._add_count(len(frame.faces) - reused, reused)
        finally:
            faces_done.set()
        plan = frame.text_plan
        if self.ocr is not None and plan is not None and (plan.whole or plan.regions):
            began = time.perf_counter()
            frame.ocr = self.text_reader.read_plan(image, plan)
            frame.text_read = True
            self._add_time("ocr", time.perf_counter() - began)
            self._add_count_of("ocr_reads")
        if self.local_features is not None:
            began = time.perf_counter()
            frame.features = self.local_features.extract(image)
            self._add_time("features", time.perf_counter() - began)
        return self.encoder.prepare(small)

    def _collect(self, entry: tuple[FrameRecord, Future], batch: list) -> None:
        frame, future = entry
        batch.append((frame, future.result()))
        if len(batch) >= self.config.batch_size:
            self._encode(batch)

    def _encode(self, batch: list) -> None:
        import torch

        began = time.perf_counter()
        vectors = self.encoder.encode_pixels(torch.stack([pixels for _, pixels in batch]))
        for (frame, _), vector in zip(batch, vectors):
            frame.embedding = vector
        self.times.clip += time.perf_counter() - began
        batch.clear()

    def _reuse_from(self, earlier: tuple[FrameRecord, threading.Event] | None):
        if earlier is None or not self.config.reuse_face_vectors:
            return None
        frame, done = earlier

        def reuse(box, score, signature):
            done.wait()
            return reusable(box, score, signature, frame.faces)

        return reuse

    def _add_count(self, computed: int, reused: int) -> None:
        with self._times_lock:
            self.times.face_vectors += computed
            self.times.face_vectors_reused += reused

    def _add_count_of(self, name: str, count: int = 1) -> None:
        with self._times_lock:
            setattr(self.times, name, getattr(self.times, name) + count)

    def _note_capped(self, planner, source: SourceFile) -> None:
        if planner is not None and planner.capped:
            self._add_count_of("text_capped", planner.capped)
            log.info("%s: text changed on %d samples faster than it is read (at most %g frames' worth of pixels a "
                     "second of video); those changes were not read (burned-in subtitles?)", source.path,
                     planner.capped, READ_BUDGET)

    def _add_time(self, stage: str, seconds: float) -> None:
        with self._times_lock:
            setattr(self.times, stage, getattr(self.times, stage) + seconds)
