"""Local features of indexed images, in memory-mappable files beside the FAISS index.

    features/CURRENT                 names the live generation folder
    features/gen-N/table.npy         int64 rows: item id, first row, count
    features/gen-N/points.f32        float32 (N, 2) keypoints in each image's own pixels
    features/gen-N/descriptors.u8    uint8 (N, 128) RootSIFT descriptors
    features/gen-N/owners.i64        the item id of each descriptor row
    features/gen-N/vote.faiss        FAISS index over all descriptors, for shortlist voting

A save writes a new generation and then switches CURRENT with one atomic rename,
so a crash leaves the old generation or the new one, never a mix. A save rewrites every
keypoint, so an index run's checkpoints write only what changed since the last one:

    features/pending/G-NNNNNN.npz    items added or removed since generation G was saved

Opening a store replays its generation's pending files; the next save folds them into a new
generation and deletes them (pending files of older generations are leftovers and are dropped).

A catalogue image costs at most 400 keypoints × (8 bytes of point + 128 of
descriptor + 8 of owner + 128 in the voting index) ≈ 107 KiB.
"""
from __future__ import annotations

import io
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from visearch.indexer.local_features import LocalFeatures

FLAT_LIMIT = 200_000  # descriptors: exact voting below, IVF with 8-bit codes above
VOTE_NEIGHBOURS = 3
VOTE_NPROBE = 6  # voting is robust to a missed neighbour; latency is not (16 took 200 ms at 10k images)


class LocalFeatureStore(Protocol):
    """Keypoints and descriptors per item, and descriptor voting for the lens's shortlist."""

    def __contains__(self, item_id: int) -> bool: ...

    def __len__(self) -> int: ...

    def get(self, item_id: int) -> LocalFeatures | None: ...

    def put(self, item_id: int, features: LocalFeatures) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def dirty(self) -> bool: ...

    def vote(self, query: LocalFeatures, limit: int = 20) -> list[tuple[int, float]]:
        """Items whose descriptors the query's nearest neighbours fall on, with their share of votes."""

    def checkpoint(self) -> None:
        """Make the changes durable cheaply (a pending delta), for a crash mid-run."""

    def save(self) -> None:
        """Fold everything into a new generation."""


