"""Moments and tags: the pure span functions, then every query kind on a generated broadcast
(fixtures/broadcast.py, needs ../shared/data) through the CLI, and bad input."""
from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from visearch.moments.intervals import Frame, Moment, frame_runs, intersect, union
from visearch.moments.query import Clause, MomentQuery, MomentQueryError
from visearch.cli import main

# -- pure: frames to spans, AND and OR


def test_matching_frames_become_spans_that_stay_inside_their_shot():
    shot_a, shot_b = (0.0, 5.0), (5.0, 12.0)
    frames = [Frame(i, float(t), shot_a if t < 5 else shot_b) for i, t in enumerate([0, 1, 2, 3, 4, 5, 6, 11])]
    hits = {1: (1.0, {"n": 1}), 2: (0.8, {}), 4: (1.0, {}), 6: (1.0, {"n": 6})}
    moments = frame_runs(frames, hits, video=9)
    assert [(m.start, m.end) for m in moments] == [(0.5, 2.5), (3.5, 5.0), (5.5, 10.5)]
    # frame 4 ends with its shot; frame 6 stood for 6-10 s (nothing new was kept until 11 s)
    assert moments[0].thumbnail_item == 1 and moments[2].evidence == {"n": 6}
    merged = frame_runs(frames, hits, video=9, gap=1.0)
    assert [(m.start, m.end) for m in merged] == [(0.5, 10.5)]  # runs a second apart merge, across the cut too


def test_and_keeps_the_overlap_and_or_the_union():
    text = [Moment(1, 10.0, 20.0, 1.0, 5, {"text": {}}), Moment(2, 0.0, 5.0, 1.0, 6, {"text": {}})]
    person = [Moment(1, 15.0, 30.0, 0.7, 8, {"person": {}})]
    [both] = intersect(text, person)
    assert (both.video, both.start, both.end, both.score) == (1, 15.0, 20.0, 0.7)
    assert set(both.evidence) == {"text", "person"}
    either = union(text, person)
    assert [(m.video, m.start, m.end) for m in either] == [(1, 10.0, 30.0), (2, 0.0, 5.0)]


def test_queries_say_what_is_wrong():
    for query, message in [(MomentQuery([]), "empty query"), (MomentQuery([Clause("text", "  ")]), "text: empty"),
                           (MomentQuery([Clause("text", "a")], "xor"), "combine"),
                           (MomentQuery([Clause("text", "goal", threshold=2.0)]), "between 0 and 1")]:
        with pytest.raises(MomentQueryError, match=message):
            query.check()
    query = MomentQuery([Clause("text", "home run"), Clause("person", "Ann")], "or").check()
    assert MomentQuery.from_json(json.loads(json.dumps(query.json()))).describe() == 'text "home run" OR person "Ann"'


# -- the generated broadcast, end to end


@pytest.fixture(scope="module")
def broadcast(shared_data, tmp_path_factory):
    from fixtures.broadcast import generate_broadcast

    work = tmp_path_factory.mktemp("broadcast")
    fixture = generate_broadcast(shared_data, work / "video")
    library = work / "lib"
    assert main(["--library", str(library), "index", str(fixture.video), "--clip", "tiny", "--no-progress"]) == 0
    assert main(["--library", str(library), "people", "enroll", "Angelina", *map(str, fixture.enroll)]) == 0
    return fixture, library


