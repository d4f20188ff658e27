"""The tag-store contract (storage/tags.py): every backend must pass these.

The Elasticsearch half runs against a real server named by VISEARCH_ES_URL and is skipped
without one; the requests it sends are checked in test_es_requests.py."""
import pytest

from visearch.storage.tags import TagExistsError, TagSegment


def segment(video: int, start: float, score: float = 1.0, **evidence) -> TagSegment:
    return TagSegment(video, start, start + 2.0, score, None, evidence or {"text": {"words": ["goal"]}})


def test_tags_are_saved_found_by_name_and_refused_twice(tags):
    first = tags.create_tag("Home run", {"combine": "and", "clauses": [{"kind": "text", "value": "home run"}]}, 0.8)
    assert tags.find_tag("home RUN").id == first and tags.find_tag("Home run").threshold == 0.8
    with pytest.raises(TagExistsError, match="Home run"):
        tags.create_tag("HOME RUN", {"clauses": []}, None)
    second = tags.create_tag("Bumper", {"clauses": []}, None)
    assert [t.name for t in tags.tags()] == ["Bumper", "Home run"]
    tags.delete_tag(second)
    assert [t.name for t in tags.tags()] == ["Home run"] and tags.find_tag("bumper") is None


def test_segments_are_replaced_per_video_and_counted(tags):
    tag = tags.create_tag("goal", {"clauses": []}, None)
    tags.replace_segments(tag, [1, 2], [segment(1, 0.0), segment(1, 10.0), segment(2, 5.0)])
    tags.replace_segments(tag, [1], [segment(1, 20.0, score=0.5)])  # video 1 again: only its segments change
    found = tags.segments(tag)
    assert [(s.video_id, s.start, s.score) for _, s in found] == [(1, 20.0, 0.5), (2, 5.0, 1.0)]
    assert found[0][1].evidence == {"text": {"words": ["goal"]}}
    assert [s.start for _, s in tags.segments(video_id=2)] == [5.0]
    assert tags.applied_videos(tag) == {1, 2}
    [record] = tags.tags()
    assert (record.segments, record.videos) == (2, 2)
    tags.replace_segments(tag, [3], [])  # applied, nothing found: still counts as applied
    assert tags.applied_videos(tag) == {1, 2, 3}
    tags.forget_videos([1])
    assert [s.video_id for _, s in tags.segments(tag)] == [2] and tags.applied_videos(tag) == {2, 3}


def test_a_failed_replacement_leaves_the_old_segments(tags):
    tag = tags.create_tag("logo", {"clauses": []}, None)
    tags.replace_segments(tag, [1], [segment(1, 0.0)])
    broken = [segment(1, 4.0), TagSegment(1, 8.0, 9.0, 1.0, None, {"bad": object()})]  # cannot be written
    with pytest.raises(TypeError):
        tags.replace_segments(tag, [1], broken)
    assert [s.start for _, s in tags.segments(tag)] == [0.0]
