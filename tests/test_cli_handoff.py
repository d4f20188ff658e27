"""`visearch search` asks a running `visearch serve` of the same library, and searches itself otherwise."""
import json
import os
import shutil
import threading

import pytest

from visearch.cli import main
from visearch.cli.handoff import HANDOFF, announce, running_server


@pytest.fixture
def served(web_library, tmp_path):
    """A copy of the web library served on a free port, announced as `visearch serve` does."""
    from waitress import create_server

    from visearch.web import create_app

    library = tmp_path / "lib"
    shutil.copytree(web_library, library)
    app = create_app({"LIBRARY": str(library), "INSTANCE": "test-instance"})
    app.extensions["visearch"].load_models()
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    with announce(library, "127.0.0.1", server.effective_port, "test-instance"):
        yield library
    server.close()
    assert not (library / HANDOFF).exists()  # the announcement goes with the server


def search(capsys, library, *argv):
    capsys.readouterr()
    code = main(["-v", "--library", str(library), "search", *argv, "--json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_search_asks_the_running_server_and_answers_alike(served, fixture_set, capsys):
    assert running_server(served) is not None
    for query in (["--text", "AX-2040"], ["--image", str(fixture_set.photos[1])]):
        code, out, err = search(capsys, served, *query)
        assert code == 0 and "asking the server" in err
        remote = json.loads(out)
        code, out, err = search(capsys, served, *query, "--local")
        assert code == 0 and "asking the server" not in err
        local = json.loads(out)
        assert [r["id"] for r in remote["results"]] == [r["id"] for r in local["results"]]
        assert remote["match"] == local["match"]


def test_a_bad_photo_gets_the_servers_message_naming_the_file(served, fixture_set, capsys):
    code, _, err = search(capsys, served, "--image", str(fixture_set.bad_dir / "notes.jpg"))
    assert code == 2 and "notes.jpg" in err and "not an image" in err


def test_a_stale_or_foreign_announcement_is_ignored(web_library, tmp_path, capsys):
    library = tmp_path / "lib"
    shutil.copytree(web_library, library)
    dead = 2**22 + 12345  # no such process
    (library / HANDOFF).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": dead, "instance": "x"}))
    assert running_server(library) is None
    (library / HANDOFF).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": os.getpid(), "instance": "x"}))
    assert running_server(library) is None  # nothing answers there
    (library / HANDOFF).write_text("{not json")
    assert running_server(library) is None
    code, out, err = search(capsys, library, "--text", "AX-2040")
    assert code == 0 and "asking the server" not in err and json.loads(out)["results"]


def test_a_box_selects_the_same_pixels_with_and_without_the_server(served, fixture_set, tmp_path, capsys):
    """A 3200-px photo: the server decodes it at 2048 px, the box stays in the photo's own pixels.
    Before, the server applied the box to its shrunk copy, so it searched another region."""
    from PIL import Image

    with Image.open(fixture_set.photos[1]) as small:
        large = small.convert("RGB").resize((3200, round(3200 * small.height / small.width)))
    photo = tmp_path / "large.jpg"
    large.save(photo, quality=92)
    box = f"{large.width // 2},{large.height // 4},{large.width - 10},{large.height - 10}"
    code, out, err = search(capsys, served, "--image", str(photo), "--box", box)
    assert code == 0 and "asking the server" in err
    remote = json.loads(out)
    code, out, err = search(capsys, served, "--image", str(photo), "--box", box, "--local")
    local = json.loads(out)
    assert remote["query"]["size"] == local["query"]["size"] == [large.width, large.height]
    assert remote["query"]["box"] == local["query"]["box"] == [float(v) for v in box.split(",")]
    assert [r["id"] for r in remote["results"]] == [r["id"] for r in local["results"]]
    assert remote["match"] == local["match"]
    for result in remote["results"]:  # outlines come back in the photo's own pixels, inside the box
        outline = result["evidence"]["local"]
        if outline:
            assert outline["box"][0] >= large.width // 2 - 20
