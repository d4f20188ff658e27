"""Fancams: the virtual camera's pure functions, then the whole path on a generated stage
(fixtures/stage.py, needs ../shared/data), through the CLI, the API and bad input."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import av
import numpy as np
import pytest

from visearch.fancam.camera import (CameraConfig, Crop, body_box, bridged, extend_edges, fill_gaps, frame_path,
                                  jerk_p95, parse_aspect, whole_stage)
from visearch.fancam.render import _cut, grid_layout
from visearch.cli import main

FRAME = (1920, 1080)


def face_at(x: float, y: float = 200.0, size: float = 90.0):
    return (x - size / 2, y, x + size / 2, y + size)


# -- pure: body, gaps, camera, layout


def test_body_box_is_a_dancer_below_the_face_cut_to_the_frame():
    x0, y0, x1, y1 = body_box(face_at(500), FRAME)
    assert y0 < 200 and y1 - y0 > 7 * 90  # head above the brows; seven heads and more below
    assert x0 < 455 and x1 > 545 and abs((x0 + x1) / 2 - 500) < 1e-6
    assert body_box(face_at(20, y=900), FRAME)[0] == 0.0 and body_box(face_at(20, y=900), FRAME)[3] == 1080.0


def test_gaps_are_bridged_only_where_the_person_was_there_all_along():
    seen = {0: face_at(500), 10: face_at(600), 120: face_at(1200), 170: face_at(1900 - 60)}
    boxes = fill_gaps(seen, 200, cuts=set(), fps=25, hold=1.2, width=1920)
    assert boxes[5] == pytest.approx(face_at(550))  # a short gap: linear
    assert boxes[60] is None  # 4.4 s unseen: longer than any bridge
    assert boxes[150] is None  # seen at the edge of the stage: they left (or came in) there
    assert fill_gaps({0: face_at(500), 10: face_at(510)}, 20, {5}, 25, 1.2, 1920)[3] is None  # never across a cut
    assert bridged(face_at(500), face_at(700), 3.0, 1.2, 1920)  # hidden behind someone, walking on
    assert not bridged(face_at(300), face_at(1700), 2.0, 1.2, 1920)  # nobody crosses the stage that fast
    held = extend_edges([None, face_at(500), None, None, None], {3}, 5)
    assert held[0] == held[2] == face_at(500) and held[3] is None  # held until the next look, not over a cut


def walk(frames: int, speed: float, jitter: float = 0.0, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [face_at(300 + speed * min(i, frames // 2) + rng.normal(0, jitter), 200 + rng.normal(0, jitter))
            for i in range(frames)]


def test_the_camera_keeps_the_whole_body_and_is_smoother_than_the_detections():
    faces = walk(200, speed=8.0, jitter=4.0)
    crops = frame_path(faces, FRAME, 25.0, set(), CameraConfig())
    for face, crop in zip(faces, crops):
        body, box = body_box(face, FRAME), crop.box
        assert box[0] <= body[0] + 1 and box[2] >= body[2] - 1 and box[1] <= body[1] + 1 and box[3] >= body[3] - 1
        assert crop.box[0] >= -1e-6 and crop.box[2] <= 1920 + 1e-6  # inside the frame
    raw = [(f[0] + f[2]) / 2 for f in faces]
    assert jerk_p95([c.cx for c in crops]) < jerk_p95(raw) / 5
    still = [c.cx for c in crops[150:]]  # standing, the face jitters: the dead zone holds the camera
    assert max(still) - min(still) < 4.0


def test_a_cut_moves_the_camera_at_once_and_a_lost_person_eases_out_to_the_whole_stage():
    faces = [face_at(400)] * 50 + [face_at(1500)] * 50 + [None] * 100
    crops = frame_path(faces, FRAME, 25.0, {50}, CameraConfig())
    assert abs(crops[50].cx - 1500) < 60 and abs(crops[49].cx - 400) < 60
    heights = [c.height for c in crops[100:]]
    assert heights[0] < 1.2 * crops[99].height  # eased, not jumped
    assert heights[-1] == pytest.approx(whole_stage(FRAME, 9 / 16), rel=1e-3)  # the whole stage, with bars
    assert all(b >= a - 1e-6 for a, b in zip(heights, heights[1:]))


def test_a_close_up_fills_the_frame_without_bars():
    crops = frame_path([face_at(960, 300, 250)] * 30, FRAME, 25.0, set(), CameraConfig())
    assert all(c.box[1] >= -1e-6 and c.box[3] <= 1080 + 1e-6 for c in crops)


def test_grid_layout_comes_closest_to_a_screen_and_aspects_parse():
    assert (grid_layout(4, 9 / 16, 720).rows, grid_layout(4, 9 / 16, 720).cols) == (1, 4)
    assert (grid_layout(4, 16 / 9, 720).rows, grid_layout(4, 16 / 9, 720).cols) == (2, 2)
    assert grid_layout(3, 1.0, 720).size[1] == 720 and all(v % 2 == 0 for v in grid_layout(3, 1.0, 721).tile)
    assert parse_aspect("9:16") == pytest.approx(0.5625)
    for bad in ("9", "0:16", "a:b", "1:100"):
        with pytest.raises(ValueError, match="aspect"):
            parse_aspect(bad)


def test_a_crop_over_the_edge_gets_black_bars_not_an_error():
    pixels = np.full((270, 480, 3), 200, np.uint8)
    tile = _cut(pixels, Crop(345.2, 135.0, 479.3, 0.5625), (360, 640))
    assert tile.shape == (640, 360, 3)
    assert tile[5].max() == 0 and tile[320].min() == 200  # bars above, picture in the middle


# -- the generated stage, end to end


@pytest.fixture(scope="module")
def stage(shared_data, tmp_path_factory):
    from fixtures.stage import MEMBERS, generate_stage

    work = tmp_path_factory.mktemp("stage")
    fixture = generate_stage(shared_data, work / "video", fps=10, duration=12)
    library = work / "lib"
    assert main(["--library", str(library), "index", str(fixture.video), "--clip", "tiny", "--ocr", "off",
                 "--local-features", "off", "--no-progress"]) == 0
    for member in MEMBERS:
        assert main(["--library", str(library), "people", "enroll", member.split(":")[1],
                     *map(str, fixture.enroll[member])]) == 0
    return fixture, library


def _probe(path: Path) -> dict:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        return {"codec": video.codec_context.name, "size": (video.width, video.height),
                "audio": len(container.streams.audio), "duration": float(container.duration or 0) / 1e6}


def test_cli_fancam_from_another_directory_with_relative_paths(stage, tmp_path, monkeypatch, capsys):
    from fixtures.stage import av_offset

    fixture, library = stage
    monkeypatch.chdir(tmp_path)
    os.symlink(library, tmp_path / "lib")
    (tmp_path / "out").mkdir()
    capsys.readouterr()
    code = main(["--library", "lib", "fancam", str(fixture.video), "--person", "Angelina", "--height", "480",
                 "--out", "out/angelina.mp4", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["members"][0]["name"] == "Angelina" and report["audio"]
    probe = _probe(tmp_path / "out" / "angelina.mp4")
    assert probe["codec"] == "h264" and probe["size"] == (270, 480) and probe["audio"] == 1
    assert abs(probe["duration"] - (report["end"] - report["start"])) < 0.3
    offsets = av_offset(tmp_path / "out" / "angelina.mp4", fixture.truth["beeps"])
    assert offsets and max(abs(o) for o in offsets) <= 1 / 10  # within a frame at 10 fps
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["angelina.mp4"]  # no temporary left


@pytest.mark.parametrize("member", ["Angelina", "Jennifer"])  # hidden behind others; leaves and comes back
def test_framing_holds_the_member_and_never_centres_another(stage, tmp_path, member):
    from fixtures.stage import score_framing
    from visearch.fancam.make import FancamRequest, make_fancam
    from visearch.storage.library import Library

    fixture, library = stage
    with Library.open(library, read_only=True) as opened:
        result = make_fancam(opened, FancamRequest(str(fixture.video), tmp_path / "f.mp4", [member], height=320))
    score = score_framing(result.paths[0], fixture.truth, f"deepface:{member}", result.first_frame)
    assert score["frames"] > 30 and score["accuracy"] >= 0.95 and score["wrong_member"] == 0, score


def test_grid_plays_members_side_by_side_with_one_sound_track(stage, tmp_path, capsys):
    fixture, library = stage
    out = tmp_path / "grid.mp4"
    assert main(["--library", str(library), "fancam", str(fixture.video), "--grid", "--people", "Scarlett,Mark",
                 "--height", "360", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    probe = _probe(out)
    assert probe["size"] == (404, 360) and probe["audio"] == 1  # two 9:16 pictures in a row


def _fails(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 2
    return capsys.readouterr().err


def test_bad_requests_are_named_and_leave_nothing_behind(stage, tmp_path, capsys):
    fixture, library = stage
    lib = ["--library", str(library), "fancam"]
    out = tmp_path / "out"
    out.mkdir()
    assert "Nobody" in _fails(capsys, *lib, str(fixture.video), "--person", "Nobody", "--out", str(out / "a.mp4"))
    other = tmp_path / "other.mp4"
    other.write_bytes(fixture.video.read_bytes())
    assert "not an indexed video (index it first" in _fails(capsys, *lib, str(other), "--person", "Mark",
                                                            "--out", str(out / "a.mp4"))
    assert "no such file" in _fails(capsys, *lib, str(tmp_path / "missing.mp4"), "--person", "Mark",
                                    "--out", str(out / "a.mp4"))
    assert "does not exist" in _fails(capsys, *lib, str(fixture.video), "--person", "Mark",
                                      "--out", str(tmp_path / "nowhere" / "a.mp4"))
    assert "name it .mp4" in _fails(capsys, *lib, str(fixture.video), "--person", "Mark", "--out", str(out / "a.gif"))
    assert "aspect" in _fails(capsys, *lib, str(fixture.video), "--person", "Mark", "--aspect", "wide",
                              "--out", str(out / "a.mp4"))
    assert list(out.iterdir()) == []


def test_someone_who_is_not_in_the_video_is_a_clear_error(stage, shared_data, tmp_path, capsys):
    from visearch.demo.video import labelled_photos

    fixture, library = stage
    photos = labelled_photos(shared_data, ("deepface:Jack",))["deepface:Jack"][:3]
    assert main(["--library", str(library), "people", "enroll", "Jack", *map(str, photos)]) == 0
    out = tmp_path / "out"
    out.mkdir()
    error = _fails(capsys, "--library", str(library), "fancam", str(fixture.video), "--person", "Jack",
                   "--height", "240", "--out", str(out / "jack.mp4"))
    assert "Jack: not found in stage.mp4" in error
    assert list(out.iterdir()) == []  # nothing partial, no temporary


def test_audio_only_and_faceless_videos_are_refused_with_the_reason(tmp_path, capsys):
    from fixtures.stage import SAMPLE_RATE

    sound = tmp_path / "media" / "sound.m4a"
    sound.parent.mkdir()
    with av.open(str(sound), "w") as container:
        stream = container.add_stream("aac", rate=SAMPLE_RATE)
        samples = (0.2 * np.sin(np.arange(SAMPLE_RATE) / 10)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    empty = tmp_path / "media" / "empty.mp4"
    with av.open(str(empty), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for index in range(20):
            picture = np.full((240, 320, 3), (index * 10) % 255, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    library = tmp_path / "lib"
    main(["--library", str(library), "index", str(tmp_path / "media"), "--clip", "tiny", "--ocr", "off",
          "--no-progress"])
    lib = ["--library", str(library), "fancam"]
    assert "audio only" in _fails(capsys, *lib, str(sound), "--grid", "--out", str(tmp_path / "a.mp4"))
    assert "found nobody in empty.mp4" in _fails(capsys, *lib, str(empty), "--grid", "--out", str(tmp_path / "a.mp4"))


# -- the web: start a job, poll it, play it


def test_api_makes_a_fancam_in_the_background(web_library, tmp_path):
    from visearch.web import create_app

    app = create_app({"LIBRARY": str(web_library), "TESTING": True, "WARM_UP": False})
    client = app.test_client()
    people = client.get("/api/people").get_json()["people"]
    angelina = next((p for p in people if p["name"] == "Angelina"), None)
    if angelina is None:
        pytest.skip("the web library has no people video (needs ../shared/data)")
    clips = client.get(f"/api/people/{angelina['id']}/clips").get_json()["clips"]
    video = clips[0]["video_id"]
    assert angelina["id"] in [p["id"] for p in client.get(f"/api/videos/{video}/people").get_json()["people"]]
    from tests.test_cutout_people import MODELS, models_missing

    focus = {} if models_missing(MODELS) else {"blur": 0.6}  # the focus-cam look, where the person model is
    started = client.post("/api/fancams", json={"video": video, "person": angelina["id"], "height": 320, **focus})
    assert started.status_code == 202 and started.headers["Location"].startswith("/api/fancams/")
    job = started.get_json()
    for _ in range(240):
        job = client.get(f"/api/fancams/{job['id']}").get_json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert job["state"] == "done", job
    assert job["result"]["members"][0]["name"] == "Angelina" and "path" not in job["result"]
    played = client.get(job["file"], headers={"Range": "bytes=0-99"})
    assert played.status_code == 206 and played.mimetype == "video/mp4" and len(played.data) == 100
    saved = client.get(job["file"] + "?download=1")
    assert "attachment" in saved.headers["Content-Disposition"]
    assert job["id"] in [j["id"] for j in client.get("/api/fancams").get_json()["jobs"]]
    # the state outlives the server: a new app over the same library still serves the file
    again = create_app({"LIBRARY": str(web_library), "TESTING": True, "WARM_UP": False}).test_client()
    assert again.get(f"/api/fancams/{job['id']}").get_json()["state"] == "done"


@pytest.mark.parametrize("body, status, field", [
    ({"video": 1, "person": 1, "grid": True}, 400, "person"),
    ({"video": 1}, 400, "person"),
    ({"video": 1, "person": 1, "people": [1]}, 400, "people"),
    ({"video": 10**12, "person": 1}, 404, None),
    ({"video": "1", "person": 1}, 400, "video"),
    ({"video": 1, "person": 1, "aspect": "2:1"}, 400, "aspect"),
    ({"video": 1, "person": 1, "height": 10**9}, 400, "height"),
    ({"video": 1, "person": 1, "blur": 2}, 400, "blur"),
    ({"video": 1, "grid": True, "people": list(range(1, 20))}, 400, "people"),
])
def test_api_fancam_refuses_bad_requests_by_name(client, body, status, field):
    response = client.post("/api/fancams", json=body)
    assert response.status_code == status, response.get_json()
    if field:
        assert field in response.get_json()["error"]


def test_api_fancam_jobs_and_files_by_hostile_ids_are_404(client):
    for job in ("0" * 16, "../../etc/passwd", "abc\x00def", "ffffffffffffffff" * 4):
        assert client.get(f"/api/fancams/{job}").status_code == 404
        assert client.get(f"/fancams/{job}.mp4").status_code in (400, 404)
    assert client.post("/api/fancams", data="video=1", content_type="application/x-www-form-urlencoded"
                       ).status_code == 415


# -- the focus-cam look: the person sharp, the stage behind them soft


def sharpness(pixels: np.ndarray) -> float:
    import cv2

    return float(cv2.Laplacian(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


class NobodyModel:
    """A person model that finds no one: the body box itself must stay sharp."""

    def segment(self, pixels, area):
        return np.zeros(pixels.shape[:2], np.float32)

    def detect(self, pixels):
        return []

    def mask(self, pixels, roi):
        return np.zeros(pixels.shape[:2], np.float32)


def test_a_face_lands_in_the_picture_cut_from_its_crop_and_a_box_is_a_soft_mask():
    from visearch.fancam.focus import box_alpha, in_tile

    assert in_tile((110, 220, 130, 240), (100, 200, 300, 600), (100, 200)) == (5.0, 10.0, 15.0, 20.0)
    alpha = box_alpha((20, 20, 80, 80), (100, 100))
    assert alpha.shape == (100, 100) and alpha[50, 50] == 1 and alpha[2, 2] == 0 and 0 < alpha[50, 17] < 1


def test_focus_keeps_the_followed_body_sharp_where_the_model_finds_nobody():
    from visearch.fancam.camera import body_box
    from visearch.fancam.focus import focus

    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 255, (480, 270, 3), np.uint8)
    face = (115.0, 80.0, 155.0, 125.0)
    out = focus(pixels, NobodyModel(), face, 0.8)
    x0, y0, x1, y1 = (round(v) for v in body_box(face, (270, 480)))
    assert np.array_equal(out[y0 + 20:y1 - 20, x0 + 20:x1 - 20], pixels[y0 + 20:y1 - 20, x0 + 20:x1 - 20])
    assert sharpness(out[:, :max(8, x0 - 20)]) < 0.2 * sharpness(pixels[:, :max(8, x0 - 20)])
    assert focus(pixels, NobodyModel(), None, 0.8) is pixels  # the person off the picture: nothing to focus on


def frames_of(path: Path, every: int = 5) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for i, frame in enumerate(container.decode(video=0)) if i % every == 0]


def test_cli_fancam_blurs_the_stage_behind_the_person(stage, tmp_path, capsys, monkeypatch):
    from tests.test_cutout_people import MODELS, models_missing

    if models_missing(MODELS):
        pytest.skip("person models not installed (make install)")
    fixture, library = stage
    plain, focused = tmp_path / "plain.mp4", tmp_path / "focus.mp4"
    common = ["--library", str(library), "fancam", str(fixture.video), "--person", "Angelina", "--height", "320"]
    assert main([*common, "--out", str(plain)]) == 0
    assert main([*common, "--blur-background", "--out", str(focused)]) == 0
    pairs = list(zip(frames_of(plain), frames_of(focused)))
    assert len(pairs) >= 5
    sides = [(sharpness(a[:, :40]) + sharpness(a[:, -40:]), sharpness(b[:, :40]) + sharpness(b[:, -40:]))
             for a, b in pairs]
    assert np.median([b / max(a, 1e-6) for a, b in sides]) < 0.5  # the stage at the sides: soft
    middle = [(sharpness(a[80:240, 60:120]), sharpness(b[80:240, 60:120])) for a, b in pairs]
    assert np.median([b / max(a, 1e-6) for a, b in middle]) > 0.8  # the person in the middle: as sharp
    monkeypatch.setattr("visearch.app.models.person_model", lambda settings: None)
    capsys.readouterr()
    assert main([*common, "--blur-background", "0.5", "--out", str(tmp_path / "none.mp4")]) == 2
    assert "visearch models fetch" in capsys.readouterr().err and not (tmp_path / "none.mp4").exists()
