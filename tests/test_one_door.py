"""One door per use case: the rules the CLI, the web and the benches share, and the bugs their copies hid."""
from __future__ import annotations

import ast
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from visearch.indexer.errors import BadBox
from visearch.indexer.images import fit_box, parse_box
from visearch.cli import main

ROOT = Path(__file__).resolve().parents[1]


# -- one settings object


def test_settings_read_every_variable_typed_and_name_a_bad_one():
    from visearch.app.settings import Settings

    settings = Settings.from_env({"VISEARCH_LIBRARY": "~/photos", "VISEARCH_WRITE_WAIT": "12.5",
                                  "VISEARCH_FACE_REUSE": "0", "VISEARCH_ANN_THRESHOLD": "1000", "HF_HUB_OFFLINE": "1",
                                  "VISEARCH_TOKEN": ""})
    assert settings.library == Path("~/photos").expanduser() and settings.write_wait == 12.5
    assert settings.face_reuse is False and settings.ann_threshold == 1000 and settings.offline
    assert settings.token == "" and settings.library_path().is_absolute()
    with pytest.raises(ValueError, match="VISEARCH_CHECKPOINT_ITEMS='many'"):
        Settings.from_env({"VISEARCH_CHECKPOINT_ITEMS": "many"})
    assert settings.with_options(library=None, write_wait=1.0).write_wait == 1.0  # None: the option was not given


def test_the_readme_table_is_the_settings_table():
    from visearch.app.settings import VARIABLES, Settings, markdown_table

    assert markdown_table() in (ROOT / "docs" / "configuration.md").read_text()
    assert {v.field for v in VARIABLES} <= set(Settings.__dataclass_fields__)


# Variables of other programs, read where they are used: the hub's offline switch (huggingface_hub reads it
# too), insightface's model folder, and the environment handed to the face-vector child process.
FOREIGN_READS = {("indexer/models/clip_weights.py", "os.environ.get(variable"), ("indexer/models/faces.py", "INSIGHTFACE_HOME"),
                 ("indexer/models/face_vectors.py", "PYTHONPATH"),
                 ("indexer/models/tesseract.py", "TESSDATA_PREFIX")}  # other programs' variables, read as they do


def test_nothing_but_the_settings_reads_the_environment():
    found = []
    package = ROOT / "src" / "visearch"
    for path in sorted(package.rglob("*.py")):
        where = str(path.relative_to(package))
        if where == "app/settings.py":
            continue
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                line = source.splitlines()[node.lineno - 1]
                if not any(where == file and name in line for file, name in FOREIGN_READS):
                    found.append(f"{where}:{node.lineno}: {line.strip()}")
    assert not found, "read the environment through visearch.app.settings.Settings:\n" + "\n".join(found)


# -- one box rule


@pytest.mark.parametrize("text, reason", [("1,2,3", "four numbers"), ("a,b,c,d", "four numbers"),
                                          ("5,5,1,1", "x1 > x0"), ("0,0,nan,4", "four numbers"),
                                          ("0,0,inf,4", "four numbers")])
def test_a_malformed_box_says_why(text, reason):
    with pytest.raises(BadBox, match=reason):
        parse_box(text)


def test_a_box_is_clamped_to_the_picture_and_must_keep_pixels_inside():
    assert fit_box((-10, -5, 50, 400), 100, 80) == (0.0, 0.0, 50.0, 80.0)
    with pytest.raises(BadBox, match="less than 8×8 pixels inside the 100×80 picture"):
        fit_box((95, 10, 300, 60), 100, 80)


def test_the_api_and_the_cli_refuse_a_bad_box_alike(client, fixture_set, web_library, capsys):
    photo = fixture_set.photos[0]
    with open(photo, "rb") as handle:
        answer = client.post("/api/search", data={"image": (handle, photo.name), "box": "5,5,1,1"})
    assert answer.status_code == 400 and "x1 > x0" in answer.get_json()["error"]
    assert main(["--library", str(web_library), "search", "--image", str(photo), "--box", "5,5,1,1", "--local"]) == 2
    assert "--box must have x1 > x0" in capsys.readouterr().err


