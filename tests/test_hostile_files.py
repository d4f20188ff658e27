"""The bad-input corpus (fixtures/hostile.py) through every door: `index`, `search --image` and
the upload API. Valid oddities are indexed and searchable; broken files fail with a reason that
names them; nothing crashes, nothing else is lost."""
import contextlib
import io
import json
import stat
from pathlib import Path

import pytest

from fixtures.hostile import make_corpus
from visearch.cli import main


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    expected = make_corpus(root / "corpus")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--library", str(root / "lib"), "index", str(root / "corpus"), "--clip", "tiny",
                     "--no-progress", "--json"])
    assert code == 0
    return root, expected, json.loads(out.getvalue())


def test_corpus_has_thirty_kinds(corpus):
    assert len(corpus[1]) >= 30


def test_every_valid_oddity_is_indexed_and_every_broken_file_says_why(corpus):
    root, expected, report = corpus
    failed = {Path(f["path"]).name: f["reason"] for f in report["failed"]}
    for name, word in expected.items():
        if word is None:
            assert name not in failed, (name, failed.get(name))
        else:
            assert name in failed and word in failed[name], (name, word, failed.get(name))
    assert report["indexed"] == sum(1 for word in expected.values() if word is None)
    assert set(failed) <= set(expected)


def _search(root: Path, path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--library", str(root / "lib"), "search", "--image", str(path), "--ocr", "off", "-k", "3"])
    return code, out.getvalue(), err.getvalue()


def test_search_image_answers_every_file(corpus):
    root, expected, _ = corpus
    for name, word in expected.items():
        path = root / "corpus" / name
        if path.is_fifo():
            continue
        code, out, err = _search(root, path)
        assert "Traceback" not in err, (name, err)
        if word is None:
            assert code == 0 and "1." in out, (name, code, err)
        else:
            assert code == 2 and name.split(".")[0] in err, (name, code, err)


def test_missing_photo_is_reported_as_missing(corpus):
    code, _, err = _search(corpus[0], corpus[0] / "corpus" / "no-such-photo.jpg")
    assert code == 2 and "does not exist" in err and "corrupt" not in err


def test_uploads_of_every_file_are_200_or_a_clear_4xx(corpus):
    from visearch.web import create_app

    root, expected, _ = corpus
    app = create_app({"LIBRARY": str(root / "lib"), "TESTING": True, "OCR": "off"})
    app.extensions["visearch"].load_models()
    client = app.test_client()
    for name, word in expected.items():
        path = root / "corpus" / name
        if not path.exists() or not stat.S_ISREG(path.stat().st_mode):
            continue
        shown = name.replace("\n", "%0A")  # as a browser escapes it in the multipart header
        response = client.post("/api/search", data={"image": (io.BytesIO(path.read_bytes()), shown)},
                               content_type="multipart/form-data")
        if word is None:
            assert response.status_code == 200, (name, response.data[:300])
        else:
            assert response.status_code in (400, 413), (name, response.status_code, response.data[:300])
            assert response.get_json()["error"]
    app.extensions["visearch"].close()
