"""Videos, faces and people end to end: the generated people video and the shared sample videos."""
import csv
import json
import shutil
from itertools import combinations
from pathlib import Path

import av
import numpy as np
import pytest

from visearch.cli import main


def run_json(capsys, *argv):
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


@pytest.fixture(scope="session")
def video_library(people_video, tmp_path_factory):
    library = tmp_path_factory.mktemp("video-lib") / "lib"
    assert main(["--library", str(library), "index", str(people_video.video), "--clip", "tiny", "--ocr", "off",
                 "--no-progress"]) == 0
    for person, photos in people_video.enroll.items():
        assert main(["--library", str(library), "people", "enroll", person, *map(str, photos)]) == 0
    return library


def remux(video: Path, target: Path) -> Path:
    """The same video stream in another container: new bytes, same pictures."""
    with av.open(str(video)) as source, av.open(str(target), "w") as out:
        stream = out.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    return target


def _matches(a, b, tolerance=1.0):
    return abs(a[0] - b[0]) <= tolerance and abs(a[1] - b[1]) <= tolerance


def segment_scores(capsys, library, truth_by_person) -> tuple[int, int, int, int]:
    truth_total = found_total = predicted_total = correct_total = 0
    for person, truth in truth_by_person.items():
        clips = run_json(capsys, "--library", str(library), "clips", "--person", person, "--json")
        predicted = [(c["start"], c["end"]) for c in clips["clips"]]
        assert clips["person"]["name"] == person
        truth_total += len(truth)
        found_total += sum(any(_matches(t, p) for p in predicted) for t in truth)
        predicted_total += len(predicted)
        correct_total += sum(any(_matches(p, t) for t in truth) for p in predicted)
    return found_total, truth_total, correct_total, predicted_total


def test_segments_of_enrolled_people_match_the_truth(video_library, people_video, capsys, tmp_path):
    """Enrolled from photos *not* used in the video; recall and precision ≥ 0.9 at 1 s tolerance once the
    review's questions are answered. Before, a face within dlib's 0.6 but not surely the person (one sample
    of Jennifer, 0.49 from her references on average) is asked about, not joined: at most one segment waits."""
    found, truth, correct, predicted = segment_scores(capsys, video_library, people_video.truth)
    assert found >= truth - 1 and correct / predicted >= 0.9, (found, truth, correct, predicted)
    library = tmp_path / "lib"
    shutil.copytree(video_library, library)
    queue = run_json(capsys, "--library", str(library), "people", "review", "--json")
    for group in queue["suggestions"]:
        assert group["person"]["name"] in people_video.truth
        for face in group["faces"]:
            assert main(["--library", str(library), "people", "answer", str(face["face"]), str(face["person"]),
                         "yes"]) == 0
    found, truth, correct, predicted = segment_scores(capsys, library, people_video.truth)
    assert found / truth >= 0.9 and correct / predicted >= 0.9, (found, truth, correct, predicted)


def test_clip_json_shape_and_shots(video_library, capsys):
    clips = run_json(capsys, "--library", str(video_library), "clips", "--person", "deepface:Scarlett", "--json")
    first = clips["clips"][0]
    assert {"video", "start", "end", "score", "thumbnail"} <= set(first)
    assert first["video"].endswith("people.mp4") and first["thumbnail"].startswith("thumbs/")
    assert first["shots"] == [2, 3]  # one appearance across a cut stays one clip
    assert set(clips) >= {"person", "clips", "photos"}


def test_search_by_face_photo_without_naming(video_library, people_video, capsys):
    photo = people_video.enroll["deepface:Jennifer"][0]
    clips = run_json(capsys, "--library", str(video_library), "clips", "--face", str(photo), "--json")
    assert clips["person"]["name"] == "deepface:Jennifer"
    assert len(clips["clips"]) == 1  # her second appearance is a question until answered, and the answer says so
    assert any("1 more face may be this person" in note for note in clips["notes"])


