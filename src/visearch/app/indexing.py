"""Index files and folders into a library: the one door the CLI, the demo and the benches use.

`index()` owns what every caller needs the same way: the writer lock, the models a library was built
with (never another), the checkpoints from the settings, the ONNX export for torch-free photo
queries, and a clear `DiskFullError` (everything committed kept) instead of a traceback.
"""
from __future__ import annotations

import errno
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from visearch.errors import N_
from visearch.indexer.errors import VisearchError
from visearch.app.engines import INDEX, device_for, ocr_for
from visearch.indexer.models.devices import is_gpu
from visearch.ingest.writer import CheckpointPolicy
from visearch.ingest.report import IndexReport
from visearch.storage.library import MANIFEST, Library
from visearch.app.library import open_library
from visearch.app.settings import Settings, usable_cores

BYTES_PER_IMAGE = 160 * 1024  # a catalogue image's keypoints, thumbnail, vector and text, when none are indexed yet
SHARD_NEEDS_ES = ("--shard needs a shared document store: index with --backend elasticsearch --es-url URL "
                  "(embedded SQLite libraries on N machines would hand out the same ids)")


class DiskFullError(VisearchError):
    """The library's disk filled up; what was committed before is kept and a re-run resumes."""

    def __init__(self, library: Path, free: int, needed: int, done: int, left: int) -> None:
        self.library, self.free, self.needed = library, free, needed
        super().__init__(
            N_("the disk holding %(library)s is full (%(free)s free): %(done)s items were indexed and are kept; "
               "about %(needed)s more is needed for the %(left)s files left. Free some space (or move the library "
               "with --library) and run `visearch index` again: it resumes where it stopped"),
            code="disk_full", library=library, free=_size(free), done=done, needed=_size(needed), left=left)


@dataclass(frozen=True)
class IndexRequest:
    """What to index and how; None means "the library's own choice" (or the default for a new one)."""

    paths: Sequence[Path]
    catalog: Path | None = None
    clip: str | None = None
    clip_weights: Path | None = None
    precision: str = "auto"
    ocr: str | None = None  # None: the OCR the library was built with (app/engines.py `ocr_for`)
    faces: str | None = None
    local_features: bool = True
    sample_rate: float = 1.0
    ocr_frames: str = "changes"
    shard: str | None = None
    vectors_template: Path | None = None
    prune: bool = False
    batch_size: int = 0  # 0: 16 on a CPU, 256 on a GPU (large batches keep it fed)
    workers: int = 0  # 0: the cores this process may use
    wait: float = 0.0  # seconds to wait for another writer (0: refuse at once)
    progress: bool = False
    backend: str | None = None  # for a new library: "sqlite" or "elasticsearch"
    es_vectors: bool = False


@dataclass
class IndexModels:
    """The models a run extracts with; loaded once (a bench reuses them across runs)."""

    encoder: object
    ocr: object | None
    faces: object | None
    local_features: object | None = None
    extra: dict = field(default_factory=dict)


def load_models(library: Library, request: IndexRequest, settings: Settings) -> IndexModels:
    """The library's encoder (or the requested one for a new library), loaded before any file is
    touched: a missing checkpoint or a mismatched encoder fails here."""
    from visearch.indexer.local_features import RootSift
    from visearch.indexer.models.clip import DEFAULT_CLIP, ClipEncoder, parse_clip_spec
    from visearch.indexer.models.faces import DEFAULT_FACES, create_faces
    from visearch.indexer.models.ocr import create_ocr

    clip = request.clip or library.manifest.clip or DEFAULT_CLIP
    weights = request.clip_weights or (library.manifest.clip_weights if not request.clip else None) or None
    encoder = ClipEncoder(parse_clip_spec(clip, weights), precision=request.precision, offline=settings.offline,
                          device=device_for(settings, INDEX))
    library.check_encoder(encoder.identity)
    encoder.load()
    ocr = create_ocr(ocr_for(request.ocr, library.manifest.ocr), threads=1)
    faces = create_faces(request.faces or library.manifest.faces or DEFAULT_FACES)
    if faces is not None:
        library.check_faces(faces.identity)
    return IndexModels(encoder, ocr, faces, RootSift() if request.local_features else None)


def index(settings: Settings, request: IndexRequest, *, models: IndexModels | None = None) -> IndexReport:
    """Index `request.paths` into the settings' library; raises DiskFullError, LibraryBusyError, …"""
    from visearch.indexer.walk import parse_shard

    limit_threads(settings)
    root = settings.library_path()
    shard = parse_shard(request.shard) if request.shard else None
    if shard and not (root / MANIFEST).exists() and request.backend != "elasticsearch":
        raise ValueError(SHARD_NEEDS_ES)
    library = open_library(settings, create=True, backend=request.backend, es_vectors=request.es_vectors,
                           explicit_es=request.backend == "elasticsearch")
    try:
        with library.writing(wait=request.wait):
            if shard and library.manifest.backend != "elasticsearch":
                raise ValueError(SHARD_NEEDS_ES)
            library.set_shard(request.shard or "")
            if request.vectors_template:
                library.start_vectors_from(request.vectors_template)
            models = models or load_models(library, request, settings)
            report = _run(library, request, settings, models, shard)
    except (sqlite3.OperationalError, OSError, RuntimeError) as exc:  # RuntimeError: FAISS's write errors
        if not _disk_full(exc):
            raise
        raise _disk_full_error(library, request) from None
    finally:
        _close(library)
    return report


