"""A library is a folder: document store, FAISS file, thumbnails and a manifest.

The manifest records which encoder built the vectors, so a library never mixes
vectors from two models (their spaces are unrelated).
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from visearch.errors import N_, NotFound
from visearch.indexer.errors import VisearchError
from visearch.storage.backends import Backend, StoreOptions, open_backend, open_faiss
from visearch.storage.documents import DocumentStore
from visearch.storage.feature_store import FeatureStore, LocalFeatureStore
from visearch.storage.siblings import SiblingTable
from visearch.storage.tags import TagStore
from visearch.storage.faces import FaceStore
from visearch.storage.sqlite.schema import SCHEMA_VERSION
from visearch.storage.vectors.store import VectorStore
from visearch.storage.writer_lock import WRITER_LOCK, LibraryBusyError, WriterLock  # noqa: F401 - LibraryBusyError re-exported

MANIFEST = "manifest.json"
FRAME_FEATURES = "frame-features"  # video frames' keypoints, apart from the lens's `features/`
CLIP_EXPORT = "models/clip-image.onnx"  # the image tower for photo searches without torch (clip_onnx)


class LibraryError(NotFound):
    pass


class EncoderMismatchError(LibraryError):
    kind = "conflict"
    pass


@dataclass(frozen=True)
class Manifest:
    encoder: str = ""  # the encoder's identity: vectors from another identity are refused
    clip: str = ""  # the spec that rebuilds the encoder for queries, e.g. "ViT-B-32:laion2b_s34b_b79k"
    clip_weights: str = ""
    precision: str = "fp32"  # the image tower's precision at the last index run
    dim: int = 0
    semantic: bool = False
    backend: str = "sqlite"  # where documents live: "sqlite" (items.sqlite here) or "elasticsearch"
    es_url: str = ""  # without credentials: those come from options or the environment
    es_prefix: str = ""
    vector_store: str = "faiss"  # "faiss" (vectors.faiss here) or "elasticsearch" (kNN on the items index)
    schema_version: int = SCHEMA_VERSION
    ocr: str = ""
    ocr_scripts: list = field(default_factory=list)  # what the last run's OCR read: "latin", "han", "hangul"
    faces: str = ""  # the face backend: embeddings from two backends are not comparable
    vector_index: str = "flat"
    vector_tuning: dict = field(default_factory=dict)  # efSearch/nprobe and the recall they measured
    shard: str = ""  # "I/N" for a worker's library whose vectors are one shard of a catalogue
    roots: list = field(default_factory=list)  # resolved folders (or files) given to `index`: media is served from these only
    video_ocr: str = ""  # which sampled frames of videos were read: "changes", "all", "keyframes" (each shot's first), "off"
    no_match_floor: float = 0.0  # lens: a CLIP score unrelated items reach (see lens/calibration.py); 0 = not yet
    floor_items: int = 0  # how many vectors the library had when the floor was measured
    created_at: float = field(default_factory=time.time)
    updated_at: float = 0.0


class Library:
    """Opens the stores of one library folder; `bind_encoder` guards the vector space."""

    def __init__(self, root: Path, manifest: Manifest, backend: Backend, *, read_only: bool,
                 map_vectors: bool = False, options: StoreOptions = StoreOptions()) -> None:
        self.root = root
        self.manifest = manifest
        self.backend = backend
        self.docs: DocumentStore = backend.docs
        self.faces: FaceStore = backend.faces
        self.tags: TagStore = backend.tags
        self.read_only = read_only
        self.map_vectors = map_vectors or read_only
        self._vectors: VectorStore | None = None
        self._features: LocalFeatureStore | None = None
        self._frame_features: LocalFeatureStore | None = None
        self._siblings: SiblingTable | None = None
        self._writer = WriterLock(root / WRITER_LOCK)
        self.options = options

    @classmethod
    def open(
        cls,
        root: Path | str,
        *,
        create: bool = False,
        read_only: bool = False,
        backend: str | None = None,
        es_vectors: bool = False,
        map_vectors: bool = False,
        options: StoreOptions = StoreOptions(),
    ) -> "Library":
        """Open (or with `create`, start) a library; `backend` and `es` only matter for a new one.

        `map_vectors` opens the FAISS file memory-mapped and read-only even when the documents are
        writable: a server shares the index's pages with the OS cache instead of copying it to its heap,
        and never writes vectors (people corrections change documents only).

        An Elasticsearch library keeps its documents on the cluster and its
        manifest, thumbnails and FAISS file here; the cluster's credentials
        come from `options` (the settings) each time, never from the manifest.
        """
        root = Path(root).expanduser().absolute()  # once, here: nothing later sees a relative path
        manifest_path = root / MANIFEST
        if not manifest_path.exists():
            if not create:
                raise LibraryError(N_("no visearch library at %(root)s (run `visearch index` first, or pass --library)"),
                                   code="library_missing", root=root)
            root.mkdir(parents=True, exist_ok=True)
            manifest = Manifest(backend=backend or "sqlite")
            if manifest.backend == "elasticsearch":
                from visearch.storage.elastic.session import without_credentials

                es = replace(options, es_explicit=True).es_for(manifest)
                manifest = replace(manifest, es_url=without_credentials(es.url), es_prefix=es.prefix,
                                   vector_store="elasticsearch" if es_vectors else "faiss")
        else:
            manifest = read_manifest(root)
            if backend and backend != manifest.backend:
                raise LibraryError(N_("%(root)s keeps its documents in %(backend)s, not %(backend2)s: use `visearch migrate --to %(backend3)s` to move it"),
                                   code="library_backend_differs", root=root, backend=manifest.backend,
                                   backend2=backend, backend3=backend)
        try:
            backend_stores = open_backend(root, manifest, options, read_only=read_only)
        except VisearchError as exc:
            raise LibraryError.like(exc) from None
        library = cls(root, manifest, backend_stores, read_only=read_only, map_vectors=map_vectors, options=options)
        if not manifest_path.exists():
            library.update_manifest()
        return library

    # -- one writer at a time

    def writing(self, wait: float | None = None):
        """`with library.writing():` holds the library's writer lock (re-entrant in this process).

        A second writer waits up to `wait` seconds (default: the settings' `write_wait`), then gets
        LibraryBusyError naming the holder.
        The lock is an flock: it dies with its process, so a killed indexer leaves no stale lock.
        """
        return self._writer.hold(self.options.write_wait if wait is None else wait)

    def indexed_roots(self) -> list[str]:
        return list(self.manifest.roots)

    def add_roots(self, paths) -> None:
        """Remember what `index` was given, resolved, so media is served from these folders only."""
        roots = list(self.manifest.roots)
        for path in paths:
            real = os.path.realpath(Path(path).expanduser())
            if real not in roots:
                roots.append(real)
        if roots != self.manifest.roots:
            self.manifest = replace(self.manifest, roots=roots)
            self.update_manifest()

    def set_no_match_floor(self, floor: float, items: int) -> None:
        """Recorded with the next save (see lens/calibration.py)."""
        self.manifest = replace(self.manifest, no_match_floor=float(floor), floor_items=int(items))

    # -- encoder binding

    def check_encoder(self, identity: str) -> None:
        """Refuse an encoder other than the one that built the library."""
        if self.manifest.encoder and self.manifest.encoder != identity:
            raise EncoderMismatchError(
                N_("the library at %(root)s was built with %(built)s; this run uses %(identity)s. Vectors from "
                   "different encoders cannot be mixed: use the same --clip, or a new --library."),
                code="encoder_mismatch", root=self.root, built=self.manifest.encoder, identity=identity)

    def bind_encoder(self, identity: str, dim: int, semantic: bool, clip: str = "", clip_weights: str = "") -> None:
        """Adopt the encoder on first use; afterwards refuse any other."""
        if not self.manifest.encoder:
            self.manifest = replace(
                self.manifest, encoder=identity, dim=dim, semantic=semantic, clip=clip, clip_weights=clip_weights
            )
            self.update_manifest()
            return
        self.check_encoder(identity)

    def record_precision(self, precision: str) -> None:
        """bf16 and fp32 vectors agree to cosine ≥ 0.999, so runs may differ; the manifest says the latest."""
        if self.manifest.precision != precision:
            self.manifest = replace(self.manifest, precision=precision)
            self.update_manifest()

    def record_video_ocr(self, mode: str) -> None:
        """Which video frames this run reads text on; the library keeps the least of all its runs, so
        moments can say when captions within a shot were never read."""
        order = ["off", "keyframes", "changes", "all"]
        current = self.manifest.video_ocr
        if current and order.index(current) <= order.index(mode):
            return
        self.update_manifest(video_ocr=mode)

    def check_faces(self, identity: str) -> None:
        if self.manifest.faces and self.manifest.faces != identity:
            raise EncoderMismatchError(
                N_("the library at %(root)s holds faces from the '%(built)s' backend; this run uses '%(identity)s'. "
                   "Use --faces %(built)s, or a new --library."),
                code="faces_mismatch", root=self.root, built=self.manifest.faces, identity=identity)

    def bind_faces(self, identity: str) -> None:
        self.check_faces(identity)
        if not self.manifest.faces:
            self.manifest = replace(self.manifest, faces=identity)
            self.update_manifest()

    @property
    def features(self) -> LocalFeatureStore:
        if self._features is None:
            self._features = FeatureStore(self.root / "features", read_only=self.read_only)
        return self._features

    @property
    def siblings(self) -> SiblingTable:
        """Catalogue images that share one design (found at index time; the lens weighs them in a photo)."""
        if self._siblings is None:
            self._siblings = SiblingTable(self.root, read_only=self.read_only)
        return self._siblings

    @property
    def frame_features(self) -> LocalFeatureStore:
        """Keypoints of sampled video frames, kept apart from the lens's (moments find pictures in them)."""
        if self._frame_features is None:
            self._frame_features = FeatureStore(self.root / FRAME_FEATURES, read_only=self.read_only)
        return self._frame_features

    @property
    def vectors_path(self) -> Path:
        return vectors_file(self.root, self.manifest)

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            if not self.manifest.dim:
                raise LibraryError(N_("the library at %(root)s is empty: nothing has been indexed yet"),
                                   code="library_empty", root=self.root)
            if self.backend.knn is not None:
                self._vectors = self.backend.knn(self.manifest.dim)
            else:
                self._vectors = open_faiss(self.vectors_path, self.manifest.dim, read_only=self.map_vectors,
                                           options=self.options)
        return self._vectors

    def start_vectors_from(self, template: Path) -> None:
        """Begin the vector file from an empty trained index, so shards can be merged without re-encoding."""
        import shutil

        if self.vectors_path.exists():
            return  # already started: the template only seeds a new file
        if not Path(template).is_file():
            raise LibraryError(N_("%(template)s: no such vectors template (make one with `visearch train-vectors`)"),
                               code="no_vectors_template", template=template)
        shutil.copyfile(template, self.vectors_path)

    def set_shard(self, shard: str) -> None:
        """Record which 1/N of the inputs this library's vectors hold ("" for all)."""
        if self.manifest.shard != shard:
            if self._vectors is not None:
                raise LibraryError(N_("set the shard before the vectors are opened"), code="shard_too_late")
            self.manifest = replace(self.manifest, shard=shard)
            self.update_manifest()

    @property
    def thumbnails(self) -> Path:
        return self.root / "thumbs"

    def write_thumbnail(self, sha256: str, data: bytes) -> str:
        """Thumbnails are named by content hash, so renames and duplicates share one file."""
        relative = Path("thumbs") / sha256[:2] / f"{sha256}.jpg"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_suffix(".tmp")
            temp.write_bytes(data)
            os.replace(temp, target)
        return str(relative)

    def completeness(self) -> tuple[int, int, int]:
        """(documents, of them with a vector, of them with keypoints): after any crash the first
        two are equal, and so is the third for a library indexed with keypoints."""
        docs = set(self.docs.item_ids())
        vectors = set(self.vectors.ids().tolist()) if self.manifest.dim else set()
        return len(docs), len(docs & vectors), sum(1 for item in docs if item in self.features)

    # -- persistence

    def checkpoint(self) -> None:
        """Vectors and keypoints first, then the documents' commit: a crash in between leaves
        vectors without documents (dropped by the next run), never documents without vectors.
        Keypoints go to a pending file of the changes only (a full save rewrites them all)."""
        if self._vectors is not None:
            self._vectors.save()
        for store in (self._features, self._frame_features):
            if store is not None:
                store.checkpoint()
        self.docs.commit()

    def save(self, *, ocr: str | None = None, ocr_scripts: list[str] | None = None) -> None:
        """Vectors, all keypoints in a new generation, the documents' commit, then the manifest."""
        if self._vectors is not None:
            self._vectors.save()
        for store in (self._features, self._frame_features):
            if store is not None:
                store.save()  # a no-op where nothing changed
        self.docs.commit()
        changes = {"updated_at": time.time()}
        if self._vectors is not None:
            changes["vector_index"] = self._vectors.kind
            tuning = self._vectors.tuning
            changes["vector_tuning"] = tuning.to_json() if tuning is not None else {}
        if ocr is not None:
            changes["ocr"] = ocr
        if ocr_scripts is not None:
            changes["ocr_scripts"] = list(ocr_scripts)
        self.manifest = replace(self.manifest, **changes)
        self.update_manifest()

    def update_manifest(self, **changes) -> None:
        """Change manifest fields (none: just write it), atomically on disk."""
        if changes:
            self.manifest = replace(self.manifest, **changes)
        write_manifest(self.root, self.manifest)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_manifest(root: Path) -> Manifest:
    path = Path(root) / MANIFEST
    if not path.exists():
        raise LibraryError(N_("no visearch library at %(root)s"), code="library_missing", root=root)
    try:
        data = json.loads(path.read_text())
        return Manifest(**{k: v for k, v in data.items() if k in Manifest.__dataclass_fields__})
    except (ValueError, TypeError) as exc:
        raise LibraryError(N_("%(path)s is not a valid manifest: %(exc)s"), code="manifest_invalid", path=path,
                           exc=exc) from None


def write_manifest(root: Path, manifest: Manifest) -> None:
    """Temp file, fsync, rename: a reader sees the old manifest or the new one."""
    handle, temp = tempfile.mkstemp(prefix=MANIFEST, suffix=".tmp", dir=root)
    with os.fdopen(handle, "w") as out:
        json.dump(asdict(manifest), out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, Path(root) / MANIFEST)


def vectors_file(root: Path, manifest: Manifest) -> Path:
    """A shard worker writes its own file, which `visearch merge-vectors` later combines."""
    if manifest.shard:
        number, count = manifest.shard.split("/")
        return Path(root) / f"vectors-shard-{number}-of-{count}.faiss"
    return Path(root) / "vectors.faiss"