# -- indexing


def test_an_unreadable_video_is_recorded_and_the_run_goes_on(tmp_path, fixture_set, monkeypatch, capsys):
    """Before: hashing a video was outside the error handling that images have, and `index` exited 2."""
    import visearch.ingest.run as ingest

    folder = tmp_path / "media"
    shutil.copytree(fixture_set.catalog_dir, folder)
    video = folder / "clip.mp4"
    make_video(video)
    real = ingest.file_sha256

    def unreadable(path):
        if Path(path) == video:
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(ingest, "file_sha256", unreadable)
    library = tmp_path / "lib"
    code = main(["--library", str(library), "index", str(folder), "--clip", "tiny", "--ocr", "off", "--faces", "off",
                 "--no-progress", "--json"])
    assert code == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["indexed"] == len(list(fixture_set.catalog_dir.glob("*.jpg"))) and report["videos"] == 0
    assert {"path": str(video), "reason": "cannot read: Permission denied"} in report["failed"]
    assert main(["--library", str(library), "errors"]) == 0
    assert f"{video}: cannot read: Permission denied" in capsys.readouterr().out


def make_video(path: Path, seconds: float = 2.0) -> None:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for index in range(int(seconds * 10)):
            pixels = np.full((120, 160, 3), (index * 12) % 255, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


DISK_FULL = """
import os, sys
sys.path.insert(0, {root!r})
from visearch.cli import main
sys.exit(main(["--library", {library!r}, "index", {photos!r}, "--clip", "tiny", "--ocr", "off", "--faces", "off",
               "--no-progress"]))
"""


def test_a_full_disk_is_a_clear_error_and_keeps_what_was_committed(tmp_path):
    """The library on a 3 MB filesystem (tmpfs in a private mount namespace), 150 photos (4.5 MB indexed): exit
    2, the disk and the space needed named, no traceback; a re-run with room finishes the rest."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here to mount a small filesystem")
    from visearch.demo.generate import random_photos

    photos = random_photos(tmp_path / "photos", 150)
    small, library = tmp_path / "small", tmp_path / "small" / "lib"
    small.mkdir()
    script = DISK_FULL.format(root=str(ROOT), library=str(library), photos=str(photos))
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         f'mount -t tmpfs -o size=3m tmpfs "{small}" || exit 97; "{sys.executable}" -c "$0"; code=$?; '
         f'cp -a "{library}" "{tmp_path}/kept"; exit $code', script],
        capture_output=True, text=True, timeout=600, env=dict(os.environ, VISEARCH_CHECKPOINT_ITEMS="32"))
    if done.returncode == 97:
        pytest.skip(f"cannot mount a small filesystem here: {done.stderr.strip()[:200]}")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert f"the disk holding {library} is full" in done.stderr and "more is needed for the" in done.stderr
    kept = tmp_path / "kept"
    from visearch.storage.library import Library

    with Library.open(kept, read_only=True) as opened:
        documents, with_vectors, with_keypoints = opened.completeness()
    assert 0 < documents < 150 and documents == with_vectors == with_keypoints
    assert main(["--library", str(kept), "index", str(photos), "--clip", "tiny", "--ocr", "off", "--faces", "off",
                 "--no-progress"]) == 0
    with Library.open(kept, read_only=True) as opened:
        assert opened.completeness() == (150, 150, 150)


# -- people and moments: the same rules from the CLI and the web


def test_a_tag_names_a_person_by_name_from_the_cli_as_from_the_web(client, web_library, tmp_path, capsys):
    """Before: the CLI stored the text as typed (`person "1"`); the web resolved the person first."""
    people = client.get("/api/people").get_json()["people"]
    named = next((p for p in people if p["name"]), None)
    if named is None:
        pytest.skip("the web library has no named person (no shared data)")
    library = tmp_path / "cli-lib"
    shutil.copytree(web_library, library)
    assert main(["--library", str(library), "tags", "add", "on stage", "--person", str(named["id"])]) == 0
    capsys.readouterr()
    assert main(["--library", str(library), "tags", "list", "--json"]) == 0
    import json

    [tag] = json.loads(capsys.readouterr().out)["tags"]
    assert tag["query"] == f'person "{named["name"]}"'
    answer = client.post("/api/moments", json={"person": named["id"]}).get_json()
    assert answer["query"] == tag["query"]
    assert main(["--library", str(library), "moments", "--person", "Nobody At All"]) == 2
    assert "no person 'Nobody At All'" in capsys.readouterr().err
    assert client.post("/api/moments", json={"person": 10**12}).status_code == 404


def test_a_fancam_is_never_taller_than_its_video_by_default():
    from visearch.storage.documents import VideoDoc
    from visearch.fancam.make import default_height

    assert default_height(VideoDoc(path="v", sha256="s", width=640, height=360), grid=False) == 360
    assert default_height(VideoDoc(path="v", sha256="s", width=3840, height=2160), grid=False) == 1280
    assert default_height(VideoDoc(path="v", sha256="s", width=3840, height=2160), grid=True) == 720
    assert default_height(VideoDoc(path="v", sha256="s", width=360, height=640, rotation=90), grid=False) == 360


def test_the_cli_fancam_takes_the_same_default_height(web_library, monkeypatch, tmp_path):
    """Before: the CLI asked for 1280 px whatever the video; only the API capped it at the video's height."""
    import visearch.app.fancams as fancams

    asked = {}
    monkeypatch.setattr(fancams, "make_fancam",
                        lambda library, request, progress=None, people=None:
                        asked.setdefault("request", request) and 1 / 0)
    from visearch.storage.library import Library

    with Library.open(web_library, read_only=True) as library:
        videos = [s for s in library.docs.file_states() if s.kind == "video"]
        people = library.faces.people()
    if not videos or not people:
        pytest.skip("the web library has no video with people (no shared data)")
    with pytest.raises(ZeroDivisionError):
        main(["--library", str(web_library), "fancam", str(videos[0].id), "--person", str(people[0].id),
              "--out", str(tmp_path / "f.mp4"), "--no-progress"])
    assert asked["request"].height is None  # make_fancam applies default_height, as for the API


# -- the server's log


def test_queue_warnings_are_reported_every_few_seconds_with_a_count():
    from visearch.web.server_log import QueueWarnings

    now = [100.0]
    throttle = QueueWarnings(5.0, clock=lambda: now[0])

    def record(depth):
        return logging.LogRecord("waitress.queue", logging.WARNING, "", 0, "Task queue depth is %d", (depth,), None)

    shown = []
    for step in range(40):  # a warning every 0.25 s for 10 s
        now[0] = 100.0 + step * 0.25
        one = record(step)
        if throttle.filter(one):
            shown.append(one.getMessage())
    assert len(shown) == 2
    assert shown[1] == "Task queue depth is 20 (19 more such warnings in the last 5 s, the deepest queue 19)"


def test_the_access_log_is_one_line_per_request_and_never_holds_the_token(app, caplog):
    from visearch.web.server_log import AccessLog

    logger = logging.getLogger("visearch.access.test")
    wrapped = AccessLog(app, logger)
    client = app.test_client()
    client.application = wrapped
    from werkzeug.test import Client

    with caplog.at_level(logging.INFO, logger="visearch.access.test"):
        Client(wrapped).get("/api/stats?token=secret123")
    [line] = [r.getMessage() for r in caplog.records if r.name == "visearch.access.test"]
    assert '"GET /api/stats?token=…" 200' in line and "secret123" not in line and " ms" in line
