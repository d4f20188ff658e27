"""Indexed records into a library's stores: buffered, in batches, checkpointed so a kill loses little.

A document is never committed before its vector: vectors and keypoints reach disk first, then the
documents' commit (`Library.checkpoint`). A crash in between leaves vectors without documents,
which the next run drops.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from visearch.indexer.records import Face, Failure, ImageRecord, VideoRecord
from visearch.storage.documents import ItemDoc, VideoDoc
from visearch.storage.library import Library

CHECKPOINT_MIN_SECONDS = 10.0
CHECKPOINT_SHARE = 0.2


@dataclass(frozen=True)
class CheckpointPolicy:
    """Vectors, keypoints and documents reach disk together at least every `seconds` or `items` items, and
    as often as every 10 s while a checkpoint costs under a fifth of the time between two."""

    seconds: float = 60.0
    items: int = 4096

    def due(self, waited: float, items: int, last_cost: float) -> bool:
        """Whether to checkpoint now, `waited` seconds and `items` items after the last one. Pure."""
        if waited >= self.seconds or items >= self.items:
            return True
        return waited >= CHECKPOINT_MIN_SECONDS and last_cost <= CHECKPOINT_SHARE * waited


class BatchWriter:
    """Buffers finished items and writes them in batches; owns the checkpoint timing."""

    def __init__(self, library: Library, *, faces: bool, policy: CheckpointPolicy = CheckpointPolicy(),
                 ocr_engine: str = "") -> None:
        self.library = library
        self.with_faces = faces
        self.ocr_engine = ocr_engine  # recorded on each item whose text it read
        self.policy = policy
        self._docs: list[ItemDoc] = []
        self._vectors: list[np.ndarray] = []
        self._faces: list[list[Face]] = []
        self._features: list = []
        self._failures: list[Failure] = []
        self._last_checkpoint = time.monotonic()
        self._checkpoint_cost = 0.0
        self._since_checkpoint = 0

    @property
    def pending(self) -> int:
        return len(self._docs) + len(self._failures)

    def add_image(self, record: ImageRecord, item_id: int | None) -> None:
        source = record.source
        thumbnail = self.library.write_thumbnail(source.sha256, record.thumbnail) if record.thumbnail else ""
        self.add(ItemDoc(
            path=str(source.path), sha256=source.sha256, size=source.size, mtime_ns=source.mtime_ns,
            format=record.format, width=record.width, height=record.height, source=str(source.path.parent),
            thumbnail=thumbnail, ocr=record.ocr, added_at=time.time(), id=item_id, ocr_engine=self.ocr_engine,
            taken=record.taken,
        ), record.embedding, record.faces, record.features)

    def add(self, doc: ItemDoc, vector: np.ndarray, faces: list[Face], features) -> None:
        self._docs.append(doc)
        self._vectors.append(vector)
        self._faces.append(faces)
        self._features.append(features)

    def fail(self, failure: Failure) -> None:
        self._failures.append(failure)

    def flush(self) -> None:
        """Write what is buffered (documents uncommitted until the next checkpoint)."""
        library, docs = self.library, self.library.docs
        if self._docs:
            replaced = [doc.id for doc in self._docs if doc.id is not None]
            ids = docs.upsert(self._docs)
            library.vectors.add(ids, np.vstack(self._vectors))
            if self.with_faces:
                library.faces.delete_faces_of(replaced)
                for item_id, faces in zip(ids, self._faces):
                    library.faces.add_faces(item_id, faces)
            library.features.remove(replaced)
            for item_id, features in zip(ids, self._features):
                if features is not None:  # kept even when empty: "looked, found no keypoints"
                    library.features.put(item_id, features)
            docs.clear_failures([doc.path for doc in self._docs])
            self._since_checkpoint += len(self._docs)
        if self._failures:
            docs.record_failures(self._failures)
        self._docs, self._vectors, self._faces, self._features, self._failures = [], [], [], [], []

    def write_video(self, record: VideoRecord) -> int:
        """A video's row, its frames as items with their vectors, keypoints, faces and tracks."""
        docs, library, source = self.library.docs, self.library, record.source
        video_id = docs.upsert_video(VideoDoc(
            path=str(source.path), sha256=source.sha256, size=source.size, mtime_ns=source.mtime_ns,
            format=record.format, duration=record.duration, fps=record.fps, width=record.width,
            height=record.height, codec=record.codec, rotation=record.rotation, error=record.error,
            source=str(source.path.parent), shots=[(shot.start, shot.end) for shot in record.shots],
            text_spans=record.text_spans, taken=record.taken,
        ))
        frames = [ItemDoc(
            path=str(source.path), sha256=source.sha256, kind="frame", size=source.size, mtime_ns=source.mtime_ns,
            format=record.format, width=frame.width, height=frame.height, source=str(source.path.parent),
            ocr=frame.ocr, added_at=time.time(), video_id=video_id, time=frame.time, shot=frame.shot,
            keyframe=frame.keyframe, ocr_engine=self.ocr_engine if frame.text_read else "", taken=record.taken,
            thumbnail=library.write_thumbnail(f"{source.sha256}-{round(frame.time * 1000):08d}", frame.thumbnail)
            if frame.thumbnail else "",
        ) for frame in record.frames]
        ids = docs.upsert(frames)
        if ids:
            library.vectors.add(ids, np.vstack([frame.embedding for frame in record.frames]))
        for item_id, frame in ((i, f) for i, f in zip(ids, record.frames) if f.features is not None):
            library.frame_features.put(item_id, frame.features)
        if self.with_faces:
            track_ids = library.faces.add_tracks(video_id, record.tracks)
            for item_id, frame in zip(ids, record.frames):
                library.faces.add_faces(item_id, frame.faces, [track_ids[f.track] for f in frame.faces])
        self._since_checkpoint += len(record.frames)
        return video_id

    def remove_items(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        self.library.docs.delete(ids)
        self.library.vectors.remove(ids)
        self.library.features.remove(ids)

    def remove_video(self, video_id: int) -> None:
        frames = self.library.docs.delete_video(video_id)
        self.library.vectors.remove(frames)
        self.library.frame_features.remove(frames)
        self.library.tags.forget_videos([video_id])  # indexed again (or gone): its tags are applied afresh

    def checkpoint_if_due(self) -> None:
        """Vectors and keypoints to disk, then the documents' commit, when the policy says so."""
        waited = time.monotonic() - self._last_checkpoint
        if not self.policy.due(waited, self._since_checkpoint, self._checkpoint_cost):
            return
        started = time.monotonic()
        self.library.checkpoint()
        self._checkpoint_cost = time.monotonic() - started
        self._last_checkpoint, self._since_checkpoint = time.monotonic(), 0