def moments(capsys, library, *argv) -> list[tuple[float, float]]:
    capsys.readouterr()
    assert main(["--library", str(library), "moments", *argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return [(m["start"], m["end"]) for m in data["moments"]]


def near(found, truth, tolerance: float = 1.0) -> bool:
    return len(found) == len(truth) and all(abs(a - c) <= tolerance and abs(b - d) <= tolerance
                                            for (a, b), (c, d) in zip(found, truth))


def test_text_on_screen(broadcast, capsys):
    fixture, library = broadcast
    for text, spans in fixture.truth["captions"].items():
        assert near(moments(capsys, library, "--text", text.lower()), spans), text


def test_words_that_find_nothing_offer_the_closest_text_read(broadcast, capsys):
    """A slip in the query (HOME RUM) finds no moment, honestly, and offers what was read (HOME RUN) with its
    time; words nothing like any caption offer nothing."""
    fixture, library = broadcast
    capsys.readouterr()
    assert main(["--library", str(library), "moments", "--text", "HOME RUM", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["moments"] == [] and data["closest"]
    first = data["closest"][0]
    assert "HOME RUN" in first["text"].upper() and first["query"] == "HOME RUM" and 0 < first["distance"] <= 0.5
    assert any(start - 1 <= first["time"] <= end for start, end in fixture.truth["captions"]["HOME RUN"])
    assert main(["--library", str(library), "moments", "--text", "HOME RUM"]) == 0
    assert "closest text read" in capsys.readouterr().out
    assert main(["--library", str(library), "moments", "--text", "quantum zebra", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["closest"] == []
    assert main(["--library", str(library), "moments", "--text", "home run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["closest"] == []  # found: nothing to offer


def test_text_moments_say_when_captions_within_shots_were_never_read(broadcast, tmp_path, capsys):
    fixture, library = broadcast
    capsys.readouterr()
    assert main(["--library", str(library), "moments", "--text", "home run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == []  # indexed with the default: text read where it changes
    keyframes = tmp_path / "keyframes"
    assert main(["--library", str(keyframes), "index", str(fixture.video), "--clip", "tiny", "--faces", "off",
                 "--local-features", "off", "--ocr-frames", "keyframes", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["--library", str(keyframes), "moments", "--text", "home run"]) == 0
    assert "captions that appear within a shot are missed" in capsys.readouterr().out


def test_an_example_picture_found_full_size_and_small_partly_covered(broadcast, capsys):
    fixture, library = broadcast
    found = moments(capsys, library, "--image", str(fixture.bumper))
    assert near(found, fixture.truth["bumper"])


def test_a_person_and_a_person_and_text(broadcast, capsys):
    fixture, library = broadcast
    assert near(moments(capsys, library, "--person", "Angelina"), list(fixture.truth["person"].values())[0])
    assert near(moments(capsys, library, "--person", "Angelina", "--text", "strike out"), [(13.0, 17.0)])
    either = moments(capsys, library, "--text", "home run", "--text", "final score", "--any")
    assert near(either, sorted(fixture.truth["captions"]["HOME RUN"] + fixture.truth["captions"]["FINAL SCORE"]))


def _caption_video(path: Path, text: str, seconds: int = 4) -> Path:
    from visearch.demo.generate import font

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        for index in range(seconds * 10):
            frame = Image.new("RGB", (640, 360), (30, 60 + index, 90))
            if index >= 10:
                draw = ImageDraw.Draw(frame)
                draw.rectangle((0, 280, 640, 340), fill=(250, 250, 250))
                draw.text((170, 285), text, font=font(40), fill=(0, 0, 0))
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_tags_are_stored_applied_to_later_videos_and_managed(broadcast, tmp_path, capsys):
    fixture, library = broadcast
    tag = ["--library", str(library), "tags"]
    assert main([*tag, "add", "Home run", "--text", "home run"]) == 0
    assert "2 moments in 1 videos" in capsys.readouterr().out
    assert main([*tag, "add", "home RUN", "--text", "home"]) == 2
    assert "exists" in capsys.readouterr().err
    assert main([*tag, "add", "Bumper", "--image", str(fixture.bumper)]) == 0
    later = _caption_video(tmp_path / "later.mp4", "HOME RUN")
    assert main(["--library", str(library), "index", str(later), "--clip", "tiny", "--ocr-frames", "all",
                 "--no-progress"]) == 0
    assert "Home run 1 new moments" in capsys.readouterr().out
    capsys.readouterr()
    assert main([*tag, "show", "home run", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["moments"]) == 3 and {Path(m["video"]).name for m in shown["moments"]} == {"broadcast.mp4",
                                                                                                 "later.mp4"}
    assert shown["moments"][0]["evidence"]["text"]["words"] == ["home", "run"]
    assert shown["moments"][0]["evidence"]["text"]["lines"][0]["box"]
    assert main([*tag, "list", "--json"]) == 0
    listed = {t["name"]: t for t in json.loads(capsys.readouterr().out)["tags"]}
    assert listed["Home run"]["segments"] == 3 and listed["Bumper"]["segments"] == 2
    assert main([*tag, "add", "Home run", "--text", "final score", "--replace"]) == 0
    assert main([*tag, "show", "Bumper", "--borderline", "--json"]) == 0
    assert main([*tag, "remove", "bumper"]) == 0 and main([*tag, "remove", "bumper"]) == 2
    assert "no tag named 'bumper'" in capsys.readouterr().err


def test_bad_queries_are_named(broadcast, tmp_path, capsys):
    fixture, library = broadcast
    lib = ["--library", str(library), "moments"]
    capsys.readouterr()
    assert main(lib) == 2 and "empty query" in capsys.readouterr().err
    assert main([*lib, "--person", "Nobody"]) == 2 and "Nobody" in capsys.readouterr().err
    not_a_picture = tmp_path / "notes.jpg"
    not_a_picture.write_text("hello")
    assert main([*lib, "--image", str(not_a_picture)]) == 2
    assert "notes.jpg" in capsys.readouterr().err
    assert main([*lib, "--clip-text", "a batter hitting the ball"]) == 2
    assert "does not understand words" in capsys.readouterr().err
    assert main([*lib, "--text", "home run", "--video", str(tmp_path / "nope.mp4")]) == 2
    assert "no such file" in capsys.readouterr().err


# -- the API


@pytest.fixture
def moments_client(broadcast):
    from visearch.web import create_app

    _, library = broadcast
    app = create_app({"LIBRARY": str(library), "TESTING": True, "WARM_UP": False})
    app.extensions["visearch"].load_models()  # a picture is encoded by the server's models, loaded once
    return app.test_client()


def test_api_finds_moments_by_json_and_by_an_uploaded_picture(broadcast, moments_client):
    fixture, _ = broadcast
    found = moments_client.post("/api/moments", json={"text": "strike out"}).get_json()
    assert found["query"] == 'text "strike out"' and [(m["start"], m["end"]) for m in found["moments"]] == [(12.5, 16.5)]
    with open(fixture.bumper, "rb") as picture:
        sent = moments_client.post("/api/moments", data={"image": (picture, "bumper.png")},
                                   content_type="multipart/form-data").get_json()
    assert len(sent["moments"]) == 2 and sent["moments"][0]["evidence"]["image"]["inliers"] >= 12
    again = moments_client.post("/api/moments", json={"upload": sent["upload"]}).get_json()
    assert [m["start"] for m in again["moments"]] == [m["start"] for m in sent["moments"]]
    video = found["moments"][0]["video_id"]
    rows = moments_client.get(f"/api/videos/{video}/timeline").get_json()["rows"]
    assert {row["kind"] for row in rows} >= {"person"}


@pytest.mark.parametrize("body, status, field", [
    ({}, 422, "empty query"), ({"text": "a\x00b"}, 400, "text"), ({"text": "goal", "threshold": 2}, 400, "threshold"),
    ({"person": 10**12}, 404, None), ({"text": "goal", "video": 10**12}, 404, "video"),
    ({"upload": "0" * 32}, 404, "upload"), ({"text": 5}, 400, "text"), ({"any": "yes", "text": "a b"}, 400, "any"),
])
def test_api_moments_name_what_is_wrong(moments_client, body, status, field):
    response = moments_client.post("/api/moments", json=body)
    assert response.status_code == status, response.get_json()
    if field:
        assert field in response.get_json()["error"]


def test_api_tags_are_saved_shown_and_removed(broadcast, moments_client):
    made = moments_client.post("/api/tags", json={"name": "API final", "text": "final score"})
    assert made.status_code == 201 and made.get_json()["segments"] == 1
    assert moments_client.post("/api/tags", json={"name": "api FINAL", "text": "x"}).status_code == 409
    replaced = moments_client.post("/api/tags", json={"name": "api final", "text": "home run", "replace": True})
    expected = len(moments_client.post("/api/moments", json={"text": "home run"}).get_json()["moments"])
    assert replaced.status_code == 201 and replaced.get_json()["segments"] == expected >= 2
    tag_id = replaced.get_json()["id"]
    shown = moments_client.get(f"/api/tags/{tag_id}").get_json()
    assert shown["tag"]["name"] == "api final" and len(shown["moments"]) == expected
    assert moments_client.get(f"/api/tags/{tag_id}?borderline=1").status_code == 200
    assert moments_client.post("/api/tags", json={"name": "\x07", "text": "x"}).status_code == 400
    assert moments_client.delete(f"/api/tags/{tag_id}").status_code == 200
    assert moments_client.delete(f"/api/tags/{tag_id}").status_code == 404
    assert moments_client.get("/api/tags/99999999").status_code == 404


def test_a_clip_vector_query_finds_the_frames_it_looks_like(broadcast):
    """The CLIP-text path with a vector taken from one frame: no semantic model exists here, so this
    checks the scoring and spans, not CLIP's understanding of words."""
    from visearch.storage.library import Library
    from visearch.moments.find import find_moments

    _, library = broadcast
    with Library.open(library, read_only=True) as opened:
        video = min(s.id for s in opened.docs.file_states() if s.kind == "video")
        frame = next(f for f in opened.docs.frames_of(video) if f.time and f.time >= 20)
        vector = [float(v) for v in opened.vectors.get([frame.id])[0]]
        found = find_moments(opened, MomentQuery([Clause("clip_text", "the bumper", vector, 0.9999)]), videos=[video])
    assert any(m.start <= frame.time <= m.end for m in found)
    assert found[0].evidence["clip_text"]["similarity"] >= 0.9999 and len(found) <= 3


@pytest.mark.browser
def test_the_moments_page_offers_the_closest_text_and_searches_it(broadcast):
    """In Chromium: HOME RUM finds nothing, the page offers HOME RUN as read, and one click finds its moments."""
    import os
    import threading

    from tests.test_browser import CHROMIUM

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright
    from waitress import create_server

    from visearch.web import create_app

    fixture, library = broadcast
    server = create_server(create_app({"LIBRARY": str(library)}), host="127.0.0.1", port=0, threads=2)
    threading.Thread(target=server.run, daemon=True).start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"http://127.0.0.1:{server.effective_port}/moments")
        page.fill("#moment-text", "HOME RUM")
        page.press("#moment-text", "Enter")
        closest = page.locator(".moment.closest").first
        closest.wait_for(timeout=60_000)
        assert "HOME RUN" in closest.inner_text().upper()
        closest.locator(".search-closest").click()
        page.wait_for_selector(".moment:not(.closest)", timeout=60_000)
        assert "HOME RUN" in page.input_value("#moment-text").upper()  # searched as it was read
        assert page.locator(".moment.closest").count() == 0  # found: nothing more to offer
        browser.close()
    server.close()
