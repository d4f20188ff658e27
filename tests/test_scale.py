"""Sharding, IVF-PQ at scale (in miniature) and merging vector shards."""
import json
from dataclasses import asdict

import numpy as np
import pytest

from visearch.indexer.walk import in_shard, parse_shard, walk_media
from visearch.storage.vectors.ivfpq import ivfpq_factory
from visearch.storage.library import Manifest
from visearch.storage.scale.shards import merge_shards
from visearch.storage.vectors.faiss_store import FaissVectorStore, index_kind_for


def clustered(count: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dim)).astype(np.float32)
    rows = centres[rng.integers(0, 50, count)] + 0.3 * rng.standard_normal((count, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_shards_partition_the_inputs(tmp_path):
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x", "1/"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    paths = [f"/data/{n}.jpg" for n in range(400)]
    owners = [[i for i in range(1, 5) if in_shard(p, (i, 4))] for p in paths]
    assert all(len(o) == 1 for o in owners)  # every file belongs to exactly one worker
    assert min(sum(o == [i] for o in owners) for i in range(1, 5)) > 60  # and roughly evenly
    for n in range(20):
        (tmp_path / f"{n}.txt").write_text("x")
    walked = [sorted(f.path.name for f in walk_media([tmp_path], (i, 3))) for i in (1, 2, 3)]
    assert sorted(sum(walked, [])) == sorted(f"{n}.txt" for n in range(20))


def test_index_kind_by_size():
    assert [index_kind_for(n, 50_000, 2_000_000) for n in (10, 50_000, 2_000_000)] == ["flat", "hnsw", "ivfpq"]
    assert ivfpq_factory(512, 1_000_000) == "IVF4096,PQ64"
    assert ivfpq_factory(64, 20_000) == "IVF512,PQ16"


def test_ivfpq_tier_reaches_the_target_recall_and_reloads_memory_mapped(tmp_path):
    both = clustered(12_100, 32)
    base, queries = both[:12_000], both[12_000:]  # held-out queries from the same clusters
    ids = np.arange(12_000) * 7
    store = FaissVectorStore(tmp_path / "v.faiss", 32, ann_threshold=1_000, ivf_threshold=10_000)
    store.add(ids[:5_000], base[:5_000])
    assert store.kind == "hnsw"
    store.add(ids[5_000:], base[5_000:])
    assert store.kind == "ivfpq"
    store.remove(ids[:10])
    store.save()
    assert store.tuning.recall >= 0.95 and store.tuning.size == 11_990 and "nprobe" in store.tuning.params
    reader = FaissVectorStore(tmp_path / "v.faiss", 32, read_only=True)
    assert reader.kind == "ivfpq" and len(reader) == 11_990 and reader.tuning == store.tuning
    _, found = reader.search(queries, 10)
    live = base[10:]
    truth = ids[10:][np.argsort(-(queries @ live.T), axis=1)[:, :10]]
    assert np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]) >= 0.95
    np.testing.assert_allclose(reader.get(ids[20:22]), base[20:22], atol=2e-3)  # float16 copies
    assert not reader.contains(ids[:10]).any()


def write_shard(root, number, count, vectors_path_factory):
    root.mkdir()
    manifest = Manifest(encoder="tiny", dim=32, backend="elasticsearch", es_prefix="p", shard=f"{number}/{count}")
    (root / "manifest.json").write_text(json.dumps(asdict(manifest)))
    (root / "thumbs" / "ab").mkdir(parents=True)
    (root / "thumbs" / "ab" / f"ab{number}.jpg").write_bytes(b"jpeg")
    return vectors_path_factory(root / f"vectors-shard-{number}-of-{count}.faiss")


def test_merge_re_adds_small_shards(tmp_path):
    base = clustered(3_000, 32)
    for number in (1, 2):
        store = write_shard(tmp_path / f"w{number}", number, 2, lambda p: FaissVectorStore(p, 32))
        part = slice((number - 1) * 1_500, number * 1_500)
        store.add(np.arange(3_000)[part], base[part])
        store.save()
    report = merge_shards(tmp_path / "served", [tmp_path / "w1", tmp_path / "w2"])
    assert (report.vectors, report.method, report.thumbnails) == (3_000, "re-added", 2)
    merged = FaissVectorStore(tmp_path / "served" / "vectors.faiss", 32, read_only=True)
    _, found = merged.search(base[2_999:], 1)
    assert found[0, 0] == 2_999
    assert json.loads((tmp_path / "served" / "manifest.json").read_text())["shard"] == ""
    with pytest.raises(Exception, match="exists"):
        merge_shards(tmp_path / "served", [tmp_path / "w1"])


def test_merge_joins_ivf_shards_from_one_template_on_disk(tmp_path):
    import faiss

    from visearch.storage.vectors.ivfpq import train_empty

    base = clustered(8_000, 32)
    template = tmp_path / "trained.faiss"
    faiss.write_index(train_empty(32, base[:4_000], 8_000), str(template))
    for number in (1, 2):
        def seeded(path):
            path.write_bytes(template.read_bytes())
            return FaissVectorStore(path, 32)
        store = write_shard(tmp_path / f"w{number}", number, 2, seeded)
        part = slice((number - 1) * 4_000, number * 4_000)
        store.add(np.arange(8_000)[part] + 100, base[part])
        store.save()
        assert store.kind == "ivfpq"
    report = merge_shards(tmp_path / "served", [tmp_path / "w1", tmp_path / "w2"])
    assert (report.vectors, report.kind, report.method) == (8_000, "ivfpq", "ivf lists merged on disk")
    merged = FaissVectorStore(tmp_path / "served" / "vectors.faiss", 32, read_only=True)
    _, found = merged.search(base[[10, 7_000]], 1)
    assert found[:, 0].tolist() == [110, 7_100]
    np.testing.assert_allclose(merged.get([7_100]), base[7_000:7_001], atol=2e-3)
