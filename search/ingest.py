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
from indexer.models.clip import ClipEncoder
from indexer.models.ocr import OcrModel
from indexer.pipeline import ImagePipeline, PipelineConfig, StageTimes
from indexer.records import Failure, ImageRecord, SourceFile
from indexer.sniff import MediaKind
from indexer.walk import walk_media
from search.documents import FileState, ItemDoc
from search.library import Library


@dataclass(frozen=True)
class IndexOptions:
    catalog: Path | None = None
    prune: bool = False
    batch_size: int = 16
    workers: int = 2
    commit_every: int = 256
    progress: bool = True


@dataclass
class IndexReport:
    indexed: int = 0
    unchanged: int = 0
    moved: int = 0  # renamed files: same item, vectors kept
    copied: int = 0  # duplicate content: vectors reused, nothing decoded
    pruned: int = 0
    skipped: int = 0  # files in folders that are not media
    skipped_videos: int = 0
    products: int = 0
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    times: StageTimes = field(default_factory=StageTimes)

    def to_json(self) -> dict:
        return {
            "indexed": self.indexed, "unchanged": self.unchanged, "moved": self.moved, "copied": self.copied,
            "pruned": self.pruned, "skipped": self.skipped, "skipped_videos": self.skipped_videos,
            "products": self.products, "failed": [{"path": str(f.path), "reason": f.reason} for f in self.failed],
            "seconds": round(self.seconds, 3),
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LibraryIndexer:
    def __init__(
        self, library: Library, encoder: ClipEncoder, ocr: OcrModel | None, options: IndexOptions = IndexOptions()
    ) -> None:
        self.library = library
        self.encoder = encoder
        self.ocr = ocr
        self.options = options
        self._docs: list[ItemDoc] = []
        self._vectors: list[np.ndarray] = []
        self._failures: list[Failure] = []

    def run(self, paths: Sequence[Path | str]) -> IndexReport:
        started = time.perf_counter()
        report = IndexReport()
        library = self.library
        spec = self.encoder.spec
        library.bind_encoder(
            self.encoder.identity, self.encoder.dim, self.encoder.semantic,
            clip=spec.text, clip_weights=str(spec.weights or ""),
        )
        products = read_catalog(self.options.catalog) if self.options.catalog else []
        known = {state.path: state for state in library.docs.file_states()}
        with_vectors = self._reconcile(known)

        todo: list[tuple[SourceFile, int | None]] = []
        for found in walk_media(paths):
            if found.problem:
                self._fail(report, Failure(found.path, found.problem), known)
            elif found.kind is None:
                report.skipped += 1
            elif found.kind is MediaKind.VIDEO:
                report.skipped_videos += 1
            else:
                self._plan(found.path, known, with_vectors, report, todo)
        self._flush()

        try:
            pipeline = ImagePipeline(
                self.encoder, self.ocr,
                PipelineConfig(batch_size=self.options.batch_size, workers=self.options.workers),
            )
            ids = {str(source.path): item_id for source, item_id in todo}
            bar = tqdm(
                total=len(todo), unit="img", desc="indexing", file=sys.stderr,
                disable=not self.options.progress or len(todo) < 2, dynamic_ncols=True,
            )
            with bar:
                for result in pipeline.run(source for source, _ in todo):
                    if isinstance(result, Failure):
                        self._fail(report, result, known)
                    else:
                        self._add(result, ids.get(str(result.source.path)))
                        report.indexed += 1
                    bar.update(1)
                    if len(self._docs) + len(self._failures) >= self.options.commit_every:
                        self._flush()
            report.times = pipeline.times
        finally:
            self._flush()  # keep every finished item, even on Ctrl-C
            if products:
                library.docs.upsert_products(products)
                report.products = len(products)
            if self.options.prune:
                report.pruned = self._prune()
            library.save(ocr=self.ocr.identity if self.ocr else "off")
        report.seconds = time.perf_counter() - started
        return report

    # -- planning

    def _reconcile(self, known: dict[str, FileState]) -> set[int]:
        """Make documents and vectors agree after a crash between their two commits."""
        vectors = self.library.vectors
        doc_ids = {state.id for state in known.values()}
        vector_ids = set(vectors.ids().tolist())
        orphans = vector_ids - doc_ids
        if orphans:
            vectors.remove(sorted(orphans))
        return vector_ids - orphans

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
            report.copied += 1
            return
        todo.append((source, state.id if state else None))

    # -- writing

    def _add(self, record: ImageRecord, item_id: int | None) -> None:
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
            ids = docs.upsert(self._docs)
            self.library.vectors.add(ids, np.vstack(self._vectors))
            docs.clear_failures([doc.path for doc in self._docs])
        if self._failures:
            docs.record_failures(self._failures)
        docs.commit()
        self._docs, self._vectors, self._failures = [], [], []

    def _remove(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        self.library.docs.delete(ids)
        self.library.vectors.remove(ids)

    def _prune(self) -> int:
        """Mark and sweep: items and recorded failures whose files are gone."""
        docs = self.library.docs
        gone = [state for state in docs.file_states() if not os.path.exists(state.path)]
        self._remove(state.id for state in gone)
        docs.clear_failures([str(f.path) for f in docs.failures() if not f.path.exists()])
        docs.commit()
        return len(gone)
