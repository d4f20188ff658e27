"""The closest text read, for words that found no moment (moments/closest.py, pure)."""
from visearch.moments.closest import Reading, closeness, closest_readings


def test_closeness_counts_edits_per_letter_and_hangul_by_jamo():
    assert closeness("오늘의 무대", "오늘의 무대 · TODAY'S STAGE") == 0
    assert closeness("TODAYS STAGE", "TODAY S STAGE") == 0  # spaces and punctuation aside
    assert 0 < closeness("오늘의 무대", "오늘의 SCH TODAY S STAGE") <= 0.5  # the misread caption is still near
    assert closeness("HOME RUM", "HOME RUN") == 1 / 7
    assert closeness("breaking news", "KOR 2:1 JPN") > 0.5
    assert closeness("", "anything") == 1.0 and closeness("words", "") == 1.0


def test_closest_readings_nearest_first_each_line_once_and_nothing_far():
    readings = [Reading("HOME RUN", 1, 27.0), Reading("HOME RUN", 1, 3.0), Reading("HOMER", 2, 5.0),
                Reading("STRIKE OUT", 1, 13.0)]
    found = closest_readings("HOME RUM", readings)
    assert [(r.text, r.time) for r, _ in found] == [("HOME RUN", 3.0), ("HOMER", 5.0)]
    assert closest_readings("quantum zebra", readings) == []
    assert len(closest_readings("HOME", [Reading(f"HOME {i}", 1, i) for i in range(9)])) == 3
