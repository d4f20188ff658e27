"""Vector search at 100k and 1M synthetic clustered vectors, for each index type.

    python bench/search_latency.py [--sizes 100000 1000000] [--dim 512] [--queries 1000] [--kinds flat hnsw ivfpq]

Goes through `visearch.storage.vectors.faiss_store.FaissVectorStore`, the code path a library uses,
forcing each index type with its thresholds: build (add) time, tuning time
(`save()` picks efSearch / nprobe for the target recall on leave-one-out
queries from the stored vectors), then a fresh process loads the saved index
read-only (memory-mapped where faiss allows) and answers held-out queries one
at a time: p50/p99 latency, recall@10 against brute force (faiss IndexFlatIP),
and its memory: anonymous RSS (heap) and file-backed RSS (mapped pages).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def clustered(count: int, dim: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors around `clusters` centres: closer to real embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, clusters, count)
    out = np.empty((count, dim), np.float32)
    for start in range(0, count, 100_000):
        part = slice(start, min(start + 100_000, count))
        noise = rng.standard_normal((part.stop - part.start, dim)).astype(np.float32) * 0.06
        out[part] = centres[labels[part]] + noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out, labels


def memory_gib() -> dict[str, float]:
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                found[key] = int(line.split()[1]) / 2**20
    return found


def measure(store, queries: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    latencies, hits = [], 0
    for query, exact in zip(queries, truth):
        started = time.perf_counter()
        _, ids = store.search(query[None], 10)
        latencies.append(time.perf_counter() - started)
        hits += len(set(ids[0].tolist()) & set(exact.tolist()))
    latencies = np.asarray(latencies) * 1000
    return float(np.percentile(latencies, 50)), float(np.percentile(latencies, 99)), hits / (10 * len(queries))


def search_in_fresh_process(folder: Path, dim: int) -> None:
    """Child: load read-only, answer the queries, print one JSON line."""
    import faiss

    from visearch.storage.vectors.faiss_store import FaissVectorStore

    faiss.omp_set_num_threads(1)  # one query at a time, as a web worker answers them
    before = memory_gib()
    store = FaissVectorStore(folder / "v.faiss", dim, read_only=True)
    queries, truth = np.load(folder / "queries.npy"), np.load(folder / "truth.npy")
    p50, p99, recall = measure(store, queries, truth)
    after = memory_gib()
    print(json.dumps({
        "p50": p50, "p99": p99, "recall": recall, "params": store.tuning.params if store.tuning else {},
        "anon": after["RssAnon"] - before["RssAnon"], "file": after["RssFile"] - before["RssFile"],
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--kinds", nargs="+", default=["flat", "hnsw", "ivfpq"], choices=["flat", "hnsw", "ivfpq"])
    parser.add_argument("--target-recall", type=float, default=0.95)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        search_in_fresh_process(args.child, args.dim)
        return

    import faiss

    from visearch.storage.vectors.faiss_store import FaissVectorStore

    print(f"faiss {faiss.__version__}, dim {args.dim}, {args.queries} held-out single-vector queries, "
          f"target recall {args.target_recall}")
    print(f"{'vectors':>9} {'index':>6} {'params':>24} {'build s':>8} {'tune s':>7} {'disk GiB':>8} "
          f"{'heap GiB':>8} {'mapped':>7} {'p50 ms':>7} {'p99 ms':>7} {'recall@10':>9}")
    thresholds = {"flat": (1 << 62, 1 << 62), "hnsw": (1, 1 << 62), "ivfpq": (1, 1)}
    for size in args.sizes:
        # Queries are held-out draws from the same clusters as the base vectors.
        both, _ = clustered(size + args.queries, args.dim, clusters=max(100, size // 1000), seed=0)
        base, queries = both[:size], both[size:]
        del both
        exact = faiss.IndexFlatIP(args.dim)
        exact.add(base)
        _, truth = exact.search(queries, 10)
        del exact
        ids = np.arange(size, dtype=np.int64)
        for kind in args.kinds:
            with tempfile.TemporaryDirectory() as name:
                folder = Path(name)
                ann, ivf = thresholds[kind]
                store = FaissVectorStore(folder / "v.faiss", args.dim, ann_threshold=ann, ivf_threshold=ivf,
                                         target_recall=args.target_recall)
                started = time.perf_counter()
                store.add(ids, base)
                build = time.perf_counter() - started
                started = time.perf_counter()
                store.save()
                tune = time.perf_counter() - started
                del store
                disk = sum(p.stat().st_size for p in folder.iterdir()) / 2**30
                np.save(folder / "queries.npy", queries[: 200 if kind == "flat" else None])
                np.save(folder / "truth.npy", truth[: 200 if kind == "flat" else None])
                child = subprocess.run(
                    [sys.executable, __file__, "--child", str(folder), "--dim", str(args.dim)],
                    check=True, capture_output=True, text=True,
                )
                r = json.loads(child.stdout.strip().splitlines()[-1])
                params = ",".join(f"{k}={v}" for k, v in r["params"].items()) or "exact"
                print(f"{size:>9} {kind:>6} {params:>24} {build:>8.1f} {tune:>7.1f} {disk:>8.2f} "
                      f"{r['anon']:>8.2f} {r['file']:>7.2f} {r['p50']:>7.2f} {r['p99']:>7.2f} {r['recall']:>9.3f}",
                      flush=True)
        del base


if __name__ == "__main__":
    main()