def test_frames_are_searchable_items_with_video_and_time(video_library, people_video, capsys):
    stats = run_json(capsys, "--library", str(video_library), "stats", "--json")
    assert stats["videos"] == 1 and 20 <= stats["frames"] <= 36 and stats["frames"] == stats["vectors"]
    from visearch.storage.library import Library

    with Library.open(video_library, read_only=True) as library:
        frames = library.docs.frames_of(1)
        [video] = library.docs.get_videos([1]).values()
    assert [round(f.time, 1) for f in frames][:3] == [0.0, 1.0, 2.0]
    assert sum(f.keyframe for f in frames) == 8 and len(video.shots) == 8
    assert [round(s[0], 1) for s in video.shots] == [0.0, 5.0, 8.0, 13.0, 18.0, 23.0, 25.0, 30.0]
    assert (video.width, video.height, video.codec) == (640, 360, "h264") and abs(video.duration - 35.0) < 0.2
    # A still of the video (its own thumbnail) finds the frame; with the tiny encoder only a near-copy
    # clears the library's no-match floor, so a photo of someone in it would honestly be "none".
    photo = video_library / frames[3].thumbnail
    response = run_json(capsys, "--library", str(video_library), "search", "--image", str(photo), "--json",
                        "--ocr", "off")
    # One video and nothing else: no unrelated items to calibrate on, so the floor is 1 and even a
    # resampled still may be "none"; what is shown must be the frame with its time.
    assert response["match"] in ("similar", "none")
    for result in response["results"][:1]:
        assert result["kind"] == "frame" and result["time"] is not None and result["video"].endswith("people.mp4")
    from visearch.storage.library import Library

    with Library.open(video_library, read_only=True) as library:
        assert library.docs.get([frames[3].id])[frames[3].id].time == frames[3].time


