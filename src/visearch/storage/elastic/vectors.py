"""CLIP vectors in Elasticsearch, for deployments that outgrow one machine's FAISS file.

Vectors live in their own `vectors` index (one document per item id, the
vector in an `int8_hnsw` `dense_vector` field), never on the item documents:
see schema.py for why. kNN answers the `VectorStore` protocol; fusion with
text stays in visearch's ranking, because ES's own RRF retriever needs a paid
licence.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from visearch.storage.codec import chunks
from visearch.storage.elastic import schema
from visearch.storage.elastic.session import MGET_CHUNK, EsSession


class EsVectorStore:
    kind = "es-knn"
    tuning = None  # ES tunes its own HNSW; nothing is measured here

    def __init__(self, session: EsSession, dim: int) -> None:
        self.session = session
        self.dim = dim
        session.client.indices.put_mapping(index=session.index("vectors"),
                                           properties={"clip": schema.clip_field(dim)})

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected ({len(ids)}, {self.dim}) vectors, got {vectors.shape}")
        self.session.write([vector_action(self.session.index("vectors"), int(i), vector)
                            for i, vector in zip(ids, vectors)])

    def remove(self, ids: Sequence[int]) -> int:
        present = self._present(ids)
        self.session.write([{"_op_type": "delete", "_index": self.session.index("vectors"), "_id": str(i)}
                            for i in present])
        return len(present)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        scores = np.zeros((len(queries), max(k, 0)), np.float32)
        ids = np.full((len(queries), max(k, 0)), -1, np.int64)
        for row, query in enumerate(queries):
            if k <= 0:
                break
            hits = self.session.search("vectors", knn=schema.knn_clause(query, k), size=k,
                                       source=False)["hits"]["hits"]
            for column, hit in enumerate(hits[:k]):
                ids[row, column] = int(hit["_id"])
                scores[row, column] = 2 * hit["_score"] - 1  # ES reports (1 + dot) / 2 for dot_product
        return scores, ids

    def get(self, ids: Sequence[int]) -> np.ndarray:
        found: dict[int, list] = {}
        for chunk in chunks([str(int(i)) for i in ids], MGET_CHUNK):
            response = self.session.search("vectors", size=len(chunk),
                                           **schema.vector_scan_body({"ids": {"values": chunk}}))
            found.update({int(hit["_id"]): schema.script_vector(hit) for hit in response["hits"]["hits"]})
        missing = [int(i) for i in ids if not found.get(int(i))]
        if missing:
            raise KeyError(f"no vectors for ids {missing[:5]}")
        return np.asarray([found[int(i)] for i in ids], dtype=np.float32).reshape(len(ids), self.dim)

    def ids(self) -> np.ndarray:
        return np.asarray(self._present(None), dtype=np.int64)

    def contains(self, ids: Sequence[int]) -> np.ndarray:
        present = set(self._present(ids))
        return np.asarray([int(i) in present for i in ids], bool)

    def blocks(self, size: int = 100_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every (ids, vectors) in blocks: for `train-vectors` and for migrating to FAISS."""
        hits = self.session.scan("vectors", None, source=False,
                                 script_fields=schema.vector_scan_body()["script_fields"])
        for batch in chunks(hits, size):
            ids = np.asarray([int(hit["_id"]) for hit in batch], np.int64)
            yield ids, np.asarray([schema.script_vector(hit) for hit in batch], np.float32).reshape(-1, self.dim)

    def tune(self) -> None:
        return None

    def __len__(self) -> int:
        return self.session.count("vectors")

    def save(self) -> None:
        self.session.commit()

    def _present(self, ids: Sequence[int] | None) -> list[int]:
        if ids is None:
            return [int(hit["_id"]) for hit in self.session.scan("vectors", None, source=False)]
        present: list[int] = []
        for chunk in chunks([int(i) for i in ids], MGET_CHUNK):
            present += [int(key) for key in self.session.mget("vectors", chunk, source=False)]
        return present


def vector_action(index: str, item_id: int, vector: np.ndarray) -> dict:
    """A whole vector document (never a partial update): `clip` stays in `_source`, so a reindex keeps it."""
    return {"_op_type": "index", "_index": index, "_id": str(item_id),
            "_source": {"id": item_id, "clip": [float(x) for x in vector]}}
