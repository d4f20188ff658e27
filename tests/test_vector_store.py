"""The vector-store contract (storage/vectors/store.py): FAISS always, Elasticsearch kNN with a server.

tests/test_vectors.py keeps the FAISS-only checks (index kinds by size, atomic saves, mmap).
"""
import numpy as np
import pytest

from tests.conftest import drop_prefix, es_settings_for_test

DIM = 16


@pytest.fixture(params=["faiss", "elasticsearch"])
def vectors(request, tmp_path):
    if request.param == "faiss":
        from visearch.storage.backends import open_faiss

        yield open_faiss(tmp_path / "vectors.faiss", DIM)
        return
    from visearch.storage.backends import open_elasticsearch

    settings = es_settings_for_test()
    stores = open_elasticsearch(settings, vector_dims=DIM, knn=True)
    try:
        yield stores.knn(DIM)
    finally:
        stores.close()
        drop_prefix(settings)


def unit_vectors(count: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_add_search_get_and_ids_round_trip(vectors):
    data = unit_vectors(20)
    ids = np.arange(100, 120)
    vectors.add(ids, data)
    vectors.save()
    assert len(vectors) == 20 and sorted(vectors.ids().tolist()) == ids.tolist()
    scores, found = vectors.search(data[:3], 1)
    assert found[:, 0].tolist() == [100, 101, 102] and np.all(scores[:, 0] > 0.95)
    assert np.allclose(vectors.get([105, 100]), data[[5, 0]], atol=0.02)  # int8 on ES: close, not equal
    assert vectors.contains([100, 5]).tolist() == [True, False]
    assert isinstance(vectors.kind, str) and vectors.kind


def test_replace_remove_and_missing_ids(vectors):
    data = unit_vectors(4, seed=1)
    vectors.add([1, 2, 3, 4], data)
    vectors.add([2], data[[0]])  # replace
    vectors.save()
    assert len(vectors) == 4 and vectors.search(data[[0]], 2)[1][0].tolist() in ([1, 2], [2, 1])
    assert vectors.remove([3, 99]) == 1
    vectors.save()
    assert sorted(vectors.ids().tolist()) == [1, 2, 4]
    with pytest.raises(KeyError):
        vectors.get([3])
    with pytest.raises(ValueError):
        vectors.add([5], np.zeros((1, DIM + 1), np.float32))


def test_blocks_yield_every_vector_once(vectors):
    data = unit_vectors(10, seed=2)
    vectors.add(np.arange(10), data)
    vectors.save()
    seen = {}
    for ids, block in vectors.blocks(size=4):
        assert len(ids) <= 4 and block.shape == (len(ids), DIM)
        seen.update(zip(ids.tolist(), block))
    assert sorted(seen) == list(range(10))
    assert np.allclose(np.stack([seen[i] for i in range(10)]), data, atol=0.02)


def test_empty_store_and_k_beyond_the_count(vectors):
    scores, ids = vectors.search(unit_vectors(1), 5)
    assert ids.tolist() == [[-1] * 5]
    vectors.add([7], unit_vectors(1, seed=3))
    vectors.save()
    assert vectors.search(unit_vectors(1, seed=3), 3)[1][0].tolist() == [7, -1, -1]
    assert vectors.tune() is None  # too few vectors to measure anything
