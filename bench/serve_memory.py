"""The memory of a whole `visearch serve` process over a library of a million items.

    python bench/serve_memory.py [--items 1000000] [--keep DIR]

Builds the fixture catalogue with `ViT-B-32:random` (512-d vectors, the real tower's
size), copies it, and grows the copy with synthetic items (documents and clustered
vectors) to `--items`. The vector store is IVF-PQ (`VISEARCH_IVF_THRESHOLD` lowered
for the build, as a library past 2M vectors gets it by default), or with `--index hnsw`
the HNSW a library of 50k to 2M vectors gets. It then starts
`visearch serve` on each library in turn, sends the same text searches, photo searches
and browse pages, and reads the process's memory from /proc: anonymous RSS (heap,
what the process cannot give back) and file-backed RSS (mapped pages the OS may
evict). The small library's figures are the baseline taken in the same run; the
difference is the cost of the items. Goal (issue 15): heap ≤ 0.6 GB per million.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_GIB_PER_MILLION = 0.6 * 1e9 / 2**30
CLIP = "ViT-B-32:random"


def cli(*argv: str, env: dict | None = None) -> None:
    subprocess.run([sys.executable, "-m", "visearch", *argv], check=True, capture_output=True, cwd=ROOT,
                   env=dict(os.environ, HF_HUB_OFFLINE="1", **(env or {})))


def grow(library_path: Path, items: int, batch: int = 20_000) -> None:
    """Add synthetic items (documents and vectors near the real ones) until the library holds `items`."""
    from bench.search_latency import clustered
    from visearch.storage.documents import ItemDoc
    from visearch.storage.library import Library

    with Library.open(library_path) as library, library.writing():
        have = library.docs.counts()["items"]
        real = library.vectors.get(library.docs.item_ids())
        thumbnail = next(iter(library.docs.get(library.docs.item_ids()[:1]).values())).thumbnail
        rng = np.random.default_rng(1)
        for start in range(have, items, batch):
            count = min(batch, items - start)
            docs = [ItemDoc(path=f"/synthetic/{start + n:07d}.jpg", sha256=f"{start + n:064x}", size=100_000,
                            format="jpeg", width=1024, height=768, source="/synthetic", thumbnail=thumbnail,
                            added_at=time.time()) for n in range(count)]
            ids = library.docs.upsert(docs)
            vectors, _ = clustered(count, real.shape[1], clusters=max(1, count // 1000), seed=start)
            vectors = 0.5 * vectors + 0.5 * real[rng.integers(0, len(real), count)]
            library.vectors.add(ids, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
            library.docs.commit()
        library.save()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_memory(library: Path, photo: Path) -> dict[str, float]:
    """Start `serve`, wait for its models, ask it what a user would, and read its memory."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "visearch", "--library", str(library), "serve", "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=dict(os.environ, HF_HUB_OFFLINE="1"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/api/status", timeout=5) as answer:
                    if json.load(answer).get("models") == "ready":
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit(f"serve over {library} never became ready")
        for text in ("AX-2040", "water bottle", "purifier"):
            post(f"{base}/api/search", json.dumps({"text": text, "k": 24}).encode(), "application/json")
        boundary = "visearchbench"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\n"
                "Content-Type: image/jpeg\r\n\r\n").encode() + photo.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
        for _ in range(5):
            post(f"{base}/api/search", body, f"multipart/form-data; boundary={boundary}")
        for page in (1, 2, 50):
            urllib.request.urlopen(f"{base}/api/browse?page={page}", timeout=60).read()
        return memory(server.pid)
    finally:
        server.terminate()
        server.wait()


def post(url: str, body: bytes, kind: str) -> None:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": kind}, method="POST")
    urllib.request.urlopen(request, timeout=120).read()


def memory(pid: int) -> dict[str, float]:
    found = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                found[key] = int(line.split()[1]) / 2**20
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--index", choices=["ivfpq", "hnsw"], default="ivfpq",
                        help="the large library's vector index: IVF-PQ (past 2M vectors) or HNSW (50k to 2M)")
    parser.add_argument("--keep", type=Path, help="build the libraries here and keep them (a second run reuses them)")
    args = parser.parse_args()
    from visearch.demo.generate import generate

    folder = args.keep or Path(tempfile.mkdtemp(prefix="serve-memory-"))
    folder.mkdir(parents=True, exist_ok=True)
    fixture = generate(folder / "fixtures")
    small, large = folder / "small", folder / "large"
    if not (small / "manifest.json").exists():
        cli("--library", str(small), "index", str(fixture.catalog_dir), "--catalog", str(fixture.catalog_csv),
            "--clip", CLIP, "--no-progress")
    if not (large / "manifest.json").exists():
        shutil.copytree(small, large)
        started = time.perf_counter()
        if args.index == "ivfpq":
            os.environ["VISEARCH_IVF_THRESHOLD"] = "1"  # IVF-PQ, as past 2M vectors
        grow(large, args.items)
        print(f"grew the copy to {args.items} items in {time.perf_counter() - started:.0f} s")
    manifest = json.loads((large / "manifest.json").read_text())
    print(f"visearch serve, {CLIP}; the large library's vector index: {manifest.get('vector_index')}")
    figures = {name: serve_memory(path, fixture.photos[1]) for name, path in (("small", small), ("large", large))}
    for name, found in figures.items():
        print(f"  {name:<6} RSS {found['VmRSS']:.2f} GiB (peak {found['VmHWM']:.2f}): heap {found['RssAnon']:.2f} GiB, "
              f"mapped files {found['RssFile']:.2f} GiB")
    per_million = (figures["large"]["RssAnon"] - figures["small"]["RssAnon"]) * 1e6 / args.items
    print(f"heap for the items: {per_million:.2f} GiB per million (goal ≤ {GOAL_GIB_PER_MILLION:.2f} GiB, 0.6 GB: "
          f"{'met' if per_million <= GOAL_GIB_PER_MILLION else 'not met'})")
    if not args.keep:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
