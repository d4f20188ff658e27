"""The index for millions of vectors: IVF + PQ codes in RAM, float16 copies on disk.

A 512-d vector costs 64 bytes of PQ code plus 8 of id in RAM, against 2 KiB
for Flat or HNSW; PQ alone loses recall, so each query re-ranks a shortlist
exactly from float16 copies in a memory-mapped file beside the index. (An
OPQ rotation trained 4x slower here and re-ranking makes up what it would add.)

Files, for `vectors.faiss`: the faiss index itself (item ids inside), then
`vectors.faiss.f16` (one float16 row per vector, append-only) and
`vectors.faiss.rows.npy` (the item id of each row, -1 once removed). The row
table is written last, so rows beyond it after a crash are ignored.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from visearch.storage.vectors.tuning import Tuning, tune_for_recall

TRAIN_MAX = 200_000
NPROBES = (4, 8, 16, 32, 64, 128, 256)
RERANK_FACTORS = (10, 20, 50, 100)
COMPACT_WHEN_REMOVED = 0.25


def ivfpq_factory(dim: int, count: int) -> str:
    """The faiss factory string for `count` vectors: lists grow with √count, 8-dim PQ sub-vectors."""
    nlist = 1 << max(6, round(np.log2(4 * np.sqrt(max(count, 1)))))
    nlist = max(16, min(nlist, 65536, count // 39 or 16))  # k-means wants ≥ 39 points per list
    m = next((m for m in (64, 48, 32, 16, 8, 4) if dim % m == 0 and dim // m >= 4), 1)
    return f"IVF{nlist},PQ{m}"


def train_empty(dim: int, sample: np.ndarray, expected: int):
    """An empty IVF-PQ index trained on `sample`, sized for `expected` vectors."""
    import faiss

    index = faiss.index_factory(dim, ivfpq_factory(dim, max(expected, len(sample))), faiss.METRIC_INNER_PRODUCT)
    faiss.downcast_index(faiss.extract_index_ivf(index)).do_polysemous_training = False  # slow, and unused
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    return index


def same_training(a, b) -> bool:
    """Whether two IVF-PQ indexes share coarse centroids and codebooks, so their lists can be merged as is."""
    import faiss

    ivf_a, ivf_b = (faiss.downcast_index(faiss.extract_index_ivf(i)) for i in (a, b))
    if (ivf_a.nlist, ivf_a.code_size, ivf_a.d) != (ivf_b.nlist, ivf_b.code_size, ivf_b.d):
        return False
    centroids = [i.quantizer.reconstruct_n(0, i.nlist) for i in (ivf_a, ivf_b)]
    codebooks = [faiss.vector_to_array(i.pq.centroids) for i in (ivf_a, ivf_b)]
    return np.array_equal(*centroids) and np.array_equal(*codebooks)


class IvfPqIndex:
    kind = "ivfpq"

    def __init__(self, path: Path, dim: int, index, rows: np.ndarray, *, read_only: bool) -> None:
        import faiss

        self.path = Path(path)
        self.dim = dim
        self.read_only = read_only
        self._index = index
        self._ivf = faiss.extract_index_ivf(index)
        self._rows = rows
        self._memmap: np.memmap | None = None
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None  # (ids ascending, their rows)
        self.params = {"nprobe": 16, "rerank": 10}
        self.apply({})

    @property
    def faiss_index(self):
        """The trained FAISS index (its coarse quantiser and codebooks)."""
        return self._index

    def same_training(self, other: "IvfPqIndex") -> bool:
        """Same coarse quantiser and PQ codebooks: the inverted lists of the two can be merged as they are."""
        return same_training(self._index, other.faiss_index)

    # -- files

    @property
    def vectors_path(self) -> Path:
        return self.path.with_name(self.path.name + ".f16")

    @property
    def rows_path(self) -> Path:
        return self.path.with_name(self.path.name + ".rows.npy")

    @classmethod
    def is_ivf(cls, index) -> bool:
        import faiss

        try:
            faiss.extract_index_ivf(index)
            return True
        except RuntimeError:
            return False

    @classmethod
    def load(cls, path: Path, dim: int, index, *, read_only: bool) -> "IvfPqIndex":
        """`index` is the faiss index already read from `path`."""
        store = cls(path, dim, index, np.zeros(0, np.int64), read_only=read_only)
        if store.rows_path.exists():
            store._rows = np.load(store.rows_path)
        committed = len(store._rows) * dim * 2
        if not read_only and store.vectors_path.exists() and store.vectors_path.stat().st_size > committed:
            os.truncate(store.vectors_path, committed)  # rows written after the last save: a crash
        return store

    @classmethod
    def build(cls, path: Path, dim: int, ids: np.ndarray, vectors: np.ndarray, *, seed: int = 0) -> "IvfPqIndex":
        """Train on a sample of `vectors`, then add them all; any IVF files at `path` are replaced."""
        rng = np.random.default_rng(seed)
        sample = vectors[np.sort(rng.choice(len(vectors), min(len(vectors), TRAIN_MAX), replace=False))]
        store = cls(path, dim, train_empty(dim, sample, len(ids)), np.zeros(0, np.int64), read_only=False)
        store.vectors_path.unlink(missing_ok=True)
        store.add(ids, vectors)
        return store

    # -- the vector-store operations (the facade checks ids and shapes)

    def __len__(self) -> int:
        return int(np.count_nonzero(self._rows >= 0))

    def ids(self) -> np.ndarray:
        return self._rows[self._rows >= 0].copy()

    def contains(self, ids: np.ndarray) -> np.ndarray:
        return self._lookup(ids) >= 0

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Ids must be new (the facade removes replaced ones first)."""
        ids = np.asarray(ids, dtype=np.int64)
        for start in range(0, len(ids), 100_000):
            part = slice(start, start + 100_000)
            chunk = np.ascontiguousarray(vectors[part], dtype=np.float32)
            with open(self.vectors_path, "ab") as out:
                out.write(chunk.astype(np.float16).tobytes())
            self._index.add_with_ids(chunk, ids[part])
            self._rows = np.concatenate([self._rows, ids[part]])
        self._sorted = None
        self._memmap = None

    def remove(self, ids: Sequence[int]) -> int:
        import faiss

        ids = np.asarray(ids, dtype=np.int64)
        rows = self._lookup(ids)
        present = ids[rows >= 0]
        if len(present) == 0:
            return 0
        self._index.remove_ids(faiss.IDSelectorBatch(present))
        self._rows[rows[rows >= 0]] = -1
        self._sorted = None
        return len(present)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        shortlist = max(k, k * int(self.params["rerank"]))
        _, candidates = self._index.search(queries, shortlist)
        out_scores = np.full((len(queries), k), -np.inf, np.float32)
        out_ids = np.full((len(queries), k), -1, np.int64)
        for n, (query, found) in enumerate(zip(queries, candidates)):
            found = np.unique(found[found >= 0])  # unique: a crash between two writes can repeat an id
            rows = self._lookup(found)
            found, rows = found[rows >= 0], rows[rows >= 0]
            if len(rows) == 0:
                continue
            order = np.argsort(rows)  # read the file front to back
            exact = self._vectors()[rows[order]].astype(np.float32) @ query
            best = np.argsort(-exact)[:k]
            out_scores[n, : len(best)] = exact[best]
            out_ids[n, : len(best)] = found[order][best]
        return out_scores, out_ids

    def get(self, ids: Sequence[int]) -> np.ndarray:
        rows = self._lookup(np.asarray(ids, dtype=np.int64))
        return self._vectors()[rows].astype(np.float32)

    def blocks(self, size: int = 100_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Live (ids, float32 vectors) in row order: for tuning, rebuilding and merging."""
        vectors = self._vectors()
        for start in range(0, len(self._rows), size):
            rows = self._rows[start : start + size]
            live = rows >= 0
            yield rows[live], vectors[start : start + size][live].astype(np.float32)

    # -- parameters

    def apply(self, params: dict) -> None:
        self.params = {**self.params, **params}
        self._ivf.nprobe = min(int(self.params["nprobe"]), self._ivf.nlist)

    def tune(self, target: float) -> Tuning:
        candidates = [{"nprobe": p, "rerank": r} for p in NPROBES if p <= self._ivf.nlist for r in RERANK_FACTORS]
        return tune_for_recall(self.ids(), self.get, self.blocks, self.search, self.apply, candidates, target)

    # -- persistence

    def save(self, write_index) -> None:
        """`write_index(index, path)` writes atomically; the row table goes last."""
        if self.removed_fraction() > COMPACT_WHEN_REMOVED:
            self._compact()
        if self.vectors_path.exists():
            with open(self.vectors_path, "rb+") as handle:
                os.fsync(handle.fileno())
        write_index(self._index, self.path)
        temp = self.rows_path.with_suffix(".tmp.npy")
        np.save(temp, self._rows)
        os.replace(temp, self.rows_path)

    def removed_fraction(self) -> float:
        return float(np.mean(self._rows < 0)) if len(self._rows) else 0.0

    def _compact(self) -> None:
        """Rewrite the float16 file without removed rows."""
        temp = self.vectors_path.with_suffix(".tmp")
        with open(temp, "wb") as out:
            for _, vectors in self.blocks():
                out.write(vectors.astype(np.float16).tobytes())
        self._rows = self.ids()
        os.replace(temp, self.vectors_path)
        self._memmap = None
        self._sorted = None

    # -- internals

    def _vectors(self) -> np.ndarray:
        if self._memmap is None or len(self._memmap) != len(self._rows):
            if len(self._rows) == 0:
                return np.zeros((0, self.dim), np.float16)
            self._memmap = np.memmap(self.vectors_path, dtype=np.float16, mode="r", shape=(len(self._rows), self.dim))
        return self._memmap

    def _lookup(self, ids: np.ndarray) -> np.ndarray:
        """The row of each id, -1 where absent: a sorted array answers it without a dict of millions."""
        if self._sorted is None:
            live = np.flatnonzero(self._rows >= 0)
            order = np.argsort(self._rows[live], kind="stable")
            self._sorted = (self._rows[live][order], live[order])
        sorted_ids, rows = self._sorted
        ids = np.asarray(ids, dtype=np.int64)
        if len(sorted_ids) == 0:
            return np.full(len(ids), -1, np.int64)
        at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
        return np.where(sorted_ids[at] == ids, rows[at], -1)
