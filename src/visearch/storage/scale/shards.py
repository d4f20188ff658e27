"""Sharded indexing: N workers each write a vector shard; one merge makes the library's index.

Documents need no merging (every worker writes to the same Elasticsearch
indices, with ids reserved from a shared counter). Vectors do: IVF-PQ shards
started from one trained template (`train_template`) are merged list by list
with faiss's on-disk merge, nothing re-encoded; any other shards are re-added
into a new store, which picks Flat, HNSW or IVF-PQ by the total.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from visearch.errors import N_
from visearch.storage.backends import StoreOptions, open_faiss
from visearch.storage.library import Library, LibraryError, read_manifest, vectors_file, write_manifest
from visearch.storage.vectors.faiss_store import FaissVectorStore
from visearch.storage.vectors.ivfpq import TRAIN_MAX, train_empty


@dataclass
class MergeReport:
    target: Path
    vectors: int
    kind: str
    method: str  # "ivf lists merged on disk" | "re-added"
    thumbnails: int


def merge_shards(target_root: Path, shard_roots: Sequence[Path], options: StoreOptions = StoreOptions()) -> MergeReport:
    """Combine the workers' vectors and thumbnails into the library at `target_root`."""
    manifests = [read_manifest(root) for root in shard_roots]
    first = manifests[0]
    for root, manifest in zip(shard_roots, manifests):
        same = (manifest.encoder, manifest.dim, manifest.backend, manifest.es_url, manifest.es_prefix)
        if same != (first.encoder, first.dim, first.backend, first.es_url, first.es_prefix):
            raise LibraryError(N_("%(root)s was built with another encoder or document store than %(shard_roots)s"),
                               code="shards_differ", root=root, shard_roots=shard_roots[0])
    target_root = Path(target_root)
    target = vectors_file(target_root, replace(first, shard=""))
    if target.exists():
        raise LibraryError(N_("%(target)s exists: merge into a new library folder"), code="merge_target_exists",
                           target=target)
    target_root.mkdir(parents=True, exist_ok=True)
    sources = [vectors_file(root, manifest) for root, manifest in zip(shard_roots, manifests)]
    missing = [str(path) for path in sources if not path.exists()]
    if missing:
        raise LibraryError(N_("no vectors in %(missing)s: has that worker finished?"), code="shard_unfinished",
                           missing=', '.join(missing))
    store, method = merge_vector_files(target, sources, first.dim, options)
    thumbnails = sum(_copy_thumbnails(Path(root), target_root) for root in shard_roots)
    merged = replace(first, shard="", vector_index=store.kind,
                     vector_tuning=store.tuning.to_json() if store.tuning else {})
    write_manifest(target_root, merged)
    return MergeReport(target, len(store), store.kind, method, thumbnails)


def merge_vector_files(target: Path, sources: Sequence[Path], dim: int,
                       options: StoreOptions = StoreOptions()) -> tuple[FaissVectorStore, str]:
    shards = [FaissVectorStore(path, dim, read_only=True) for path in sources]
    if all(shards[0].shares_training(shard) for shard in shards):
        _merge_ivf_on_disk(target, sources, dim)
        method = "ivf lists merged on disk"
    else:
        store = open_faiss(target, dim, options=options)
        for shard in shards:
            for ids, vectors in shard.blocks():
                store.add(ids, vectors)
        store.save()
        method = "re-added"
    store = FaissVectorStore(target, dim)
    if method != "re-added":
        store.save(force=True)  # measures nprobe for the merged size
    return store, method


def _merge_ivf_on_disk(target: Path, sources: Sequence[Path], dim: int) -> None:
    import faiss
    from faiss.contrib.ondisk import merge_ondisk

    trained = faiss.read_index(str(sources[0]))
    trained.reset()  # the shared training, without shard 1's lists
    merge_ondisk(trained, [str(path) for path in sources], str(target) + ".ivfdata")
    rows = []
    with open(str(target) + ".f16", "wb") as out:
        for path in sources:
            shard_rows = np.load(str(path) + ".rows.npy")
            with open(str(path) + ".f16", "rb") as vectors:
                shutil.copyfileobj(vectors, out)
                if out.tell() != (sum(len(r) for r in rows) + len(shard_rows)) * dim * 2:
                    raise LibraryError(N_("%(path)s.f16 does not match its row table: re-run that worker"),
                                       code="shard_rows_mismatch", path=path)
            rows.append(shard_rows)
    np.save(str(target) + ".rows.npy", np.concatenate(rows))
    faiss.write_index(trained, str(target))


def train_template(library: Library, out: Path, *, expected: int = 0, seed: int = 0) -> int:
    """Train an empty IVF-PQ index on (a sample of) the library's vectors, for shard workers to start from."""
    import faiss

    vectors = library.vectors
    blocks = [block for _, block in vectors.blocks()]
    if not blocks:
        raise LibraryError(N_("%(root)s has no vectors to train on"), code="no_vectors_to_train", root=library.root)
    sample = np.vstack(blocks)
    if len(sample) > TRAIN_MAX:
        sample = sample[np.random.default_rng(seed).choice(len(sample), TRAIN_MAX, replace=False)]
    index = train_empty(library.manifest.dim, sample, expected or len(vectors))
    temp = Path(str(out) + ".tmp")
    faiss.write_index(index, str(temp))
    os.replace(temp, out)
    return len(sample)


def _copy_thumbnails(source_root: Path, target_root: Path) -> int:
    """Thumbnails are named by content hash: copy what the target lacks."""
    copied = 0
    for path in (source_root / "thumbs").rglob("*.jpg") if (source_root / "thumbs").exists() else []:
        destination = target_root / path.relative_to(source_root)
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied += 1
    return copied
