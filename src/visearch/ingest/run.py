"""Feed the indexer's records into a library: incremental, batched, and crash-safe.

Each file found is planned (ingest/planning.py: skip, touch, move, copy or index), the images
and videos to index go through the indexer's pipelines, and their records are written in
batches (ingest/writer.py). A file that cannot be read is recorded as a failure and
skipped, image or video alike; the run goes on.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from tqdm import tqdm

from visearch.indexer.catalog import read_catalog
from visearch.indexer.errors import MediaError
from visearch.indexer.models.clip import ClipEncoder
from visearch.indexer.models.devices import is_gpu
from visearch.indexer.models.faces import FaceModel
from visearch.indexer.models.ocr import OcrModel
from visearch.indexer.pipeline import ImagePipeline, PipelineConfig
from visearch.indexer.records import Face, Failure, SourceFile
from visearch.indexer.sniff import MediaKind
from visearch.indexer.video_pipeline import VideoConfig, VideoPipeline
from visearch.indexer.walk import in_shard, walk_media
from visearch.ingest.writer import BatchWriter, CheckpointPolicy
from visearch.storage.documents import FileState, ItemDoc
from visearch.ingest.report import IndexReport
from visearch.storage.library import Library
from visearch.moments.tags import apply_new
from visearch.people.index import PeopleIndex
from visearch.ingest.planning import Action, Twin, plan_image, plan_video, unchanged


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
    checkpoints: CheckpointPolicy = field(default_factory=CheckpointPolicy)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_source(path: Path) -> SourceFile:
    """The file's size, mtime and content hash; OSError when it cannot be read."""
    found = SourceFile.from_path(path)
    return SourceFile(path, found.size, found.mtime_ns, file_sha256(path))


def unreadable(path: Path, exc: OSError) -> Failure:
    return Failure(path, f"cannot read: {exc.strerror or exc}")