def test_export_is_frame_exact_and_compiles(video_library, tmp_path, capsys):
    data = run_json(capsys, "--library", str(video_library), "clips", "--person", "deepface:Angelina", "--json",
                    "--export", str(tmp_path / "out"), "--compile", str(tmp_path / "reel.mp4"))
    files = sorted((tmp_path / "out").iterdir())
    assert len(files) == len(data["clips"]) == 3
    for clip, file in zip(data["clips"], files):
        with av.open(str(file)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames == round((clip["end"] - clip["start"]) * 10)  # the source is 10 fps
    with av.open(str(tmp_path / "reel.mp4")) as container:
        assert float(container.duration / 1e6) == pytest.approx(sum(c["end"] - c["start"] for c in data["clips"]),
                                                               abs=0.3)


def test_name_merge_hide_and_forget(video_library, people_video, tmp_path, capsys):
    library = tmp_path / "lib"
    shutil.copytree(video_library, library)
    people = {p["name"]: p for p in run_json(capsys, "--library", str(library), "people", "list", "--json")}
    angelina, jennifer = people["deepface:Angelina"]["id"], people["deepface:Jennifer"]["id"]
    scarlett = people["deepface:Scarlett"]["id"]
    assert main(["--library", str(library), "people", "name", str(angelina), "Angie"]) == 0
    capsys.readouterr()
    # Angelina and Scarlett share the frames at 13-18 s: they are two people, whatever a user types.
    assert main(["--library", str(library), "people", "merge", "Angie", str(scarlett)]) == 2
    assert "people.mp4 at 00:13.0" in capsys.readouterr().err
    assert main(["--library", str(library), "people", "merge", "Angie", str(jennifer)]) == 0
    assert main(["--library", str(library), "people", "hide", "Angie"]) == 0
    listed = run_json(capsys, "--library", str(library), "people", "list", "--json")
    assert "Angie" not in {p["name"] for p in listed}
    everyone = run_json(capsys, "--library", str(library), "people", "list", "--json", "--all")
    [angie] = [p for p in everyone if p["name"] == "Angie"]
    assert angie["hidden"] and angie["tracks"] == people["deepface:Angelina"]["tracks"] + people[
        "deepface:Jennifer"]["tracks"]

    faces_before = run_json(capsys, "--library", str(library), "stats", "--json")["faces"]
    forgotten = next(p for p in everyone if p["name"] == "deepface:Scarlett")
    assert main(["--library", str(library), "people", "forget", "deepface:Scarlett"]) == 0
    stats = run_json(capsys, "--library", str(library), "stats", "--json")
    assert stats["faces"] == faces_before - forgotten["faces"]
    from visearch.storage.library import Library

    with Library.open(library) as lib:  # nothing of hers is left but the block-list signature
        assert lib.faces.references().get(forgotten["id"]) is None
        assert all(t.person_id is None or t.person_id != forgotten["id"] for t in lib.faces.units())
    # Re-indexing the video (changed bytes) must not bring her back.
    copy = remux(people_video.video, tmp_path / "people-copy.mkv")
    assert main(["--library", str(library), "index", str(copy), "--no-progress"]) == 0
    names = {p["name"] for p in run_json(capsys, "--library", str(library), "people", "list", "--json", "--all")}
    assert "deepface:Scarlett" not in names
    assert main(["--library", str(library), "clips", "--person", "deepface:Jennifer"]) == 2


def test_hamilton_clip_and_still_are_one_person(shared_data, tmp_path, capsys):
    clip = shared_data / "videos" / "fr_short_hamilton_clip.mp4"
    still = shared_data / "faces" / "face_recognition" / "lin-manuel-miranda.png"
    library = tmp_path / "lib"
    assert main(["--library", str(library), "index", str(clip), str(still), "--clip", "tiny", "--ocr", "off",
                 "--no-progress"]) == 0
    people = run_json(capsys, "--library", str(library), "people", "list", "--json")
    with_both = [p for p in people if p["photos"] >= 1 and p["videos"] >= 1]
    assert len(with_both) == 1, people


def test_every_shared_video_indexes(shared_data, tmp_path, capsys):
    rows = list(csv.DictReader(open(shared_data / "videos" / "videos.csv", encoding="utf-8")))
    report = run_json(capsys, "--library", str(tmp_path / "lib"), "index", str(shared_data / "videos"), "--clip",
                      "tiny", "--ocr", "off", "--faces", "off", "--no-progress", "--json")
    assert report["videos"] == len(rows) and report["failed"] == []
    from visearch.storage.library import Library

    with Library.open(tmp_path / "lib", read_only=True) as library:
        videos = {Path(v.path).name: v for v in library.docs.get_videos(range(1, 100)).values()}
        tiny = videos["faceapi_test_video.mp4"]
        webm = videos["intel_head-pose-face-detection-female_fromgif.webm"]
        assert library.docs.frames_of(tiny.id) and tiny.duration == pytest.approx(0.209, abs=0.05)
        assert webm.codec == "vp9" and library.docs.frames_of(webm.id)
        for row in rows:
            video = videos[Path(row["file"]).name]
            assert video.duration == pytest.approx(float(row["duration_s"]), abs=0.3), row["file"]


def test_truncated_video_keeps_frames_before_the_damage(people_video, tmp_path, capsys):
    whole = remux(people_video.video, tmp_path / "whole.mkv")
    broken = tmp_path / "broken.mkv"
    data = whole.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    report = run_json(capsys, "--library", str(tmp_path / "lib"), "index", str(broken), "--clip", "tiny", "--ocr",
                      "off", "--faces", "off", "--no-progress", "--json")
    assert report["videos"] == 1 and 5 <= report["frames"] < 30
    [failure] = report["failed"]
    assert failure["path"].endswith("broken.mkv") and "damaged" in failure["reason"]


def test_audio_only_file_is_reported(tmp_path, capsys):
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        for index in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, index * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    report = run_json(capsys, "--library", str(tmp_path / "lib"), "index", str(path), "--clip", "tiny",
                      "--no-progress", "--json")
    assert report["failed"] == [{"path": str(path), "reason": "no video stream (audio only)"}]


def test_variable_frame_rate_times_come_from_the_stream(tmp_path):
    from fractions import Fraction

    from visearch.indexer.video import scan_video

    path = tmp_path / "vfr.mkv"
    stamps = [0, 40, 80, 120, 2100, 2600, 3050, 4200]  # milliseconds, deliberately irregular
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        for number, stamp in enumerate(stamps):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), number * 30, np.uint8), format="rgb24")
            frame.pts, frame.time_base = stamp, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    scan = scan_video(path)
    assert [round(t, 3) for t in scan.frame_times] == [s / 1000 for s in stamps]


