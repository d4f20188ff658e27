"""Vector stores: one protocol, FAISS behind it, the index chosen by size.

Ids are document ids, so a vector hit needs no translation table. Below
`ann_threshold` vectors search is exact (Flat); up to `ivf_threshold` it is
HNSW (about a millisecond at a million, 2.2 KiB per 512-d vector); beyond,
IVF+PQ with exact float16 re-ranking (`visearch.storage.vectors.ivfpq`, ~0.1 KiB in RAM).
Approximate indexes get their search parameters (efSearch, nprobe) from a
target recall measured on the library's own vectors when they are built or
have grown by a quarter; see bench/search_latency.py for the trade-offs.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from visearch.storage.vectors.ivfpq import IvfPqIndex
from visearch.storage.vectors.tuning import DEFAULT_TARGET_RECALL, Tuning, tune_for_recall

DEFAULT_ANN_THRESHOLD = 50_000
DEFAULT_IVF_THRESHOLD = 2_000_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256  # until tuning has measured one
EF_CANDIDATES = (16, 32, 48, 64, 96, 128, 192, 256, 384, 512)
RETUNE_GROWTH = 1.25
MIN_TUNING_SIZE = 1_000


def index_kind_for(count: int, ann_threshold: int, ivf_threshold: int) -> str:
    """Flat while exact search is cheap, HNSW while its RAM is affordable, IVF-PQ beyond."""
    if count >= ivf_threshold:
        return "ivfpq"
    return "hnsw" if count >= ann_threshold else "flat"


class FaissVectorStore:
    """FAISS `IndexIDMap2` over Flat or HNSW, or an `IvfPqIndex`; saved atomically."""

    def __init__(
        self,
        path: Path,
        dim: int,
        *,
        read_only: bool = False,
        ann_threshold: int = DEFAULT_ANN_THRESHOLD,
        ivf_threshold: int = DEFAULT_IVF_THRESHOLD,
        target_recall: float = DEFAULT_TARGET_RECALL,
    ) -> None:
        import faiss

        self.path = Path(path)
        self.dim = dim
        self.read_only = read_only
        self.ann_threshold = ann_threshold
        self.ivf_threshold = max(ivf_threshold, ann_threshold)
        self.target_recall = target_recall
        self.tuning: Tuning | None = None
        self._ivf: IvfPqIndex | None = None
        self._dirty = False
        self._id_set: set[int] = set()
        if self.path.exists():
            # IO_FLAG_MMAP_IFC maps flat codes (Flat, and HNSW's storage) from the file: a read-only searcher
            # shares pages with the OS cache instead of copying them to its heap (IO_FLAG_MMAP did not, here).
            flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if read_only else 0
            if Path(str(self.path) + ".ivfdata").exists():
                flags = 0  # merged on-disk lists are memory-mapped by faiss already; the mmap flag breaks them
            index = faiss.read_index(str(self.path), flags)
            if index.d != dim:
                raise ValueError(f"{self.path} holds {index.d}-d vectors, expected {dim}")
            if IvfPqIndex.is_ivf(index):
                self._ivf = IvfPqIndex.load(self.path, dim, index, read_only=read_only)
            else:
                self._index = index
                self._id_set = set(self.ids().tolist())
            self._load_tuning()
        else:
            self._index = self._new_index("flat")
        self._configure()

    # -- the protocol

    def __len__(self) -> int:
        return len(self._ivf) if self._ivf is not None else int(self._index.ntotal)

    @property
    def kind(self) -> str:
        import faiss

        if self._ivf is not None:
            return self._ivf.kind
        inner = faiss.downcast_index(self._index.index)
        return "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"

    def ids(self) -> np.ndarray:
        import faiss

        if self._ivf is not None:
            return self._ivf.ids()
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def contains(self, ids: Sequence[int]) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if self._ivf is not None:
            return self._ivf.contains(ids)
        return np.fromiter((int(i) in self._id_set for i in ids), bool, len(ids))

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        self._writable()
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected ({len(ids)}, {self.dim}) vectors, got {vectors.shape}")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("duplicate ids in one add")
        replaced = ids[self.contains(ids)]
        if len(replaced):
            self.remove(replaced)
        if len(ids) == 0:
            return
        wanted = index_kind_for(len(self) + len(ids), self.ann_threshold, self.ivf_threshold)
        if self._ivf is not None:
            self._ivf.add(ids, vectors)
        elif wanted != self.kind:
            self._rebuild(wanted, extra=(ids, vectors))
        else:
            self._index.add_with_ids(vectors, ids)
            self._id_set.update(ids.tolist())
        self._dirty = True

    def remove(self, ids: Sequence[int]) -> int:
        import faiss

        self._writable()
        if self._ivf is not None:
            removed = self._ivf.remove(np.unique(np.asarray(ids, dtype=np.int64)))
            self._dirty = self._dirty or removed > 0
            return removed
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
        index = self._ivf if self._ivf is not None else self._index
        scores, ids = index.search(queries, min(k, len(self)))
        if ids.shape[1] < k:  # the protocol's shape whatever the count: missing neighbours are -1
            pad = k - ids.shape[1]
            scores = np.pad(scores, ((0, 0), (0, pad)))
            ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
        return scores, ids

    def get(self, ids: Sequence[int]) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        missing = ids[~self.contains(ids)]
        if len(missing):
            raise KeyError(f"no vectors for ids {missing[:5].tolist()}")
        if len(ids) == 0:
            return np.zeros((0, self.dim), np.float32)
        if self._ivf is not None:
            return self._ivf.get(ids)
        return np.vstack([self._index.reconstruct(int(i)) for i in ids])

    def blocks(self, size: int = 100_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every (ids, vectors) in blocks: for tuning, rebuilding and merging shards."""
        if self._ivf is not None:
            yield from self._ivf.blocks(size)
            return
        ids = self.ids()
        for start in range(0, len(ids), size):
            count = min(size, len(ids) - start)
            yield ids[start : start + count], self._index.index.reconstruct_n(start, count)

    def tune(self) -> Tuning | None:
        """Choose efSearch or nprobe for `target_recall` on leave-one-out queries from the stored vectors."""
        if self.kind == "flat" or len(self) < MIN_TUNING_SIZE:
            self.tuning = None
            return None
        if self._ivf is not None:
            self.tuning = self._ivf.tune(self.target_recall)
        else:
            self.tuning = self._tune_hnsw()
        return self.tuning

    def shares_training(self, other: "FaissVectorStore") -> bool:
        """Both IVF-PQ with the same coarse quantiser and codebooks: their lists can be merged as they are."""
        return self._ivf is not None and other.ivf is not None and self._ivf.same_training(other.ivf)

    @property
    def ivf(self):
        """The IVF-PQ index, when the store has grown into one (else None)."""
        return self._ivf

    def save(self, *, force: bool = False) -> None:
        """Tune if the index is new or has grown, then write it atomically (`force`: even if unchanged,
        e.g. to measure search parameters for lists merged on disk)."""
        if not (self._dirty or force) and (self.path.exists() or self.read_only):
            return  # nothing new (a read-only store has nothing to write)
        self._writable()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._needs_tuning():
            self.tune()
        if self._ivf is not None:
            self._ivf.save(_write_index_atomically)
        else:
            _write_index_atomically(self._index, self.path)
        self._save_tuning()
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

        params = self.tuning.params if self.tuning else {}
        if self._ivf is not None:
            self._ivf.apply(params)
            return
        inner = faiss.downcast_index(self._index.index)
        if isinstance(inner, faiss.IndexHNSW):
            inner.hnsw.efSearch = int(params.get("ef_search", HNSW_EF_SEARCH))

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
        self.tuning = None
        if kind == "ivfpq":
            self._ivf = IvfPqIndex.build(self.path, self.dim, ids, vectors)
            self._index, self._id_set = None, set()
        else:
            index = self._new_index(kind)
            if len(ids):
                index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
            self._index = index
            self._id_set = set(ids.tolist())
        self._configure()

    # -- tuning

    @property
    def tuning_path(self) -> Path:
        return self.path.with_name(self.path.name + ".json")

    def _needs_tuning(self) -> bool:
        if self.kind == "flat" or len(self) < MIN_TUNING_SIZE:
            return False
        if self.tuning is None:
            return True
        return not (1 / RETUNE_GROWTH <= len(self) / max(1, self.tuning.size) <= RETUNE_GROWTH)

    def _tune_hnsw(self) -> Tuning:
        import faiss

        hnsw = faiss.downcast_index(self._index.index).hnsw

        def apply(params: dict) -> None:
            hnsw.efSearch = params["ef_search"]

        return tune_for_recall(self.ids(), self.get, self.blocks, self._index.search, apply,
                               [{"ef_search": ef} for ef in EF_CANDIDATES], self.target_recall)

    def _load_tuning(self) -> None:
        try:
            data = json.loads(self.tuning_path.read_text())
            if data.get("kind") == self.kind:
                self.tuning = Tuning(**data["tuning"])
        except (OSError, ValueError, KeyError, TypeError):
            self.tuning = None  # untuned: defaults until the next save measures

    def _save_tuning(self) -> None:
        if self.tuning is None:
            self.tuning_path.unlink(missing_ok=True)
            return
        temp = self.tuning_path.with_suffix(".tmp")
        temp.write_text(json.dumps({"kind": self.kind, "tuning": self.tuning.to_json()}, indent=2))
        os.replace(temp, self.tuning_path)


def _write_index_atomically(index, path: Path) -> None:
    """Write to a temp file, fsync, rename: a crash leaves the old index or the new, never half."""
    import faiss

    handle, temp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        faiss.write_index(index, temp)
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
