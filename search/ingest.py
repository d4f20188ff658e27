"""Feed the indexer's records into a library: incremental, batched, and crash-safe.

Incremental rules (after rclip): a file whose size and mtime are unchanged is
skipped without reading it; otherwise its content hash decides — same hash as
before means only the mtime moved; a hash already in the library means a
rename (the item follows the file, vectors kept) or a copy (vectors reused);
anything else is decoded and embedded again.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from tqdm import tqdm

from indexer.catalog import read_catalog
from indexer.errors import MediaError
from indexer.models.clip import ClipEncoder
from indexer.models.faces import FaceModel
from indexer.models.ocr import OcrModel
from indexer.pipeline import ImagePipeline, PipelineConfig
from indexer.records import Face, Failure, ImageRecord, SourceFile, VideoRecord
from indexer.sniff import MediaKind
from indexer.video_pipeline import VideoConfig, VideoPipeline
from indexer.walk import in_shard, walk_media
from search.documents import FileState, ItemDoc, VideoDoc
from search.library import Library
from search.index_report import IndexReport
from search.moments.tags import apply_new
from search.people.index import PeopleIndex


# Vectors, keypoints and documents reach disk together at least every minute or 4096 items, and as
# often as every 10 s while a checkpoint costs under a fifth of the time between two (tests lower these).
CHECKPOINT_SECONDS = float(os.environ.get("VISEARCH_CHECKPOINT_SECONDS", 60))
CHECKPOINT_ITEMS = int(os.environ.get("VISEARCH_CHECKPOINT_ITEMS", 4096))
CHECKPOINT_MIN_SECONDS = 10.0
CHECKPOINT_SHARE = 0.2


def checkpoint_due(waited: float, items: int, last_cost: float) -> bool:
    """Whether to checkpoint now, `waited` seconds and `items` items after the last one. Pure."""
    if waited >= CHECKPOINT_SECONDS or items >= CHECKPOINT_ITEMS:
        return True
    return waited >= CHECKPOINT_MIN_SECONDS and last_cost <= CHECKPOINT_SHARE * waited


@dataclass(frozen=True)
class IndexOptions:
    catalog: Path | None = None
    prune: bool = False
    batch_size: int = 16
    workers: int = 2
    commit_every: int = 256
    progress: bool = True
    video: VideoConfig = field(default_factory=VideoConfig)
    shard: tuple[int, int] | None = None  # (I, N): index only this worker's 1/N of the inputs


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LibraryIndexer:
    def __init__(
        self,
        library: Library,
        encoder: ClipEncoder,
        ocr: OcrModel | None,
        options: IndexOptions = IndexOptions(),
        faces: FaceModel | None = None,
        local_features=None,
    ) -> None:
        self.local_features = local_features
        self.library = library
        self.encoder = encoder
        self.ocr = ocr
        self.faces = faces
        self.options = options
        self._docs: list[ItemDoc] = []
        self._vectors: list[np.ndarray] = []
        self._faces: list[list[Face]] = []
        self._features: list = []
        self._failures: list[Failure] = []
        self.video_times = None
        self._last_checkpoint = time.monotonic()
        self._checkpoint_cost = 0.0
        self._since_checkpoint = 0

    def run(self, paths: Sequence[Path | str]) -> IndexReport:
        started = time.perf_counter()
        report = IndexReport()
        library = self.library
        self._bind_models()
        products = read_catalog(self.options.catalog) if self.options.catalog else []
        library.add_roots(paths)
        states = list(library.docs.file_states())
        known = {state.path: state for state in states if state.kind == "image"}
        known_videos = {state.path: state for state in states if state.kind == "video"}
        with_vectors = self._reconcile({state.id for state in known.values()})

        todo: list[tuple[SourceFile, int | None]] = []
        videos: list[tuple[SourceFile, str, int | None]] = []
        for found in walk_media(paths, self.options.shard):
            if found.problem:
                self._fail(report, Failure(found.path, found.problem), known)
            elif found.kind is None:
                report.skipped += 1
            elif found.kind is MediaKind.VIDEO:
                self._plan_video(found.path, found.format, known_videos, with_vectors, report, videos)
            else:
                self._plan(found.path, known, with_vectors, report, todo)
        self._flush()
        try:
            self._index_images(todo, known, report)
            self._index_videos(videos, report)
        finally:
            self._flush()  # keep every finished item, even on Ctrl-C
            if products:
                library.docs.upsert_products(products)
                report.products = len(products)
            if self.options.prune:
                report.pruned = self._prune()
            if self.faces is not None and self.options.shard is None:
                # Workers would race to create the same people: cluster once, after all shards (`people cluster`).
                report.people = self.people().cluster()
            self._calibrate()
            library.save(ocr=self.ocr.identity if self.ocr else "off")
            report.tags = apply_new(library) if self.options.shard is None else {}  # after people and keypoints
            library.docs.commit()
        report.seconds = time.perf_counter() - started
        return report

    def _bind_models(self) -> None:
        """Record the encoder (refusing another), its precision and the face backend in the manifest."""
        spec = self.encoder.spec
        self.library.bind_encoder(self.encoder.identity, self.encoder.dim, self.encoder.semantic,
                                  clip=spec.text, clip_weights=str(spec.weights or ""))
        self.library.record_precision(self.encoder.precision)
        if self.faces is not None:
            self.library.bind_faces(self.faces.identity)

    def _index_images(self, todo: list, known: dict, report: IndexReport) -> None:
        pipeline = ImagePipeline(
            self.encoder, self.ocr,
            PipelineConfig(batch_size=self.options.batch_size, workers=self.options.workers), faces=self.faces,
            local_features=self.local_features,
        )
        ids = {str(source.path): item_id for source, item_id in todo}
        bar = tqdm(total=len(todo), unit="img", desc="indexing", file=sys.stderr,
                   disable=not self.options.progress or len(todo) < 2, dynamic_ncols=True)
        with bar:
            for result in pipeline.run(source for source, _ in todo):
                if isinstance(result, Failure):
                    self._fail(report, result, known)
                else:
                    self._add(result, ids.get(str(result.source.path)))
                    report.indexed += 1
                bar.update(1)
                if len(self._docs) + len(self._failures) >= min(self.options.commit_every, CHECKPOINT_ITEMS):
                    self._flush()
                    self._checkpoint_if_due()
        report.times = pipeline.times
        self._flush()

    # -- planning

    def people(self) -> PeopleIndex:
        return PeopleIndex.for_backend(self.library.faces, self.faces, self.library.docs)

    def _reconcile(self, images: set[int]) -> set[int]:
        """The items that are complete: a document, a vector and (images, when local features are
        on) their keypoints. Vectors without a document, left by a crash or a past race, are
        dropped; anything incomplete is indexed again by this run."""
        vectors = self.library.vectors
        doc_ids = set(self.library.docs.item_ids())
        vector_ids = set(vectors.ids().tolist())
        orphans = vector_ids - doc_ids
        if orphans:
            vectors.remove(sorted(orphans))
        complete = vector_ids - orphans
        if self.local_features is not None:
            features = self.library.features
            complete -= {item for item in images & complete if item not in features}
        return complete

    def _plan(self, path: Path, known, with_vectors: set[int], report: IndexReport, todo: list) -> None:
        try:
            source = SourceFile.from_path(path)
        except OSError as exc:
            self._fail(report, Failure(path, f"cannot read: {exc.strerror or exc}"), known)
            return
        state = known.get(str(path))
        if state and state.id in with_vectors:
            if (state.size, state.mtime_ns) == (source.size, source.mtime_ns):
                report.unchanged += 1
                return
        try:
            sha256 = file_sha256(path)
        except OSError as exc:
            self._fail(report, Failure(path, f"cannot read: {exc.strerror or exc}"), known)
            return
        source = SourceFile(path, source.size, source.mtime_ns, sha256)
        docs = self.library.docs
        if state and state.id in with_vectors and state.sha256 == sha256:
            docs.update_file(state.id, str(path), source.size, source.mtime_ns, str(path.parent))
            report.unchanged += 1
            return
        twins = [doc for doc in docs.find_by_sha256(sha256) if doc.id in with_vectors and doc.path != str(path)]
        if twins:
            moved_from = next((doc for doc in twins if doc.kind == "image" and not os.path.exists(doc.path)), None)
            if moved_from is not None:
                if state:  # the path held other content before: that item is gone
                    self._remove([state.id])
                    known.pop(str(path))
                docs.update_file(moved_from.id, str(path), source.size, source.mtime_ns, str(path.parent))
                known.pop(moved_from.path, None)
                known[str(path)] = FileState(moved_from.id, str(path), source.size, source.mtime_ns, sha256)
                report.moved += 1
                return
            twin = twins[0]
            copy = ItemDoc(
                path=str(path), sha256=sha256, size=source.size, mtime_ns=source.mtime_ns, format=twin.format,
                width=twin.width, height=twin.height, source=str(path.parent), thumbnail=twin.thumbnail,
                ocr=list(twin.ocr), added_at=time.time(), id=state.id if state else None,
            )
            self._docs.append(copy)
            self._vectors.append(self.library.vectors.get([twin.id])[0])
            self._faces.append([
                Face(row.box, row.score, row.size, row.sharpness, row.embedding, row.usable)
                for row in self.library.faces.faces_of([twin.id])[twin.id]
            ] if self.faces is not None else [])
            self._features.append(self.library.features.get(twin.id))
            report.copied += 1
            return
        todo.append((source, state.id if state else None))

    def _plan_video(self, path: Path, fmt: str, known, with_vectors: set[int], report: IndexReport, todo) -> None:
        docs = self.library.docs
        try:
            source = SourceFile.from_path(path)
        except OSError as exc:
            self._fail(report, Failure(path, f"cannot read: {exc.strerror or exc}"), {})
            return
        state = known.get(str(path))
        complete = state is not None and all(i in with_vectors for i in docs.item_ids(video_id=state.id))
        if complete and (state.size, state.mtime_ns) == (source.size, source.mtime_ns):
            report.unchanged += 1
            return
        sha256 = file_sha256(path)
        source = SourceFile(path, source.size, source.mtime_ns, sha256)
        if complete and state.sha256 == sha256:
            docs.update_video_file(state.id, str(path), source.size, source.mtime_ns, str(path.parent))
            report.unchanged += 1
            return
        moved = next((v for v in known.values() if v.sha256 == sha256 and not os.path.exists(v.path)), None)
        if moved is not None and state is None:
            docs.update_video_file(moved.id, str(path), source.size, source.mtime_ns, str(path.parent))
            known.pop(moved.path)
            report.moved += 1
            return
        todo.append((source, fmt, state.id if state else None))

    def _index_videos(self, videos: list[tuple[SourceFile, str, int | None]], report: IndexReport) -> None:
        if not videos:
            return
        pipeline = VideoPipeline(self.encoder, self.ocr, self.faces, self.options.video, self.local_features)
        self.video_times = pipeline.times
        self.library.record_video_ocr(self.options.video.ocr_frames if self.ocr else "off")
        bar = tqdm(total=len(videos), unit="video", desc="videos", file=sys.stderr,
                   disable=not self.options.progress, dynamic_ncols=True)
        with bar:
            for source, fmt, old_id in videos:
                try:
                    record = pipeline.process(source, fmt)
                except MediaError as exc:
                    self._fail(report, Failure(source.path, exc.reason), {})
                    if old_id is not None:
                        self._remove_video(old_id)
                    self._flush()
                else:
                    if old_id is not None:
                        self._remove_video(old_id)
                    self._write_video(record)
                    report.videos, report.frames = report.videos + 1, report.frames + len(record.frames)
                    report.faces += sum(len(frame.faces) for frame in record.frames)
                    if record.error:
                        failure = Failure(source.path, f"damaged: kept {len(record.frames)} frames; {record.error}")
                        report.failed.append(failure)
                        self.library.docs.record_failures([failure])
                    else:
                        self.library.docs.clear_failures([str(source.path)])
                    self._since_checkpoint += len(record.frames)
                    self._checkpoint_if_due()
                bar.update(1)

    def _write_video(self, record: VideoRecord) -> None:
        docs = self.library.docs
        source = record.source
        video_id = docs.upsert_video(VideoDoc(
            path=str(source.path), sha256=source.sha256, size=source.size, mtime_ns=source.mtime_ns,
            format=record.format, duration=record.duration, fps=record.fps, width=record.width,
            height=record.height, codec=record.codec, rotation=record.rotation, error=record.error,
            source=str(source.path.parent), shots=[(shot.start, shot.end) for shot in record.shots],
        ))
        frames = []
        for frame in record.frames:
            key = f"{source.sha256}-{round(frame.time * 1000):08d}"
            frames.append(ItemDoc(
                path=str(source.path), sha256=source.sha256, kind="frame", size=source.size,
                mtime_ns=source.mtime_ns, format=record.format, width=frame.width, height=frame.height,
                source=str(source.path.parent), ocr=frame.ocr, added_at=time.time(),
                thumbnail=self.library.write_thumbnail(key, frame.thumbnail) if frame.thumbnail else "",
                video_id=video_id, time=frame.time, shot=frame.shot, keyframe=frame.keyframe,
            ))
        ids = docs.upsert(frames)
        if ids:
            self.library.vectors.add(ids, np.vstack([frame.embedding for frame in record.frames]))
        for item_id, frame in ((i, f) for i, f in zip(ids, record.frames) if f.features is not None):
            self.library.frame_features.put(item_id, frame.features)
        if self.faces is not None:
            track_ids = self.library.faces.add_tracks(video_id, record.tracks)
            for item_id, frame in zip(ids, record.frames):
                self.library.faces.add_faces(item_id, frame.faces, [track_ids[f.track] for f in frame.faces])

    def _remove_video(self, video_id: int) -> None:
        frames = self.library.docs.delete_video(video_id)
        self.library.vectors.remove(frames)
        self.library.frame_features.remove(frames)
        self.library.tags.forget_videos([video_id])  # indexed again (or gone): its tags are applied afresh

    # -- writing

    def _add(self, record: ImageRecord, item_id: int | None) -> None:
        self._faces.append(record.faces)
        self._features.append(record.features)
        source = record.source
        thumbnail = self.library.write_thumbnail(source.sha256, record.thumbnail) if record.thumbnail else ""
        self._docs.append(ItemDoc(
            path=str(source.path), sha256=source.sha256, size=source.size, mtime_ns=source.mtime_ns,
            format=record.format, width=record.width, height=record.height, source=str(source.path.parent),
            thumbnail=thumbnail, ocr=record.ocr, added_at=time.time(), id=item_id,
        ))
        self._vectors.append(record.embedding)

    def _fail(self, report: IndexReport, failure: Failure, known: dict[str, FileState]) -> None:
        report.failed.append(failure)
        self._failures.append(failure)
        stale = known.pop(str(failure.path), None)
        if stale is not None:  # the file changed into something unreadable: its old item is wrong now
            self._remove([stale.id])

    def _flush(self) -> None:
        docs = self.library.docs
        if self._docs:
            replaced = [doc.id for doc in self._docs if doc.id is not None]
            ids = docs.upsert(self._docs)
            self.library.vectors.add(ids, np.vstack(self._vectors))
            if self.faces is not None:
                self.library.faces.delete_faces_of(replaced)
                for item_id, faces in zip(ids, self._faces):
                    self.library.faces.add_faces(item_id, faces)
            self.library.features.remove(replaced)
            for item_id, features in zip(ids, self._features):
                if features is not None:  # kept even when empty: "looked, found no keypoints"
                    self.library.features.put(item_id, features)
            docs.clear_failures([doc.path for doc in self._docs])
            self._since_checkpoint += len(self._docs)
        if self._failures:
            docs.record_failures(self._failures)
        self._docs, self._vectors, self._faces, self._features, self._failures = [], [], [], [], []

    def _calibrate(self) -> None:
        """Measure what an unrelated match scores in this library, when it is new or has grown."""
        from search.lens.calibration import calibrate, needs_recalibration

        count = len(self.library.vectors)
        if needs_recalibration(count, self.library.manifest.floor_items):
            floor, _ = calibrate(self.library)
            self.library.set_no_match_floor(floor, count)

    def _checkpoint_if_due(self) -> None:
        """Vectors and keypoints to disk, then the documents' commit: a kill after this point loses
        nothing before it, and a document is never committed before its vector."""
        waited = time.monotonic() - self._last_checkpoint
        if not checkpoint_due(waited, self._since_checkpoint, self._checkpoint_cost):
            return
        started = time.monotonic()
        self.library.checkpoint()
        self._checkpoint_cost = time.monotonic() - started
        self._last_checkpoint, self._since_checkpoint = time.monotonic(), 0

    def _remove(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        self.library.docs.delete(ids)
        self.library.vectors.remove(ids)
        self.library.features.remove(ids)

    def _prune(self) -> int:
        """Mark and sweep: items and recorded failures whose files are gone."""
        docs = self.library.docs
        gone = [state for state in docs.file_states()
                if in_shard(state.path, self.options.shard) and not os.path.exists(state.path)]
        self._remove(state.id for state in gone if state.kind == "image")
        for state in gone:
            if state.kind == "video":
                self._remove_video(state.id)
        docs.clear_failures([str(f.path) for f in docs.failures() if not f.path.exists()])
        docs.commit()
        return len(gone)