def test_clustering_f1_on_labelled_photos(shared_data, tmp_path, capsys):
    rows = [r for r in csv.DictReader(open(shared_data / "faces" / "identities.csv", encoding="utf-8"))
            if r["certainty"] == "certain" and r["multi_face_image"] == "no"]
    folder = tmp_path / "photos"
    for number, row in enumerate(rows):
        folder.mkdir(exist_ok=True)
        (folder / f"{number:03d}{Path(row['file']).suffix}").symlink_to(shared_data / row["file"])
    library = tmp_path / "lib"
    assert main(["--library", str(library), "index", str(folder), "--clip", "tiny", "--ocr", "off",
                 "--no-progress"]) == 0
    from visearch.storage.library import Library

    from visearch.people.index import people_index
    from visearch.people.review import suggestions

    with Library.open(library, read_only=True) as lib:
        states = {Path(s.path).name: s.id for s in lib.docs.file_states()}
        faces = lib.faces.faces_of(list(states.values()))
        asked = {s.face: s.person for s in suggestions(people_index(lib))}
    labels, joined, answered = [], [], []
    for number, row in enumerate(rows):
        item = states.get(f"{number:03d}{Path(row['file']).suffix}")
        found = faces.get(item) or []
        if found:
            labels.append(row["identity"])
            person = found[0].person_id
            joined.append(person if person is not None else -1 - number)  # unclustered: a singleton
            answered.append(person if person is not None else asked.get(found[0].id, -1 - number))  # "yes" to each
    pairs = list(combinations(range(len(labels)), 2))
    same = {(i, j) for i, j in pairs if labels[i] == labels[j]}
    together = {(i, j) for i, j in pairs if joined[i] == joined[j]}
    after_review = {(i, j) for i, j in pairs if answered[i] == answered[j]}
    precision = len(same & together) / max(len(together), 1)
    recall = len(same & after_review) / max(len(same), 1)
    assert len(labels) >= 100
    assert precision >= 0.98 and recall >= 0.95, (precision, recall)
    assert len(asked) <= 0.15 * len(labels), len(asked)  # the review load


def test_reusing_still_faces_vectors_saves_work_and_changes_no_track(people_video):
    from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec
    from visearch.indexer.models.faces import create_faces
    from visearch.indexer.records import SourceFile
    from visearch.indexer.video_pipeline import VideoConfig, VideoPipeline

    encoder, faces = ClipEncoder(parse_clip_spec("tiny")), create_faces("dlib")
    runs = {}
    for reuse in (True, False):
        pipeline = VideoPipeline(encoder, None, faces, VideoConfig(reuse_face_vectors=reuse))
        record = pipeline.process(SourceFile.from_path(people_video.video))
        runs[reuse] = (pipeline.times, [(t.shot, t.start, t.end, len(t.faces)) for t in record.tracks])
    (on, tracks_on), (off, tracks_off) = runs[True], runs[False]
    assert tracks_on == tracks_off
    assert off.face_vectors_reused == 0 and on.face_vectors_reused > 0
    assert on.face_vectors + on.face_vectors_reused == off.face_vectors
