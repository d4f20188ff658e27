"""Text that appears inside a shot, end to end: a generated video (fixtures/onscreen.py) indexed with the
defaults from another folder, found by `moments --text` (Korean typed as NFD too, a score by value), shown
on the video's timeline, replaced when the video is indexed again; and the bad inputs: subtitles on every
frame, damaged packets."""
from __future__ import annotations

import json
import logging
import random
import unicodedata
from pathlib import Path

import pytest

from fixtures.onscreen import Overlay, generate_onscreen, korean_font
from visearch.cli import main

SHOTS = [(0.0, 8.0, False), (8.0, 16.0, True)]  # a plain set, then a moving backdrop
OVERLAYS = [Overlay("logo", "VSN", 0.0, 16.0), Overlay("caption", "HOME RUN", 3.3, 6.4),
            Overlay("caption", "오늘의 무대", 11.2, 14.2), Overlay("score", "0:0", 0.0, 9.6),
            Overlay("score", "1:0", 9.6, 16.0)]

pytestmark = pytest.mark.skipif(not korean_font(), reason="needs a Korean font (make korean: fonts-nanum)")


@pytest.fixture(scope="module")
def captioned(tmp_path_factory):
    """The video indexed with the defaults, by a relative path from its folder."""
    import os

    work = tmp_path_factory.mktemp("captions")
    video = generate_onscreen(work / "video", size=(960, 540), fps=10, duration=16.0, script=(SHOTS, OVERLAYS))
    here = Path.cwd()
    os.chdir(work)
    try:
        assert main(["--library", "lib", "index", "video/onscreen.mp4", "--clip", "tiny", "--faces", "off",
                     "--no-progress"]) == 0
    finally:
        os.chdir(here)
    return video, work / "lib"


