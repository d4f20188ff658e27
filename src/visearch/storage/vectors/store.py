"""The vector store interface: unit vectors keyed by document id, searched by inner product.

`FaissVectorStore` (faiss_store.py, a file in the library folder) and
`EsVectorStore` (storage/elastic/vectors.py, kNN on the cluster) implement it;
tests/test_vector_store.py is their one contract suite.
"""
from __future__ import annotations

from typing import Iterator, Protocol, Sequence

import numpy as np

from visearch.storage.vectors.tuning import Tuning


class VectorStore(Protocol):
    dim: int

    @property
    def kind(self) -> str:
        """The index behind it ("flat", "hnsw", "ivfpq", "es-knn"), recorded in the manifest."""

    @property
    def tuning(self) -> Tuning | None:
        """The search parameters measured for the target recall, if any."""

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Insert or replace."""

    def remove(self, ids: Sequence[int]) -> int:
        """Delete; returns how many were present."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); missing neighbours have id -1."""

    def get(self, ids: Sequence[int]) -> np.ndarray:
        """The vectors of `ids`, in order; KeyError naming any that are missing."""

    def ids(self) -> np.ndarray: ...

    def contains(self, ids: Sequence[int]) -> np.ndarray:
        """A boolean per id."""

    def blocks(self, size: int = 100_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every (ids, vectors) in blocks: tuning, training a template, merging, migrating."""

    def tune(self) -> Tuning | None: ...

    def __len__(self) -> int: ...

    def save(self) -> None:
        """Make everything added durable (FAISS: an atomic file write; ES: a refresh)."""
