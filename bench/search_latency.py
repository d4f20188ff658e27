"""Vector search latency and recall at 100k and 1M synthetic clustered vectors.

    python bench/search_latency.py [--sizes 100000 1000000] [--dim 512] [--queries 1000]

Goes through `search.vectors.FaissVectorStore`, the code path a library uses:
exact Flat search below its threshold, HNSW above. Ground truth is brute force
(faiss IndexFlatIP) on the same vectors. Recall@10 = |ANN top-10 ∩ exact top-10| / 10.
"""
from __future__ import annotations

import argparse
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


def rss_gib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 2**20
    return 0.0


def measure(store, queries: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    latencies, hits = [], 0
    for query, exact in zip(queries, truth):
        started = time.perf_counter()
        _, ids = store.search(query[None], 10)
        latencies.append(time.perf_counter() - started)
        hits += len(set(ids[0].tolist()) & set(exact.tolist()))
    latencies = np.asarray(latencies) * 1000
    return float(np.percentile(latencies, 50)), float(np.percentile(latencies, 99)), hits / (10 * len(queries))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--ef", type=int, nargs="+", default=[64, 128, 256, 512])
    args = parser.parse_args()

    import faiss

    from search.vectors import FaissVectorStore

    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads, dim {args.dim}, "
          f"{args.queries} single-vector queries")
    print(f"{'vectors':>9} {'index':>12} {'build s':>8} {'RAM GiB':>8} {'p50 ms':>7} {'p99 ms':>7} {'recall@10':>9}")
    for size in args.sizes:
        # Queries are held-out draws from the same clusters as the base vectors.
        both, _ = clustered(size + args.queries, args.dim, clusters=max(100, size // 1000), seed=0)
        base, queries = both[:size], both[size:]
        del both
        exact = faiss.IndexFlatIP(args.dim)
        exact.add(base)
        _, truth = exact.search(queries, 10)
        ids = np.arange(size, dtype=np.int64)

        with tempfile.TemporaryDirectory() as folder:
            before = rss_gib()
            started = time.perf_counter()
            flat = FaissVectorStore(Path(folder) / "flat.faiss", args.dim, ann_threshold=size + 1)
            flat.add(ids, base)
            build = time.perf_counter() - started
            p50, p99, recall = measure(flat, queries[:200], truth[:200])
            print(f"{size:>9} {'flat':>12} {build:>8.1f} {rss_gib() - before:>8.2f} {p50:>7.2f} {p99:>7.2f} {recall:>9.3f}")
            del flat

            before = rss_gib()
            started = time.perf_counter()
            hnsw = FaissVectorStore(Path(folder) / "hnsw.faiss", args.dim, ann_threshold=1)
            hnsw.add(ids, base)
            build = time.perf_counter() - started
            ram = rss_gib() - before
            for ef in args.ef:
                faiss.downcast_index(hnsw._index.index).hnsw.efSearch = ef
                p50, p99, recall = measure(hnsw, queries, truth)
                print(f"{size:>9} {f'hnsw ef={ef}':>12} {build:>8.1f} {ram:>8.2f} {p50:>7.2f} {p99:>7.2f} {recall:>9.3f}")
            del hnsw
        del base, exact


if __name__ == "__main__":
    main()
