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

from indexer.errors import VisearchError
from search.documents import DocumentStore
from search.faces_store import SqliteFaceStore
from search.features_store import FeatureStore
from search.sqlite_store import SCHEMA_VERSION, SqliteDocumentStore
from search.vectors import DEFAULT_ANN_THRESHOLD, FaissVectorStore

DEFAULT_LIBRARY = "visearch-library"
MANIFEST = "manifest.json"


class LibraryError(VisearchError):
    pass


class EncoderMismatchError(LibraryError):
    pass


@dataclass(frozen=True)
class Manifest:
    encoder: str = ""  # the encoder's identity: vectors from another identity are refused
    clip: str = ""  # the spec that rebuilds the encoder for queries, e.g. "ViT-B-32:laion2b_s34b_b79k"
    clip_weights: str = ""
    precision: str = "fp32"  # the image tower's precision at the last index run
    dim: int = 0
    semantic: bool = False
    backend: str = "sqlite"
    schema_version: int = SCHEMA_VERSION
    ocr: str = ""
    faces: str = ""  # the face backend: embeddings from two backends are not comparable
    vector_index: str = "flat"
    created_at: float = field(default_factory=time.time)
    updated_at: float = 0.0


def default_library_path() -> Path:
    return Path(os.environ.get("VISEARCH_LIBRARY") or DEFAULT_LIBRARY)


class Library:
    """Opens the stores of one library folder; `bind_encoder` guards the vector space."""

    def __init__(self, root: Path, manifest: Manifest, docs: DocumentStore, *, read_only: bool) -> None:
        self.root = root
        self.manifest = manifest
        self.docs = docs
        self.read_only = read_only
        self._vectors: FaissVectorStore | None = None
        self._faces: SqliteFaceStore | None = None
        self._features: FeatureStore | None = None

    @classmethod
    def open(cls, root: Path | str, *, create: bool = False, read_only: bool = False) -> "Library":
        root = Path(root).expanduser()
        manifest_path = root / MANIFEST
        if not manifest_path.exists():
            if not create:
                raise LibraryError(f"no visearch library at {root} (run `visearch index` first, or pass --library)")
            root.mkdir(parents=True, exist_ok=True)
            manifest = Manifest()
        else:
            try:
                data = json.loads(manifest_path.read_text())
                manifest = Manifest(**{k: v for k, v in data.items() if k in Manifest.__dataclass_fields__})
            except (ValueError, TypeError) as exc:
                raise LibraryError(f"{manifest_path} is not a valid manifest: {exc}") from None
        if manifest.backend != "sqlite":
            raise LibraryError(f"{root} uses the '{manifest.backend}' backend, which this build cannot open")
        docs = SqliteDocumentStore(root / "items.sqlite", read_only=read_only and (root / "items.sqlite").exists())
        library = cls(root, manifest, docs, read_only=read_only)
        if not manifest_path.exists():
            library._write_manifest()
        return library

    # -- encoder binding

    def check_encoder(self, identity: str) -> None:
        """Refuse an encoder other than the one that built the library."""
        if self.manifest.encoder and self.manifest.encoder != identity:
            raise EncoderMismatchError(
                f"the library at {self.root} was built with {self.manifest.encoder}; this run uses {identity}. "
                f"Vectors from different encoders cannot be mixed: use the same --clip, or a new --library."
            )

    def bind_encoder(self, identity: str, dim: int, semantic: bool, clip: str = "", clip_weights: str = "") -> None:
        """Adopt the encoder on first use; afterwards refuse any other."""
        if not self.manifest.encoder:
            self.manifest = replace(
                self.manifest, encoder=identity, dim=dim, semantic=semantic, clip=clip, clip_weights=clip_weights
            )
            self._write_manifest()
            return
        self.check_encoder(identity)

    def record_precision(self, precision: str) -> None:
        """bf16 and fp32 vectors agree to cosine ≥ 0.999, so runs may differ; the manifest says the latest."""
        if self.manifest.precision != precision:
            self.manifest = replace(self.manifest, precision=precision)
            self._write_manifest()

    def check_faces(self, identity: str) -> None:
        if self.manifest.faces and self.manifest.faces != identity:
            raise EncoderMismatchError(
                f"the library at {self.root} holds faces from the '{self.manifest.faces}' backend; this run uses "
                f"'{identity}'. Use --faces {self.manifest.faces}, or a new --library."
            )

    def bind_faces(self, identity: str) -> None:
        self.check_faces(identity)
        if not self.manifest.faces:
            self.manifest = replace(self.manifest, faces=identity)
            self._write_manifest()

    @property
    def faces(self) -> SqliteFaceStore:
        if self._faces is None:
            self._faces = SqliteFaceStore(self.docs)
        return self._faces

    @property
    def features(self) -> FeatureStore:
        if self._features is None:
            self._features = FeatureStore(self.root / "features", read_only=self.read_only)
        return self._features

    @property
    def vectors(self) -> FaissVectorStore:
        if self._vectors is None:
            if not self.manifest.dim:
                raise LibraryError(f"the library at {self.root} is empty: nothing has been indexed yet")
            self._vectors = FaissVectorStore(
                self.root / "vectors.faiss", self.manifest.dim, read_only=self.read_only,
                ann_threshold=int(os.environ.get("VISEARCH_ANN_THRESHOLD", DEFAULT_ANN_THRESHOLD)),
            )
        return self._vectors

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

    # -- persistence

    def save(self, *, ocr: str | None = None) -> None:
        """Commit documents, then vectors, then the manifest."""
        self.docs.commit()
        if self._vectors is not None:
            self._vectors.save()
        if self._features is not None:
            self._features.save()
        changes = {"updated_at": time.time()}
        if self._vectors is not None:
            changes["vector_index"] = self._vectors.kind
        if ocr is not None:
            changes["ocr"] = ocr
        self.manifest = replace(self.manifest, **changes)
        self._write_manifest()

    def _write_manifest(self) -> None:
        handle, temp = tempfile.mkstemp(prefix=MANIFEST, suffix=".tmp", dir=self.root)
        with os.fdopen(handle, "w") as out:
            json.dump(asdict(self.manifest), out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.root / MANIFEST)

    def close(self) -> None:
        self.docs.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
