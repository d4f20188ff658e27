"""FaissVectorStore against brute-force ground truth on a seeded synthetic set."""
import numpy as np
import pytest

from visearch.storage.vectors.faiss_store import FaissVectorStore


def unit_rows(count: int, dim: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def exact_top(base: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    return ids[np.argsort(-(queries @ base.T), axis=1)[:, :k]]


def test_flat_search_is_exact_and_ids_are_document_ids(tmp_path):
    base, queries = unit_rows(500, 32), unit_rows(20, 32, seed=1)
    ids = np.arange(1000, 1500)
    store = FaissVectorStore(tmp_path / "v.faiss", 32)
    store.add(ids, base)
    scores, found = store.search(queries, 10)
    assert store.kind == "flat"
    np.testing.assert_array_equal(found, exact_top(base, ids, queries, 10))
    assert scores[0, 0] >= scores[0, -1]


def test_add_replaces_and_remove_deletes(tmp_path):
    base = unit_rows(10, 8)
    store = FaissVectorStore(tmp_path / "v.faiss", 8)
    store.add(range(10), base)
    store.add([3], base[7:8])  # item 3 now looks like item 7
    assert len(store) == 10
    np.testing.assert_allclose(store.get([3]), base[7:8])
    assert store.remove([3, 4, 99]) == 2
    assert sorted(store.ids().tolist()) == [0, 1, 2, 5, 6, 7, 8, 9]
    with pytest.raises(KeyError):
        store.get([3])


def test_switches_to_hnsw_past_the_threshold_with_high_recall(tmp_path):
    base, queries = unit_rows(3000, 32), unit_rows(50, 32, seed=2)
    ids = np.arange(3000) * 2
    store = FaissVectorStore(tmp_path / "v.faiss", 32, ann_threshold=1000)
    store.add(ids[:500], base[:500])
    assert store.kind == "flat"
    store.add(ids[500:], base[500:])
    assert store.kind == "hnsw"
    _, found = store.search(queries, 10)
    truth = exact_top(base, ids, queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
    assert recall >= 0.95
    store.remove(ids[:2900].tolist())  # shrinks far below the threshold: back to exact
    assert store.kind == "flat" and len(store) == 100


def test_save_is_atomic_and_reload_is_read_only_mmap(tmp_path):
    path = tmp_path / "v.faiss"
    store = FaissVectorStore(path, 8)
    store.add([1, 2], unit_rows(2, 8))
    store.save()
    assert [p.name for p in tmp_path.iterdir()] == ["v.faiss"]  # no temp file left behind
    reader = FaissVectorStore(path, 8, read_only=True)
    assert sorted(reader.ids().tolist()) == [1, 2]
    with pytest.raises(PermissionError):
        reader.add([3], unit_rows(1, 8))


def test_a_failed_save_keeps_the_previous_index(tmp_path, monkeypatch):
    import faiss

    path = tmp_path / "v.faiss"
    store = FaissVectorStore(path, 8)
    store.add([1], unit_rows(1, 8))
    store.save()
    store.add([2], unit_rows(1, 8, seed=3))

    def crash(index, name):
        open(name, "wb").write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError):
        store.save()
    monkeypatch.undo()
    assert FaissVectorStore(path, 8).ids().tolist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["v.faiss"]


def test_wrong_dimension_is_refused(tmp_path):
    store = FaissVectorStore(tmp_path / "v.faiss", 8)
    with pytest.raises(ValueError):
        store.add([1], unit_rows(1, 9))
    store.add([1], unit_rows(1, 8))
    store.save()
    with pytest.raises(ValueError):
        FaissVectorStore(tmp_path / "v.faiss", 16)


def test_empty_store_searches_to_nothing(tmp_path):
    scores, ids = FaissVectorStore(tmp_path / "v.faiss", 8).search(unit_rows(2, 8), 5)
    assert (ids == -1).all() and ids.shape == (2, 5)
