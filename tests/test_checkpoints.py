"""When an index run writes a checkpoint: a pure rule, tested on its own."""
from visearch.ingest.writer import CheckpointPolicy


def test_cheap_checkpoints_come_every_ten_seconds():
    policy = CheckpointPolicy()
    assert not policy.due(5.0, 100, 0.1)
    assert policy.due(10.5, 100, 0.1)


def test_costly_checkpoints_wait_until_they_cost_a_fifth_of_the_interval():
    policy = CheckpointPolicy()
    assert not policy.due(20.0, 100, 8.0)
    assert policy.due(41.0, 100, 8.0)


def test_a_minute_or_many_items_force_one_whatever_it_costs():
    policy = CheckpointPolicy(seconds=60.0, items=4096)
    assert policy.due(60.0, 1, 1000.0)
    assert policy.due(1.0, 4096, 1000.0)
    assert not CheckpointPolicy(seconds=120.0, items=8192).due(60.0, 4096, 1000.0)  # the settings decide


def test_keypoint_checkpoints_write_only_changes_and_reopen_with_them(tmp_path):
    import numpy as np

    from visearch.indexer.local_features import LocalFeatures
    from visearch.storage.feature_store import FeatureStore

    def features(n, seed):
        rng = np.random.default_rng(seed)
        return LocalFeatures(rng.random((n, 2), np.float32) * 100, rng.integers(0, 255, (n, 128), np.uint8))

    store = FeatureStore(tmp_path)
    store.put(1, features(30, 1))
    store.put(2, features(0, 2))  # looked, found no keypoints: still recorded
    store.save()
    store.put(3, features(20, 3))
    store.checkpoint()
    store.remove([1])
    store.put(4, features(10, 4))
    store.checkpoint()
    pending = sorted((tmp_path / "pending").glob("*.npz"))
    assert len(pending) == 2
    reopened = FeatureStore(tmp_path)  # what a resumed run sees after kill -9
    assert 1 not in reopened and all(i in reopened for i in (2, 3, 4))
    assert np.array_equal(reopened.get(3).descriptors, features(20, 3).descriptors)
    reopened.save()
    assert not list((tmp_path / "pending").glob("*.npz"))
    final = FeatureStore(tmp_path)
    assert len(final) == 3 and 1 not in final and len(final.get(2)) == 0
