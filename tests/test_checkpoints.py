"""When an index run writes a checkpoint: a pure rule, tested on its own."""
from search.ingest import CHECKPOINT_ITEMS, CHECKPOINT_SECONDS, checkpoint_due


def test_cheap_checkpoints_come_every_ten_seconds():
    assert not checkpoint_due(5.0, 100, 0.1)
    assert checkpoint_due(10.5, 100, 0.1)


def test_costly_checkpoints_wait_until_they_cost_a_fifth_of_the_interval():
    assert not checkpoint_due(20.0, 100, 8.0)
    assert checkpoint_due(41.0, 100, 8.0)


def test_a_minute_or_many_items_force_one_whatever_it_costs():
    assert checkpoint_due(CHECKPOINT_SECONDS, 1, 1000.0)
    assert checkpoint_due(1.0, CHECKPOINT_ITEMS, 1000.0)