class FeatureStore:
    """`LocalFeatureStore` in memory-mapped files under the library's features/ folder."""

    def __init__(self, root: Path, *, read_only: bool = False) -> None:
        self.root = Path(root)
        self.read_only = read_only
        self._table = np.zeros((0, 3), np.int64)
        self._points = np.zeros((0, 2), np.float32)
        self._descriptors = np.zeros((0, 128), np.uint8)
        current = self.root / "CURRENT"
        self.generation = int(current.read_text().strip()) if current.exists() else 0
        self.folder = self.root / f"gen-{self.generation}"
        if (self.folder / "table.npy").exists():
            self._table = np.load(self.folder / "table.npy")
            rows = int(self._table[:, 2].sum()) if len(self._table) else 0
            if rows:  # memory-mapped: a large catalogue's features stay on disk until touched
                self._points = np.memmap(self.folder / "points.f32", np.float32, "r", shape=(rows, 2))
                self._descriptors = np.memmap(self.folder / "descriptors.u8", np.uint8, "r", shape=(rows, 128))
        self._where = {int(item): (int(start), int(count)) for item, start, count in self._table}
        self._added: dict[int, LocalFeatures] = {}
        self._removed: set[int] = set()
        self._vote_index = None
        self._owners: np.ndarray | None = None
        self._unlogged: set[int] = set()  # changes not yet in a pending file
        self._replay_pending()

    def __contains__(self, item_id: int) -> bool:
        item_id = int(item_id)
        return item_id in self._added or (item_id in self._where and item_id not in self._removed)

    def __len__(self) -> int:
        return len(set(self._where) - self._removed | set(self._added))

    def get(self, item_id: int) -> LocalFeatures | None:
        item_id = int(item_id)
        if item_id in self._added:
            return self._added[item_id]
        if item_id in self._removed or item_id not in self._where:
            return None
        start, count = self._where[item_id]
        return LocalFeatures(np.asarray(self._points[start : start + count]),
                             np.asarray(self._descriptors[start : start + count]))

    def put(self, item_id: int, features: LocalFeatures) -> None:
        self._added[int(item_id)] = features
        self._removed.discard(int(item_id))
        self._unlogged.add(int(item_id))

    def remove(self, ids: Sequence[int]) -> None:
        for item_id in ids:
            self._added.pop(int(item_id), None)
            if int(item_id) in self._where:
                self._removed.add(int(item_id))
            self._unlogged.add(int(item_id))

    @property
    def dirty(self) -> bool:
        return bool(self._added or self._removed)

    def save(self) -> None:
        """Write a new generation with a fresh voting index, then switch to it."""
        if not self.dirty:
            return
        if self.read_only:
            raise PermissionError(f"{self.root} was opened read-only")
        old = self.folder
        target = self.root / f"gen-{self.generation + 1}"
        target.mkdir(parents=True, exist_ok=True)
        items = sorted(set(self._where) - self._removed | set(self._added))
        parts = [self.get(item) for item in items]
        counts = np.asarray([len(p) for p in parts], np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else np.zeros(0, np.int64)
        points = np.concatenate([p.points for p in parts]) if parts else np.zeros((0, 2), np.float32)
        descriptors = np.concatenate([p.descriptors for p in parts]) if parts else np.zeros((0, 128), np.uint8)
        table = np.stack([np.asarray(items, np.int64), starts, counts], axis=1) if items else np.zeros((0, 3), np.int64)
        _atomic_write(target / "points.f32", points.astype(np.float32).tobytes())
        _atomic_write(target / "descriptors.u8", descriptors.astype(np.uint8).tobytes())
        owners = np.repeat(np.asarray(items, np.int64), counts) if items else np.zeros(0, np.int64)
        _atomic_write(target / "owners.i64", owners.tobytes())
        self._write_vote_index(target, descriptors)
        with open(target / "table.npy", "wb") as out:
            np.save(out, table)
            out.flush()
            os.fsync(out.fileno())
        _atomic_write(self.root / "CURRENT", str(self.generation + 1).encode())
        for leftover in (old,) if old.exists() and old != target else ():
            for child in leftover.iterdir():
                child.unlink()
            leftover.rmdir()
        for pending in self._pending_files(every=True):
            pending.unlink(missing_ok=True)
        self.__init__(self.root, read_only=self.read_only)

    # -- checkpoints: only what changed, as pending files

    def checkpoint(self) -> None:
        """Write the changes since the last checkpoint to a pending file (cost: the changes only)."""
        if not self._unlogged:
            return
        if self.read_only:
            raise PermissionError(f"{self.root} was opened read-only")
        changed = sorted(self._unlogged)
        added = [i for i in changed if i in self._added]
        parts = [self._added[i] for i in added]
        folder = self.root / "pending"
        folder.mkdir(parents=True, exist_ok=True)
        sequence = len(self._pending_files()) + 1
        buffer = io.BytesIO()
        np.savez(buffer, added=np.asarray(added, np.int64), counts=np.asarray([len(p) for p in parts], np.int64),
                 points=np.concatenate([p.points for p in parts]) if parts else np.zeros((0, 2), np.float32),
                 descriptors=np.concatenate([p.descriptors for p in parts]) if parts else np.zeros((0, 128), np.uint8),
                 removed=np.asarray([i for i in changed if i not in self._added], np.int64))
        _atomic_write(folder / f"{self.generation}-{sequence:06d}.npz", buffer.getvalue())
        self._unlogged.clear()

    def _pending_files(self, every: bool = False) -> list[Path]:
        folder = self.root / "pending"
        if not folder.is_dir():
            return []
        prefix = f"{self.generation}-"
        return sorted(p for p in folder.glob("*.npz") if every or p.name.startswith(prefix))

    def _replay_pending(self) -> None:
        for path in self._pending_files():
            with np.load(path) as data:  # each data[...] reads the array again: read each once
                added, counts, removed = data["added"], data["counts"], data["removed"]
                points, descriptors = data["points"], data["descriptors"]
            starts = np.concatenate([[0], np.cumsum(counts)])
            for index, item in enumerate(added):
                rows = slice(int(starts[index]), int(starts[index + 1]))
                self._added[int(item)] = LocalFeatures(points[rows], descriptors[rows])
                self._removed.discard(int(item))
            for item in removed:
                self._added.pop(int(item), None)
                if int(item) in self._where:
                    self._removed.add(int(item))

    def _write_vote_index(self, target: Path, descriptors: np.ndarray) -> None:
        import faiss

        # QT_8bit_direct stores the uint8 descriptors as they are: exact, 128 bytes each.
        vectors = np.ascontiguousarray(descriptors, dtype=np.float32)
        if len(vectors) <= FLAT_LIMIT:
            index = faiss.IndexScalarQuantizer(128, faiss.ScalarQuantizer.QT_8bit_direct, faiss.METRIC_L2)
        else:
            nlist = int(4 * np.sqrt(len(vectors)))
            index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatL2(128), 128, nlist,
                                                  faiss.ScalarQuantizer.QT_8bit_direct, faiss.METRIC_L2)
            sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), 100 * nlist), False)]
            index.train(sample)
            index.nprobe = VOTE_NPROBE
        if len(vectors):
            index.add(vectors)
        faiss.write_index(index, str(target / "vote.faiss"))

    # -- voting

    def vote(self, query: LocalFeatures, limit: int = 20) -> list[tuple[int, float]]:
        """Each query descriptor votes for the images owning its nearest catalogue descriptors."""
        import faiss

        if len(query) == 0 or not (self.folder / "vote.faiss").exists():
            return []
        if self._vote_index is None:
            self._vote_index = faiss.read_index(str(self.folder / "vote.faiss"), faiss.IO_FLAG_MMAP)
            if isinstance(self._vote_index, faiss.IndexIVF):
                self._vote_index.nprobe = VOTE_NPROBE
            self._owners = np.fromfile(self.folder / "owners.i64", np.int64)
        if self._vote_index.ntotal == 0:
            return []
        distances, rows = self._vote_index.search(np.ascontiguousarray(query.descriptors, np.float32), VOTE_NEIGHBOURS)
        votes: Counter = Counter()
        for row_set in rows:
            seen = set()
            for rank, row in enumerate(row_set):
                if row < 0:
                    continue
                owner = int(self._owners[row])
                if owner not in seen and owner not in self._removed:
                    seen.add(owner)
                    votes[owner] += 1.0 / (rank + 1)
        return votes.most_common(limit)


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)
