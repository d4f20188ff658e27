"""Text on screen over time, as pure functions: spans from frames' reads, numbers, and moments from spans."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from visearch.indexer.records import OcrLine
from visearch.indexer.text_spans import (FrameText, TextSpan, build_spans, cell_boxes, changed_cells, contains_value,
                                read_numbers, same_string, sampling_interval, text_form,
                                thumbnails)
from visearch.indexer.video_text import MIN_CROP, TextPlanner, grow, take_in, widen
from visearch.moments.intervals import span_moments

SHOT = (0.0, 20.0)
CAPTION = (400.0, 600.0, 880.0, 660.0)
LOGO = (1150.0, 40.0, 1240.0, 90.0)


def line(text: str, box=CAPTION, confidence: float = 0.95) -> OcrLine:
    x0, y0, x1, y1 = box
    return OcrLine(text, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)), confidence)


def whole(time: float, *lines: OcrLine, shot: int = 0, span=SHOT) -> FrameText:
    return FrameText(time, shot, span, list(lines), whole=True)


def read(time: float, changed, *lines: OcrLine, since=None) -> FrameText:
    return FrameText(time, 0, SHOT, list(lines), changed=list(changed), settled=list(changed) if since else [],
                     since=since)


def unchanged(time: float) -> FrameText:
    return FrameText(time, 0, SHOT)


def spans_of(frames, interval=1.0):
    return [(s.text, s.start, s.end) for s in build_spans(frames, interval)[0]]


def test_a_caption_mid_shot_starts_and_ends_half_a_sample_before_the_sample_that_shows_the_change():
    frames = [whole(0.0), unchanged(1.0), read(2.0, [CAPTION], line("HOME RUN")), unchanged(3.0),
              read(4.0, [CAPTION]), unchanged(5.0)]
    assert spans_of(frames) == [("HOME RUN", 1.5, 3.5)]


def test_the_same_words_after_a_gap_are_a_new_span():
    frames = [whole(0.0, line("HOME RUN")), read(1.0, [CAPTION]), unchanged(2.0),
              read(3.0, [CAPTION], line("HOME RUN")), unchanged(4.0)]
    assert spans_of(frames) == [("HOME RUN", 0.0, 0.5), ("HOME RUN", 2.5, 20.0)]  # the last lasts to its shot's end


def test_readings_of_one_caption_merge_and_the_most_confident_wins():
    frames = [whole(0.0, line("H0ME RUM", confidence=0.7)), read(1.0, [CAPTION], line("HOME RUN", confidence=0.97)),
              read(2.0, [CAPTION], line("HOME RUN.", confidence=0.8))]
    [span] = build_spans(frames, 1.0)[0]
    assert (span.text, span.confidence, span.start) == ("HOME RUN", 0.97, 0.0)


def test_a_number_that_changes_in_its_box_starts_a_new_span():
    score = (40.0, 40.0, 260.0, 80.0)
    frames = [whole(0.0, line("KOR 1:0 JPN", score)), read(1.0, [score], line("KOR 1:0 JPN", score)),
              read(2.0, [score], line("KOR 2:0 JPN", score)), unchanged(3.0)]
    assert spans_of(frames) == [("KOR 1:0 JPN", 0.0, 1.5), ("KOR 2:0 JPN", 1.5, 20.0)]
    assert not same_string("KOR 1:0 JPN", "KOR 2:0 JPN") and same_string("TODAY'S STAGE", "TODAYS STAGE")


def test_text_that_stays_is_read_once_carried_and_kept_over_a_cut():
    first, second = (0.0, 4.6), (4.6, 9.0)
    frames = [whole(0.0, line("VSN", LOGO), span=first), FrameText(1.0, 0, first, [line("HOME RUN")], [CAPTION]),
              FrameText(2.0, 0, first), FrameText(3.0, 0, first, [], [CAPTION]),
              FrameText(4.0, 0, first, [line("LATE NEWS")], [CAPTION]),
              whole(5.0, line("VSN", LOGO), shot=1, span=second), FrameText(6.0, 1, second)]
    spans, shown = build_spans(frames, 1.0)
    assert [(s.text, s.start, s.end) for s in spans] == [
        ("VSN", 0.0, 9.0), ("HOME RUN", 0.5, 2.5), ("LATE NEWS", 3.5, 4.6)]  # the logo stays over the cut
    assert [[x.text for x in lines] for lines in shown][:4] == [["VSN"], ["VSN", "HOME RUN"], ["VSN", "HOME RUN"],
                                                                ["VSN"]]


def test_a_cut_to_a_frame_not_read_ends_what_was_on_screen_with_the_shot():
    frames = [whole(0.0, line("VSN", LOGO), span=(0.0, 4.6)), FrameText(5.0, 1, (4.6, 9.0), carry=False)]
    assert spans_of(frames) == [("VSN", 0.0, 4.6)]


def test_a_line_read_again_in_a_grown_region_replaces_what_was_carried():
    score = (40.0, 40.0, 260.0, 80.0)
    clock = (270.0, 40.0, 380.0, 80.0)
    frames = [whole(0.0, line("KOR 1:0 JPN", score), line("12:00", clock)),
              read(1.0, [clock], line("KOR 1:0 JPN", score), line("12:01", clock))]
    spans, shown = build_spans(frames, 1.0)
    assert [x.text for x in shown[1]] == ["KOR 1:0 JPN", "12:01"]
    assert [(s.text, s.start) for s in spans] == [("KOR 1:0 JPN", 0.0), ("12:00", 0.0), ("12:01", 0.5)]


def test_text_that_held_still_over_a_false_cut_began_before_it():
    """A moving backdrop can look like a cut to the shot detector; text that held still over it was there."""
    frames = [whole(0.0, span=(0.0, 3.6)), unchanged(1.0), unchanged(2.0),
              FrameText(3.6, 1, (3.6, 8.0), [line("HOME RUN")], whole=True, settled=[CAPTION], since=2.0)]
    assert spans_of(frames) == [("HOME RUN", 1.5, 8.0)]


def test_between_keyframes_nothing_is_known_and_what_was_seen_lasts_one_sample():
    frames = [whole(0.0, line("HOME RUN")), FrameText(1.0, 0, SHOT, carry=False), FrameText(2.0, 0, SHOT, carry=False)]
    assert spans_of(frames) == [("HOME RUN", 0.0, 1.0)]


def test_text_found_where_a_moving_picture_held_still_was_there_a_sample_earlier():
    score = (40.0, 40.0, 260.0, 80.0)
    changed_score = FrameText(3.0, 0, SHOT, [line("HOME RUN"), line("KOR 1:0 JPN", score)], changed=[CAPTION, score],
                              settled=[CAPTION], since=2.0)
    frames = [whole(0.0, line("KOR 0:0 JPN", score)), unchanged(1.0), changed_score, unchanged(4.0)]
    assert spans_of(frames) == [("KOR 0:0 JPN", 0.0, 2.5), ("HOME RUN", 1.5, 20.0), ("KOR 1:0 JPN", 2.5, 20.0)]


@pytest.mark.parametrize("text, word, expected", [
    ("KOR 2:1 JPN", "2:1", True), ("KOR 12:1 JPN", "2:1", False), ("12:10", "2:1", False), ("HOME RUN", "run", True),
    ("KOR O:O JPN", "0:0", True), ("KOR D:1 JPN", "0:1", True), ("SCORE 21", "21", True), ("SCORE 210", "21", False),
    ("anything", "", False), ("오늘의 무대", "무대", True),
])
def test_a_number_is_found_whole_however_its_digits_were_read(text, word, expected):
    assert contains_value(text_form(text), text_form(word)) is expected


def test_letters_become_digits_only_inside_numbers():
    assert read_numbers("KOR O:O JPN") == "KOR 0:0 JPN"
    assert read_numbers("1O items") == "10 items"
    assert read_numbers("GOOD DOG 1lI") == "GOOD DOG 111"
    assert text_form("Kor O:O") == "kor0:0"


def test_the_sampling_interval_is_the_short_step_between_kept_frames():
    assert sampling_interval([0.0, 1.0, 2.0, 6.0, 7.0]) == 1.0
    assert sampling_interval([0.0, 0.5, 1.0, 1.5]) == 0.5
    assert sampling_interval([3.0]) == 1.0


def span(text, start, end, box=CAPTION):
    return TextSpan(text, box, 0.9, start, end, 0)


def test_moments_from_spans_need_every_word_on_screen_at_once():
    spans = [span("HOME RUN", 2.0, 6.0), span("KIM MINJI", 4.0, 9.0, (60, 460, 400, 520)), span("HOME RUN", 12.0, 14.0)]
    both = span_moments(spans, ["homerun", "kim"], 1.0, 7, thumbnail=lambda start, end: int(start))
    assert [(m.start, m.end, m.thumbnail_item) for m in both] == [(4.0, 6.0, 4)]
    assert [l["text"] for l in both[0].evidence["text"]["lines"]] == ["HOME RUN", "KIM MINJI"]
    either = span_moments(spans, ["homerun", "kim"], 0.5, 7)
    assert [(m.start, m.end, m.score) for m in either] == [(2.0, 9.0, 1.0), (12.0, 14.0, 0.5)]
    assert span_moments(spans, ["nothing"], 1.0, 7) == []


def test_moments_of_a_score_by_value_and_close_runs_merge():
    spans = [span("KOR 1:0 JPN", 0.0, 5.0), span("KOR 2:1 JPN", 10.0, 12.0), span("KOR 12:1 JPN", 12.0, 14.0),
             span("KOR 2:1 JPN", 14.5, 16.0)]
    assert [(m.start, m.end) for m in span_moments(spans, ["2:1"], 1.0, 1)] == [(10.0, 12.0), (14.5, 16.0)]
    assert [(m.start, m.end) for m in span_moments(spans, ["2:1"], 1.0, 1, gap=3.0)] == [(10.0, 16.0)]


# -- where a frame is read


def frame(caption: str = "", background=(40, 90, 110), moving: int | None = None) -> Image.Image:
    """A plain set, or (`moving`: the step) a ramp that moves 120 px a step; a caption on top."""
    if moving is None:
        image = Image.new("RGB", (1280, 720), background)
    else:
        x, y = np.meshgrid(np.arange(1280) + 120 * moving, np.arange(720))
        ramp = ((x * 0.6 + y * 0.3) % 200 + 20).astype(np.uint8)
        image = Image.fromarray(np.stack([ramp] * 3, axis=2))
    draw = ImageDraw.Draw(image)
    if caption:
        draw.rectangle(CAPTION, fill=(250, 250, 250))
        draw.text((420, 605), caption, fill=(0, 0, 0), font_size=40)
    return image


def test_cells_that_change_become_boxes_in_frame_pixels():
    before, after = thumbnails(frame())[0], thumbnails(frame("HOME RUN"))[0]
    boxes = cell_boxes(changed_cells(before, after), (1280, 720))
    assert len(boxes) == 1
    x0, y0, x1, y1 = boxes[0]
    assert x0 <= CAPTION[0] and y0 <= CAPTION[1] and x1 >= CAPTION[2] and y1 >= CAPTION[3]
    assert x1 - x0 < 600 and y1 - y0 < 120


def test_the_planner_reads_a_still_scene_only_where_text_came_or_went():
    planner = TextPlanner("changes", (1280, 720))
    assert planner.plan(0.0, True, frame()).whole
    assert planner.plan(1.0, False, frame()).regions == []
    appeared = planner.plan(2.0, False, frame("HOME RUN"))
    assert len(appeared.regions) == 1 and appeared.since is None
    assert planner.plan(3.0, False, frame("HOME RUN")).regions == []
    assert len(planner.plan(4.0, False, frame()).changed) == 1


def test_over_a_moving_picture_the_planner_reads_what_holds_still():
    planner = TextPlanner("changes", (1280, 720))
    planner.plan(0.0, True, frame(moving=0))
    began = planner.plan(1.0, False, frame(moving=1))
    assert began.whole is False and began.regions == []  # read whole a second ago
    for step in (2, 3, 4):
        assert planner.plan(float(step), False, frame(moving=step)).regions == []  # nothing holds still
    assert planner.plan(5.0, False, frame("HOME RUN", moving=5)).regions == []  # it came: a change like the rest
    settled = planner.plan(6.0, False, frame("HOME RUN", moving=6))
    assert settled.since == 5.0 and settled.settled
    assert any(r[0] <= 430 and r[2] >= 560 and r[1] <= CAPTION[1] for r in settled.regions)  # where its words are
    for step in (7, 8):  # read: the words stay (the band's edge against the ramp may flicker)
        assert not any(r[0] < 600 for r in planner.plan(float(step), False, frame("HOME RUN", moving=step)).changed)
    gone = planner.plan(9.0, False, frame(moving=9))
    assert any(r[0] <= 430 and r[2] >= 560 for r in gone.changed) and not gone.settled


def test_reads_are_capped_and_counted_when_text_changes_on_every_sample():
    planner = TextPlanner("changes", (1280, 720))
    planner.plan(0.0, True, frame())
    for second in range(1, 60):
        planner.plan(float(second), False, frame(f"LINE {second}" if second % 2 else f"OTHER {second}"))
    assert planner.capped == 0  # one region a second is under the cap
    crowded = TextPlanner("changes", (1280, 720))
    crowded.plan(0.0, True, frame())
    for step in range(1, 120):  # four bands change four times a second
        image = frame()
        draw = ImageDraw.Draw(image)
        for place in range(4):
            draw.rectangle((0, 40 + place * 160, 1280, 80 + place * 160), fill=(255, 255, 255) if step % 2 else 0)
        crowded.plan(step / 4, False, image)
    assert crowded.capped > 0


@pytest.mark.parametrize("mode, expected", [("keyframes", (False, False)), ("all", (True, True))])
def test_the_cheaper_and_the_dearer_modes(mode, expected):
    planner = TextPlanner(mode, (1280, 720))
    planner.plan(0.0, True, frame())
    plan = planner.plan(1.0, False, frame("HOME RUN"))
    assert (plan.whole, plan.carry) == expected
    with pytest.raises(ValueError, match="--ocr-frames"):
        TextPlanner("sometimes", (1280, 720))


def test_regions_are_read_large_enough_and_grow_to_take_in_a_cut_line():
    x0, y0, x1, y1 = grow((300.0, 50.0, 340.0, 70.0), (1280, 720))
    assert x1 - x0 >= MIN_CROP[0] and y1 - y0 >= MIN_CROP[1]
    assert grow((0.0, 0.0, 20.0, 20.0), (1280, 720))[:2] == (0.0, 0.0)
    region = (240.0, 0.0, 480.0, 128.0)
    cut = line("1:0 JPN", (240.0, 40.0, 300.0, 80.0))
    assert widen(region, [cut], (1280, 720)) == (0.0, 0.0, 480.0, 128.0)
    assert widen(region, [line("12:04", (280.0, 40.0, 380.0, 80.0))], (1280, 720)) == region
    assert widen(region, [line("0", (240.0, 40.0, 270.0, 80.0))], (1280, 720)) == region  # a mark, not a line


def test_a_region_takes_in_the_lines_read_there_lately():
    score, logo = (40.0, 40.0, 260.0, 80.0), (1150.0, 40.0, 1240.0, 90.0)
    region = (240.0, 0.0, 480.0, 128.0)  # around the clock's last digits
    assert take_in(region, [score, logo], (1280, 720)) == (28.0, 0.0, 480.0, 128.0)  # the score whole; not the logo
    assert take_in(region, [], (1280, 720)) == region
    assert take_in((0.0, 0.0, 100.0, 100.0), [(5.0, 5.0, 50.0, 20.0)], (1280, 720)) == (0.0, 0.0, 100.0, 100.0)


def test_numpy_free_inputs_stay_pure():
    before = np.zeros((54, 96), np.float32)
    after = before.copy()
    after[10:12, 20:30] = 200
    cells = changed_cells(before, after)
    assert cells.sum() == 20 and cell_boxes(cells, (96, 54), min_area=200) == []