def _run(library: Library, request: IndexRequest, settings: Settings, models: IndexModels, shard) -> IndexReport:
    from visearch.indexer.video import SamplingConfig
    from visearch.indexer.video_pipeline import VideoConfig
    from visearch.ingest.run import IndexOptions, LibraryIndexer
    from visearch.search.query_models import export_for_queries

    options = IndexOptions(
        catalog=request.catalog, prune=request.prune,
        batch_size=request.batch_size or (256 if is_gpu(models.encoder.device) else 16),
        workers=request.workers or usable_cores(),
        progress=request.progress, shard=shard,
        checkpoints=CheckpointPolicy(settings.checkpoint_seconds, settings.checkpoint_items),
        video=VideoConfig(sampling=SamplingConfig(rate=request.sample_rate), ocr_frames=request.ocr_frames,
                          reuse_face_vectors=settings.face_reuse),
    )
    indexer = LibraryIndexer(library, models.encoder, models.ocr, options, faces=models.faces,
                             local_features=models.local_features)
    report = indexer.run(request.paths)
    report.video_times = indexer.video_times
    report.notices += text_notices(library, models.ocr)
    export_for_queries(library, models.encoder)
    return report


def text_notices(library: Library, ocr) -> list[str]:
    """What to tell about the library's text once: Hangul not readable here, or items read before it was."""
    from visearch.indexer.models.ocr import HANGUL

    if ocr is None or not ocr.hangul:
        return []
    if ocr.hangul_missing:
        return [ocr.hangul_missing]
    unread = sum(count for engine, count in library.docs.ocr_engines().items()
                 if engine and not engine.endswith(HANGUL))
    if unread:
        return [f"{unread} items were read before Hangul could be: `visearch index --reocr` reads their text again "
                "(vectors, faces and keypoints are kept)"]
    return []


def reocr(settings: Settings, *, ocr_name: str | None = None, everything: bool = False, wait: float = 0.0,
          progress=None):
    """Read the text of indexed items again with `ocr_name` (the items another OCR read; `everything`: all),
    keeping their vectors, faces and keypoints; the manifest then records the new OCR and its scripts."""
    from visearch.indexer.models.ocr import create_ocr
    from visearch.ingest.reocr import read_again

    ocr = create_ocr(ocr_for(ocr_name, None), threads=settings.threads)  # the newest reader, not the library's
    if ocr is None:
        raise ValueError("--reocr needs an OCR (not --ocr off)")
    library = open_library(settings)
    try:
        with library.writing(wait=wait):
            report = read_again(library, ocr, everything=everything, progress=progress)
            library.save(ocr=ocr.identity, ocr_scripts=ocr.scripts)
    finally:
        _close(library)
    report.notices = [ocr.hangul_missing] if ocr.hangul_missing else []
    return report


def limit_threads(settings: Settings) -> None:
    """torch's threads: the settings' count (by default the cores this process may use, not the machine's)."""
    import torch

    torch.set_num_threads(settings.threads)


FULL = ("disk is full", "No space left on device", "Disk quota exceeded", "File too large")


def _disk_full(exc: BaseException) -> bool:
    """Whether an error means the disk (or quota) ran out: SQLite, the OS and FAISS each say it their way."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    return any(words in str(exc) for words in FULL)


def _disk_full_error(library: Library, request: IndexRequest) -> DiskFullError:
    """How full, how much was kept, and about how much more the files left need."""
    from visearch.indexer.walk import walk_media

    try:
        free = shutil.disk_usage(library.root).free
    except OSError:
        free = 0
    done, bytes_each = _committed(library)
    files = sum(1 for found in walk_media(request.paths) if found.kind is not None)
    left = max(0, files - done)
    return DiskFullError(library.root, free, max(left * bytes_each, bytes_each), done, left)


def _committed(library: Library) -> tuple[int, int]:
    """(items committed, bytes the library holds per item), read from a fresh handle."""
    used = sum(p.stat().st_size for p in library.root.rglob("*") if p.is_file())
    try:
        with Library.open(library.root, read_only=True) as fresh:
            done = fresh.docs.counts()["items"]
    except (VisearchError, sqlite3.Error, OSError):
        done = 0
    return done, used // done if done else BYTES_PER_IMAGE


def _close(library: Library) -> None:
    """Close the stores; after a full disk the last commit fails again, and the data committed before stays."""
    try:
        library.close()
    except (sqlite3.OperationalError, OSError, RuntimeError) as exc:
        if not _disk_full(exc):
            raise


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"
