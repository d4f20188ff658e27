"""Search parameters from a target recall, measured on the library's own vectors.

Held-back queries are stored vectors searched leave-one-out: the exact top-k
excludes the query itself, and so does the approximate answer. That measures
what a user sees (neighbours of an item) without setting vectors aside.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

DEFAULT_TARGET_RECALL = 0.95
# Leave-one-out queries flatter an index: at 1M vectors, 0.975 measured on them was 0.943 on
# held-out queries. Aim halfway between the target and 1.
HEADROOM = 0.5
TUNING_QUERIES = 300
RECALL_K = 10


def tuning_goal(target: float) -> float:
    """The leave-one-out recall to reach so that new queries reach `target`."""
    return target + (1 - target) * HEADROOM


@dataclass(frozen=True)
class Tuning:
    """What was chosen and what it measured, recorded in the manifest."""

    params: dict
    recall: float  # recall@10 measured at `size` vectors
    latency_ms: float
    target: float
    size: int
    queries: int

    def to_json(self) -> dict:
        return asdict(self)


def exact_neighbours(
    queries: np.ndarray, blocks: Iterable[tuple[np.ndarray, np.ndarray]], k: int
) -> np.ndarray:
    """Ids of the exact top-k by inner product, streaming (ids, vectors) blocks so a million fits in RAM."""
    import faiss

    heap = faiss.ResultHeap(len(queries), k, keep_max=True)
    for ids, vectors in blocks:
        if len(ids) == 0:
            continue
        scores = queries @ np.asarray(vectors, dtype=np.float32).T
        top = min(k, len(ids))
        part = np.argpartition(-scores, top - 1, axis=1)[:, :top]
        heap.add_result(np.take_along_axis(scores, part, axis=1).astype(np.float32),
                        np.asarray(ids, dtype=np.int64)[part])
    heap.finalize()
    return heap.I


def leave_one_out_recall(found: np.ndarray, truth: np.ndarray, query_ids: Sequence[int], k: int = RECALL_K) -> float:
    """Recall@k of `found` against `truth`, both with the query's own id removed."""
    hits = total = 0
    for own, got, exact in zip(query_ids, found, truth):
        expected = [i for i in exact.tolist() if i != own and i >= 0][:k]
        answered = [i for i in got.tolist() if i != own and i >= 0][:k]
        hits += len(set(expected) & set(answered))
        total += len(expected)
    return hits / total if total else 1.0


def choose(
    candidates: Sequence[dict],
    measure: Callable[[dict], tuple[float, float]],
    target: float,
) -> tuple[dict, float, float]:
    """The first (cheapest) candidate whose recall reaches `target`, else the most accurate one.

    `measure(params)` returns (recall, mean latency in ms); candidates come
    ordered by cost, so the sweep stops at the first that is good enough.
    """
    most_accurate: tuple[dict, float, float] | None = None
    for params in candidates:
        recall, latency = measure(params)
        if recall >= target:
            return params, recall, latency
        if most_accurate is None or recall > most_accurate[1]:
            most_accurate = (params, recall, latency)
    if most_accurate is None:
        raise ValueError("no candidate parameters to choose from")
    return most_accurate


def tune_for_recall(
    ids: np.ndarray,
    get: Callable[[np.ndarray], np.ndarray],
    blocks: Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]],
    search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]],
    apply: Callable[[dict], None],
    candidates: Sequence[dict],
    target: float,
    *,
    seed: int = 0,
) -> Tuning:
    """Measure `candidates` (cheapest first) on leave-one-out queries and leave the chosen one applied."""
    query_ids = np.random.default_rng(seed).choice(ids, min(TUNING_QUERIES, len(ids)), replace=False)
    queries = get(query_ids)
    truth = exact_neighbours(queries, blocks(), RECALL_K + 1)

    def measure(params: dict) -> tuple[float, float]:
        apply(params)
        found, latency = timed_search(search, queries, RECALL_K + 1)
        return leave_one_out_recall(found, truth, query_ids), latency

    params, recall, latency = choose(candidates, measure, tuning_goal(target))
    apply(params)
    return Tuning(params, round(recall, 4), round(latency, 3), target, len(ids), len(query_ids))


def timed_search(search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]], queries: np.ndarray,
                 k: int) -> tuple[np.ndarray, float]:
    """Ids found one query at a time (as the web answers them) and the mean latency in ms."""
    found, started = [], time.perf_counter()
    for query in queries:
        found.append(search(query[None], k)[1][0])
    return np.vstack(found), (time.perf_counter() - started) * 1000 / max(1, len(queries))
