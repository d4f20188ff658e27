"""CLIP vectors in Elasticsearch, for deployments that outgrow one machine's FAISS file.

Each item document holds its vector in an `int8_hnsw` `dense_vector` field,
left out of `_source` (4 bytes × 512 on every hit otherwise). kNN answers the
`VectorStore` protocol; fusion with text stays in visearch's ranking, because
ES's own RRF retriever needs a paid licence.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from search.elastic import schema
from search.elastic.documents import EsDocumentStore


class EsVectorStore:
    kind = "es-knn"

    def __init__(self, documents: EsDocumentStore, dim: int) -> None:
        documents.enable_vectors(dim)
        self.docs = documents
        self.dim = dim
        self.tuning = None

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected ({len(ids)}, {self.dim}) vectors, got {vectors.shape}")
        self.docs.write([{"_op_type": "update", "_index": self.docs.index("items"), "_id": str(int(i)),
                          "doc": {"clip": vector.tolist()}} for i, vector in zip(ids, vectors)])

    def remove(self, ids: Sequence[int]) -> int:
        present = self._present(ids)
        self.docs.write([{"_op_type": "update", "_index": self.docs.index("items"), "_id": str(int(i)),
                          "doc": {"clip": None}} for i in present])
        return len(present)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        scores = np.zeros((len(queries), max(k, 0)), np.float32)
        ids = np.full((len(queries), max(k, 0)), -1, np.int64)
        for row, query in enumerate(queries):
            if k <= 0:
                break
            hits = self.docs.search("items", knn=schema.knn_clause(query, k), size=k, source=False)["hits"]["hits"]
            for column, hit in enumerate(hits[:k]):
                ids[row, column] = int(hit["_id"])
                scores[row, column] = 2 * hit["_score"] - 1  # ES reports (1 + dot) / 2 for dot_product
        return scores, ids

    def get(self, ids: Sequence[int]) -> np.ndarray:
        if len(ids) == 0:
            return np.zeros((0, self.dim), np.float32)
        response = self.docs.search(
            "items", query={"ids": {"values": [str(int(i)) for i in ids]}}, size=len(ids), source=False,
            script_fields={"clip": {"script": {"source": "doc['clip'].size() == 0 ? null : doc['clip'].vectorValue"}}},
        )
        found = {int(hit["_id"]): _unwrap(hit.get("fields", {}).get("clip")) for hit in response["hits"]["hits"]}
        missing = [int(i) for i in ids if not found.get(int(i))]
        if missing:
            raise KeyError(f"no vectors for ids {missing[:5]}")
        return np.asarray([found[int(i)] for i in ids], dtype=np.float32).reshape(len(ids), self.dim)

    def ids(self) -> np.ndarray:
        return np.asarray(self._present(None), dtype=np.int64)

    def contains(self, ids: Sequence[int]) -> np.ndarray:
        present = set(self._present(ids))
        return np.asarray([int(i) in present for i in ids], bool)

    def __len__(self) -> int:
        return self.docs.count("items", {"exists": {"field": "clip"}})

    def save(self) -> None:
        self.docs.commit()

    def _present(self, ids: Sequence[int] | None) -> list[int]:
        query: dict = {"exists": {"field": "clip"}}
        if ids is not None:
            query = {"bool": {"filter": [query, {"ids": {"values": [str(int(i)) for i in ids]}}]}}
        return [int(hit["_id"]) for hit in self.docs.scan("items", query, source=False)]


def _unwrap(value):
    """Script fields come back as a list of the script's values: here one vector."""
    if value and isinstance(value[0], list):
        return value[0]
    return value