class LibraryIndexer:
    def __init__(self, library: Library, encoder: ClipEncoder, ocr: OcrModel | None,
                 options: IndexOptions = IndexOptions(), faces: FaceModel | None = None, local_features=None) -> None:
        self.local_features = local_features
        self.library = library
        self.encoder = encoder
        self.ocr = ocr
        self.faces = faces
        self.options = options
        self.writer = BatchWriter(library, faces=faces is not None, policy=options.checkpoints,
                                  ocr_engine=ocr.identity if ocr is not None else "")
        self.video_times = None

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
        complete = self._reconcile({state.id for state in known.values()})
        images: list[tuple[SourceFile, int | None]] = []
        videos: list[tuple[SourceFile, str, int | None]] = []
        for found in walk_media(paths, self.options.shard):
            if found.problem:
                self._fail(report, Failure(found.path, found.problem), known)
            elif found.kind is None:
                report.skipped += 1
            elif found.kind is MediaKind.VIDEO:
                self._plan_video(found.path, found.format, known_videos, complete, report, videos)
            else:
                self._plan_image(found.path, known, complete, report, images)
        self.writer.flush()
        try:
            self._index_images(images, known, report)
            self._index_videos(videos, report)
        finally:
            self._finish(report, products)
        report.seconds = time.perf_counter() - started
        return report

    def _finish(self, report: IndexReport, products: list) -> None:
        """Whatever happened: keep every finished item, then catalogue, prune, people, tags and save."""
        library = self.library
        self.writer.flush()
        if products:
            library.docs.upsert_products(products)
            report.products = len(products)
        if self.options.prune:
            report.pruned = self._prune()
        if self.faces is not None and self.options.shard is None:
            # Workers would race to create the same people: cluster once, after all shards (`people cluster`).
            report.people = self.people().cluster()
        self._calibrate()
        library.save(ocr=self.ocr.identity if self.ocr else "off", ocr_scripts=self.ocr.scripts if self.ocr else [])
        report.tags = apply_new(library) if self.options.shard is None else {}  # after people and keypoints
        library.docs.commit()
        if self.local_features is not None:
            self._find_siblings()  # after the save: new keypoints vote from the saved generation

    def _bind_models(self) -> None:
        """Record the encoder (refusing another), its precision and the face backend in the manifest."""
        spec = self.encoder.spec
        self.library.bind_encoder(self.encoder.identity, self.encoder.dim, self.encoder.semantic,
                                  clip=spec.text, clip_weights=str(spec.weights or ""))
        self.library.record_precision(self.encoder.precision)
        if self.faces is not None:
            self.library.bind_faces(self.faces.identity)

    def people(self) -> PeopleIndex:
        return PeopleIndex.for_backend(self.library.faces, self.faces, self.library.docs)

    # -- planning

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

    def _plan_image(self, path: Path, known: dict, complete: set[int], report: IndexReport, todo: list) -> None:
        state = known.get(str(path))
        try:
            stat = SourceFile.from_path(path)
            if unchanged(state, state is not None and state.id in complete, stat.size, stat.mtime_ns):
                report.unchanged += 1
                return
            source = read_source(path)
        except OSError as exc:
            self._fail(report, unreadable(path, exc), known)
            return
        docs = self.library.docs
        twins = [Twin(d.id, d.path, d.kind, os.path.exists(d.path), d.id in complete)
                 for d in docs.find_by_sha256(source.sha256)]
        decision = plan_image(state, state is not None and state.id in complete, source.sha256, str(path), twins)
        if decision.action is Action.TOUCH:
            docs.update_file(decision.item, str(path), source.size, source.mtime_ns, str(path.parent))
            report.unchanged += 1
        elif decision.action is Action.MOVE:
            if decision.replaces is not None:  # the path held other content before: that item is gone
                self.writer.remove_items([decision.replaces])
                known.pop(str(path))
            moved_from = next(t for t in twins if t.id == decision.item)
            docs.update_file(decision.item, str(path), source.size, source.mtime_ns, str(path.parent))
            known.pop(moved_from.path, None)
            known[str(path)] = FileState(decision.item, str(path), source.size, source.mtime_ns, source.sha256)
            report.moved += 1
        elif decision.action is Action.COPY:
            self._copy(source, decision.item, state)
            report.copied += 1
        else:
            todo.append((source, decision.item))

    def _copy(self, source: SourceFile, twin_id: int, state: FileState | None) -> None:
        """The same content as an indexed item: its vector, text, faces and keypoints, without decoding."""
        library = self.library
        twin = library.docs.get([twin_id])[twin_id]
        copy = ItemDoc(
            path=str(source.path), sha256=source.sha256, size=source.size, mtime_ns=source.mtime_ns,
            format=twin.format, width=twin.width, height=twin.height, source=str(source.path.parent),
            thumbnail=twin.thumbnail, ocr=list(twin.ocr), added_at=time.time(), id=state.id if state else None,
            ocr_engine=twin.ocr_engine, taken=twin.taken,  # the same bytes: the same EXIF
        )
        faces = [Face(row.box, row.score, row.size, row.sharpness, row.embedding, row.usable)
                 for row in library.faces.faces_of([twin_id])[twin_id]] if self.faces is not None else []
        self.writer.add(copy, library.vectors.get([twin_id])[0], faces, library.features.get(twin_id))

    def _plan_video(self, path: Path, fmt: str, known: dict, complete: set[int], report: IndexReport,
                    todo: list) -> None:
        docs = self.library.docs
        state = known.get(str(path))
        whole = state is not None and all(i in complete for i in docs.item_ids(video_id=state.id))
        try:
            stat = SourceFile.from_path(path)
            if unchanged(state, whole, stat.size, stat.mtime_ns):
                report.unchanged += 1
                return
            source = read_source(path)
        except OSError as exc:  # like an image: recorded, skipped, and the run goes on
            self._fail(report, unreadable(path, exc), {})
            return
        decision = plan_video(state, whole, source.sha256, list(known.values()), os.path.exists)
        if decision.action is Action.TOUCH:
            docs.update_video_file(decision.item, str(path), source.size, source.mtime_ns, str(path.parent))
            report.unchanged += 1
        elif decision.action is Action.MOVE:
            moved = next(v for v in known.values() if v.id == decision.item)
            docs.update_video_file(decision.item, str(path), source.size, source.mtime_ns, str(path.parent))
            known.pop(moved.path)
            report.moved += 1
        else:
            todo.append((source, fmt, decision.item))

    # -- indexing

    def _index_images(self, todo: list, known: dict, report: IndexReport) -> None:
        pipeline = ImagePipeline(
            self.encoder, self.ocr, PipelineConfig(batch_size=self.options.batch_size, workers=self.options.workers,
                                                   decode_on_device=is_gpu(self.encoder.device)),
            faces=self.faces, local_features=self.local_features,
        )
        ids = {str(source.path): item_id for source, item_id in todo}
        bar = tqdm(total=len(todo), unit="img", desc="indexing", file=sys.stderr,
                   disable=not self.options.progress or len(todo) < 2, dynamic_ncols=True)
        with bar:
            for result in pipeline.run(source for source, _ in todo):
                if isinstance(result, Failure):
                    self._fail(report, result, known)
                else:
                    self.writer.add_image(result, ids.get(str(result.source.path)))
                    report.indexed += 1
                bar.update(1)
                if self.writer.pending >= min(self.options.commit_every, self.options.checkpoints.items):
                    self.writer.flush()
                    self.writer.checkpoint_if_due()
        report.times = pipeline.times
        self.writer.flush()

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
                        self.writer.remove_video(old_id)
                    self.writer.flush()
                else:
                    if old_id is not None:
                        self.writer.remove_video(old_id)
                    self._write_video(record, report)
                bar.update(1)

    def _write_video(self, record, report: IndexReport) -> None:
        self.writer.write_video(record)
        report.videos, report.frames = report.videos + 1, report.frames + len(record.frames)
        report.faces += sum(len(frame.faces) for frame in record.frames)
        if record.damaged:
            report.notices.append(f"{record.source.path}: {record.damaged} damaged packets skipped; the frames around "
                                  "them are indexed")
        if record.error:
            failure = Failure(record.source.path, f"damaged: kept {len(record.frames)} frames; {record.error}")
            report.failed.append(failure)
            self.library.docs.record_failures([failure])
        else:
            self.library.docs.clear_failures([str(record.source.path)])
        self.writer.checkpoint_if_due()

    # -- failures, calibration and pruning

    def _fail(self, report: IndexReport, failure: Failure, known: dict[str, FileState]) -> None:
        report.failed.append(failure)
        self.writer.fail(failure)
        stale = known.pop(str(failure.path), None)
        if stale is not None:  # the file changed into something unreadable: its old item is wrong now
            self.writer.remove_items([stale.id])

    def _calibrate(self) -> None:
        """Measure what an unrelated match scores in this library, when it is new or has grown."""
        from visearch.lens.calibration import calibrate, needs_recalibration

        count = len(self.library.vectors)
        if needs_recalibration(count, self.library.manifest.floor_items):
            floor, _ = calibrate(self.library)
            self.library.set_no_match_floor(floor, count)

    def _find_siblings(self) -> None:
        """Pair each new catalogue image with the other products' images that share its design (lens)."""
        from visearch.lens.siblings import find_siblings

        library = self.library
        features, table = library.features, library.siblings
        products = library.docs.products_for([item for item in library.docs.item_ids() if item in features])
        table.keep_only(set(products))
        new = sorted(set(products) - table.checked)
        if new:
            docs = library.docs.get(sorted(set(products)))
            sizes = {item: (doc.width, doc.height) for item, doc in docs.items()}
            group_of = {item: product.sku for item, product in products.items() if item in sizes}
            for item, other, inliers, coverage, homography in find_siblings(new, features.get, features.vote,
                                                                             sizes, group_of):
                table.add(item, other, inliers, coverage, homography)
            table.mark_checked(new)
        table.save()

    def _prune(self) -> int:
        """Mark and sweep: items and recorded failures whose files are gone."""
        docs = self.library.docs
        gone = [state for state in docs.file_states()
                if in_shard(state.path, self.options.shard) and not os.path.exists(state.path)]
        self.writer.remove_items(state.id for state in gone if state.kind == "image")
        for state in gone:
            if state.kind == "video":
                self.writer.remove_video(state.id)
        docs.clear_failures([str(f.path) for f in docs.failures() if not f.path.exists()])
        docs.commit()
        return len(gone)