def found(capsys, library: Path, *argv: str) -> dict:
    capsys.readouterr()
    assert main(["--library", str(library), "moments", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def spans(answer: dict) -> list[tuple[float, float]]:
    return [(m["start"], m["end"]) for m in answer["moments"]]


def test_a_caption_that_appears_mid_shot_is_found_with_the_defaults(captioned, capsys):
    video, library = captioned
    [(start, end)] = spans(found(capsys, library, "--text", "home run"))
    assert abs(start - 3.3) <= 0.5 and abs(end - 6.4) <= 1.0
    answer = found(capsys, library, "--text", "HOME RUN")
    assert answer["notes"] == []  # nothing about captions being missed
    assert answer["moments"][0]["evidence"]["text"]["lines"][0]["text"] == "HOME RUN"


def test_a_korean_caption_over_a_moving_picture_typed_in_nfd(captioned, capsys):
    from visearch.defaults import DEFAULT_OCR
    from visearch.indexer.models.ocr import create_ocr

    if create_ocr(DEFAULT_OCR).hangul_missing:
        pytest.skip("Tesseract's Korean data is not installed (make korean)")
    _, library = captioned
    [(start, end)] = spans(found(capsys, library, "--text", unicodedata.normalize("NFD", "오늘의 무대")))
    assert abs(start - 11.2) <= 1.0 and abs(end - 14.2) <= 1.0


def test_a_score_is_found_by_its_value_and_a_value_never_shown_is_nothing(captioned, capsys):
    _, library = captioned
    [(start, end)] = spans(found(capsys, library, "--text", "1:0"))
    assert abs(start - 9.6) <= 1.0 and end == pytest.approx(16.0, abs=0.1)
    [(start, end)] = spans(found(capsys, library, "--text", "0:0"))
    assert start == 0.0 and abs(end - 9.6) <= 1.0
    assert spans(found(capsys, library, "--text", "2:0")) == []
    assert spans(found(capsys, library, "--text", "0:0 home run")) == [pytest.approx((3.3, 6.4), abs=1.0)]


def test_a_logo_on_screen_throughout_is_one_moment_and_tags_read_spans(captioned, capsys):
    _, library = captioned
    assert spans(found(capsys, library, "--text", "vsn")) == [pytest.approx((0.0, 16.0), abs=0.1)]
    assert main(["--library", str(library), "tags", "add", "homer", "--text", "home run"]) == 0
    capsys.readouterr()
    assert main(["--library", str(library), "tags", "show", "homer", "--json"]) == 0
    [segment] = json.loads(capsys.readouterr().out)["moments"]
    assert abs(segment["start"] - 3.3) <= 0.5


def test_the_video_page_timeline_shows_text_spans(captioned):
    from visearch.web import create_app

    _, library = captioned
    client = create_app({"LIBRARY": str(library), "TESTING": True, "WARM_UP": False}).test_client()
    videos = client.get("/api/browse?kind=frame").get_json()
    item = videos["items"][0]["id"]
    page = client.get(f"/items/{item}").get_data(as_text=True)
    assert 'data-kind="text"' in page and "HOME RUN" in page and "VSN" in page
    video_id = client.get(f"/api/items/{item}").get_json()["video"]["id"]
    rows = client.get(f"/api/videos/{video_id}/timeline").get_json()["rows"]
    texts = {segment["text"] for row in rows if row["kind"] == "text" for segment in row["segments"]}
    assert {"HOME RUN", "VSN"} <= texts and all(row["kind"] != "text" or len(row["name"]) >= 2 for row in rows)


def test_indexing_the_video_again_replaces_its_spans(captioned, tmp_path, capsys):
    from visearch.storage.library import Library

    import shutil

    video, _ = captioned
    library, path = tmp_path / "lib", tmp_path / "video" / "onscreen.mp4"
    path.parent.mkdir()
    shutil.copy(video.path, path)
    assert main(["--library", str(library), "index", str(path), "--clip", "tiny", "--faces", "off",
                 "--local-features", "off", "--no-progress"]) == 0
    generate_onscreen(path.parent, size=(960, 540), fps=10, duration=16.0,
                      script=([(0.0, 8.0, False)], [Overlay("caption", "FINAL SCORE", 2.2, 5.5)]))
    assert main(["--library", str(library), "index", str(path), "--clip", "tiny", "--faces", "off",
                 "--local-features", "off", "--no-progress"]) == 0
    with Library.open(library, read_only=True) as opened:
        [state] = [s for s in opened.docs.file_states() if s.kind == "video"]
        texts = [span.text for span in opened.docs.get_videos([state.id])[state.id].text_spans]
    assert [text for text in texts if len(text) > 1] == ["FINAL SCORE"]  # (the moving ball reads as a 0 or O)
    assert spans(found(capsys, library, "--text", "home run")) == []


def test_reading_the_text_again_rebuilds_the_spans(captioned, tmp_path, capsys):
    """Indexed before Korean could be read, then `index --reocr`: the Korean caption is found where it shows."""
    from visearch.defaults import DEFAULT_OCR
    from visearch.indexer.models.ocr import create_ocr

    if create_ocr(DEFAULT_OCR).hangul_missing:
        pytest.skip("Tesseract's Korean data is not installed (make korean)")
    video, _ = captioned
    library = tmp_path / "lib"
    assert main(["--library", str(library), "index", str(video.path), "--clip", "tiny", "--faces", "off",
                 "--local-features", "off", "--ocr", "faster-paddle:tiny", "--no-progress"]) == 0
    assert spans(found(capsys, library, "--text", "오늘의 무대")) == []
    assert main(["--library", str(library), "index", "--reocr"]) == 0
    [(start, end)] = spans(found(capsys, library, "--text", "오늘의 무대"))
    assert abs(start - 11.2) <= 1.0 and abs(end - 14.2) <= 1.0
    [(start, _)] = spans(found(capsys, library, "--text", "home run"))
    assert abs(start - 3.3) <= 0.5


def test_subtitles_on_every_frame_are_read_at_a_capped_rate_and_said_with_v(tmp_path, capsys, caplog):
    rng = random.Random(3)
    words = ["SEOUL", "BUSAN", "MUSIC", "STAGE", "LIGHTS", "DANCE", "NIGHT", "CROWD"]
    lines = [Overlay(kind, " ".join(rng.sample(words, 2)), t / 2, t / 2 + 0.5)
             for t in range(40) for kind in ("caption", "lower third")]
    video = generate_onscreen(tmp_path / "video", size=(640, 360), fps=10, duration=20.0,
                              script=([(0.0, 20.0, False)], lines))
    with caplog.at_level(logging.INFO, logger="visearch.indexer.video_pipeline"):
        assert main(["-v", "--library", str(tmp_path / "lib"), "index", str(video.path), "--clip", "tiny",
                     "--faces", "off", "--local-features", "off", "--sample-rate", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["videos"] == 1
    assert any("faster than it is read" in record.message for record in caplog.records)


def test_damaged_packets_are_skipped_counted_and_the_rest_is_indexed(captioned, tmp_path, capsys):
    video, _ = captioned
    data = bytearray(video.path.read_bytes())
    rng = random.Random(1)
    start = len(data) // 3
    data[start:start + 6000] = bytes(rng.randrange(256) for _ in range(6000))
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    assert main(["--library", str(tmp_path / "lib"), "index", str(damaged), "--clip", "tiny", "--faces", "off",
                 "--local-features", "off", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["videos"] == 1
    answer = found(capsys, tmp_path / "lib", "--text", "vsn")
    assert answer["moments"] and answer["moments"][-1]["end"] > 14.0  # frames after the damage were indexed
    notices = [n for n in report["notices"] if "damaged packets skipped" in n]
    assert len(notices) == 1 and str(damaged) in notices[0], report["notices"]  # the user is told which file


def test_a_wide_caption_band_is_read_not_probed_away():
    """A full-width caption band is a large region, but no person: the small look that skips most large
    changes would shrink its text below what the detector sees (STRIKE OUT was lost so at 1280x720)."""
    from PIL import Image

    from fixtures.broadcast import _caption
    from visearch.defaults import DEFAULT_OCR
    from visearch.indexer.models.ocr import create_ocr
    from visearch.indexer.video_text import RegionReader

    frame = Image.new("RGB", (1280, 720), (110, 50, 40))
    _caption(frame, "STRIKE OUT")
    reader = RegionReader(create_ocr(DEFAULT_OCR))
    assert "STRIKE OUT" in [line.text for line in reader.read(frame, (0, 548, 1280, 719))]
    assert reader.probed == 0
