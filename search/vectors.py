"""Vector stores: one protocol, FAISS behind it.

Ids are document ids, so a vector hit needs no translation table. Small
libraries use exact inner-product search; past `ann_threshold` vectors the
store switches to HNSW, which answers in about a millisecond at a million
vectors for a small, measured loss of recall (see bench/search_latency.py).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

DEFAULT_ANN_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256


class VectorStore(Protocol):
    """Unit vectors keyed by document id; `search` ranks by inner product (cosine)."""

    dim: int

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Insert or replace."""

    def remove(self, ids: Sequence[int]) -> int: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); missing neighbours have id -1."""

    def get(self, ids: Sequence[int]) -> np.ndarray: ...

    def ids(self) -> np.ndarray: ...

    def __len__(self) -> int: ...

    def save(self) -> None: ...


class FaissVectorStore:
    """FAISS `IndexIDMap2` over a Flat or HNSW index, saved atomically to one file."""

    def __init__(
        self,
        path: Path,
        dim: int,
        *,
        read_only: bool = False,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        ef_search: int = HNSW_EF_SEARCH,
    ) -> None:
        import faiss

        self.path = Path(path)
        self.dim = dim
        self.read_only = read_only
        self.ann_threshold = ann_threshold
        self.ef_search = ef_search
        self._dirty = False
        if self.path.exists():
            # IO_FLAG_MMAP so a read-only searcher shares pages with the OS cache instead of copying.
            flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if read_only else 0
            self._index = faiss.read_index(str(self.path), flags)
            if self._index.d != dim:
                raise ValueError(f"{self.path} holds {self._index.d}-d vectors, expected {dim}")
        else:
            self._index = self._new_index("flat")
        self._id_set = set(self.ids().tolist())
        self._configure()

    # -- the protocol

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> str:
        import faiss

        inner = faiss.downcast_index(self._index.index)
        return "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"

    def ids(self) -> np.ndarray:
        import faiss

        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        self._writable()
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected ({len(ids)}, {self.dim}) vectors, got {vectors.shape}")
        if len(set(ids.tolist())) != len(ids):
            raise ValueError("duplicate ids in one add")
        replaced = [i for i in ids.tolist() if i in self._id_set]
        if replaced:
            self.remove(replaced)
        if len(ids) == 0:
            return
        if self.kind == "flat" and len(self) + len(ids) >= self.ann_threshold:
            self._rebuild("hnsw", extra=(ids, vectors))
        else:
            self._index.add_with_ids(vectors, ids)
        self._id_set.update(ids.tolist())
        self._dirty = True

    def remove(self, ids: Sequence[int]) -> int:
        import faiss

        self._writable()
        present = np.asarray([i for i in set(int(i) for i in ids) if i in self._id_set], dtype=np.int64)
        if len(present) == 0:
            return 0
        if self.kind == "flat":
            self._index.remove_ids(faiss.IDSelectorBatch(present))
        else:  # HNSW graphs cannot delete: rebuild without them (removals are rare: prune, changed files)
            self._rebuild("hnsw", drop=present)
        self._id_set.difference_update(present.tolist())
        self._dirty = True
        return len(present)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if len(self) == 0 or k <= 0:
            empty = np.full((len(queries), max(k, 0)), -1, np.int64)
            return np.zeros(empty.shape, np.float32), empty
        scores, ids = self._index.search(queries, min(k, len(self)))
        return scores, ids

    def get(self, ids: Sequence[int]) -> np.ndarray:
        missing = [i for i in ids if int(i) not in self._id_set]
        if missing:
            raise KeyError(f"no vectors for ids {missing[:5]}")
        if len(ids) == 0:
            return np.zeros((0, self.dim), np.float32)
        return np.vstack([self._index.reconstruct(int(i)) for i in ids])

    def save(self) -> None:
        """Write to a temp file, fsync, rename: a crash leaves the old index or the new, never half."""
        import faiss

        if not self._dirty and self.path.exists():
            return
        self._writable()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        os.close(handle)
        try:
            faiss.write_index(self._index, temp)
            with open(temp, "rb") as written:
                os.fsync(written.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self._dirty = False

    # -- internals

    def _writable(self) -> None:
        if self.read_only:
            raise PermissionError(f"{self.path} was opened read-only")

    def _new_index(self, kind: str):
        import faiss

        if kind == "flat":
            inner = faiss.IndexFlatIP(self.dim)
        else:
            inner = faiss.IndexHNSWFlat(self.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        return faiss.IndexIDMap2(inner)

    def _configure(self) -> None:
        import faiss

        inner = faiss.downcast_index(self._index.index)
        if isinstance(inner, faiss.IndexHNSW):
            inner.hnsw.efSearch = self.ef_search

    def _rebuild(self, kind: str, *, drop: np.ndarray | None = None, extra=None) -> None:
        ids = self.ids()
        vectors = self._index.index.reconstruct_n(0, len(ids)) if len(ids) else np.zeros((0, self.dim), np.float32)
        if drop is not None and len(drop):
            keep = ~np.isin(ids, drop)
            ids, vectors = ids[keep], vectors[keep]
        if extra is not None:
            ids = np.concatenate([ids, extra[0]])
            vectors = np.vstack([vectors, extra[1]])
        if kind == "hnsw" and len(ids) < self.ann_threshold // 2:
            kind = "flat"  # shrunk well below the threshold: exact search is cheap again
        index = self._new_index(kind)
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self._index = index
        self._configure()
