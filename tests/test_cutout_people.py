"""People cut-outs and the portrait blur: the pure parts on drawn pictures, the model installer against a fake
npm, and the real MediaPipe models on real photos (../shared/data/faces) where `make install` fetched them."""
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from visearch.cli import main
from visearch.cutout.blur import portrait
from visearch.cutout.people import grown, guided
from visearch.indexer.errors import ModelUnavailableError
from visearch.indexer.models import mediapipe_assets
from visearch.indexer.models.mediapipe_assets import fetch, models_missing
from visearch.indexer.models.persons import DETECT_SIDE, anchors, decode, letterbox

FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
MODELS = Path(os.environ.get("VISEARCH_MODELS", "~/.cache/visearch/models")).expanduser()


def scene(size=(400, 300)) -> tuple[Image.Image, np.ndarray]:
    """Stripes (a busy background) and a flat disk (the subject), with the disk's alpha."""
    image = Image.new("RGB", size, (30, 30, 30))
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 8):
        draw.rectangle((x, 0, x + 3, size[1]), fill=(240, 240, 240))
    draw.ellipse((150, 100, 250, 200), fill=(200, 40, 40))
    alpha = np.zeros(size[::-1], np.float32)
    yy, xx = np.indices(alpha.shape)
    alpha[(xx - 200) ** 2 + (yy - 150) ** 2 <= 48 ** 2] = 1.0
    return image, alpha


# -- pure


def test_the_blur_keeps_the_subject_and_softens_the_far_background():
    image, alpha = scene()
    out = np.asarray(portrait(image, alpha, 1.0)).astype(int)
    pixels = np.asarray(image).astype(int)
    inside = alpha > 0.5
    assert np.abs(out[inside] - pixels[inside]).max() <= 1  # the subject untouched
    far, near = out[:, :60], out[:, 100:140]
    assert far.std() < 0.35 * pixels[:, :60].std()  # the stripes far away are nearly flat
    assert near.std() > far.std()  # ... and blur less near the subject
    # no halo: the background beside the disk keeps the background's colours, not the disk's red
    ring = out[150, 255:262]
    assert (ring[:, 0] - ring[:, 1]).mean() < 40


def test_no_blur_and_no_subject_give_the_photo_back():
    image, alpha = scene()
    assert np.array_equal(np.asarray(portrait(image, alpha, 0.0)), np.asarray(image))
    assert np.array_equal(np.asarray(portrait(image, np.zeros_like(alpha), 1.0)), np.asarray(image))


def test_the_guided_filter_takes_its_edge_from_the_picture():
    guide = np.zeros((60, 60), np.float32)
    guide[:, 30:] = 1.0  # a sharp edge in the picture
    coarse = np.zeros((60, 60), np.float32)
    coarse[:, 24:] = 1.0  # the model's mask, six pixels off
    sharp = guided(guide, coarse, radius=8, eps=1e-3)
    assert sharp[:, 45:].min() > 0.9 and sharp[:, :15].max() < 0.1
    assert abs(sharp[30, 27] - 0.0) < abs(coarse[30, 27] - 0.0)  # pulled towards the picture's edge


def test_a_users_box_grows_a_little_and_stays_in_the_picture():
    assert grown((10, 10, 110, 60), 100, 100) == (0.0, 5.0, 100.0, 65.0)


def test_the_detectors_anchors_and_a_detection_decoded():
    centres = anchors()
    assert centres.shape == (2254, 2) and 0 < centres.min() and centres.max() < 1
    boxes, scores = np.zeros((1, 2254, 12), np.float32), np.full((1, 2254, 1), -10.0, np.float32)
    one = 500
    scores[0, one, 0] = 5.0
    boxes[0, one, :4] = (10, -5, 40, 80)  # centre offset in input pixels, then the size
    found = decode(boxes, scores, centres)
    assert len(found) == 1 and found[0][0] > 0.99
    x, y, w, h = found[0][1][:4]
    assert x == pytest.approx(centres[one, 0] + 10 / DETECT_SIDE) and y == pytest.approx(centres[one, 1] - 5 / DETECT_SIDE)
    assert (w, h) == pytest.approx((40 / DETECT_SIDE, 80 / DETECT_SIDE))
    assert decode(boxes, np.full((1, 2254, 1), -10.0, np.float32), centres) == []


def test_letterbox_keeps_the_pictures_shape_in_the_square():
    square, scale, (dx, dy) = letterbox(np.full((100, 400, 3), 255, np.uint8), 224)
    assert square.shape == (224, 224, 3) and scale == pytest.approx(224 / 400) and (dx, dy) == (0, 84)
    assert square[:dy].max() == 0 and square[dy + 1:224 - dy - 1].min() == 255


# -- the installer


def fake_npm(tmp_path: Path, payload: bytes) -> str:
    """An `npm` that packs `payload` as every model of every package."""
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w:gz") as archive:
        for name in ("package/selfie_segmentation.tflite", "package/pose_landmark_full.tflite",
                     "package/pose_solution_packed_assets.data"):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    (tmp_path / "pack.tgz").write_bytes(tarball.getvalue())
    script = tmp_path / "npm"
    script.write_text(f'#!/bin/sh\nwhile [ "$1" != "--pack-destination" ]; do shift; done\ncp {tmp_path}/pack.tgz "$2"/x.tgz\n')
    script.chmod(0o755)
    return str(script)


def test_a_tarball_that_does_not_match_its_checksum_is_not_installed(tmp_path):
    folder = tmp_path / "models"
    with pytest.raises(ModelUnavailableError) as caught:
        fetch(folder, npm=fake_npm(tmp_path, b"not the model"))
    assert caught.value.code == "npm_checksum" and "@mediapipe/" in str(caught.value)
    assert not folder.exists() or not any(folder.iterdir())
    assert sorted(models_missing(folder)) == ["pose_detection.tflite", "pose_landmark_full.tflite",
                                              "selfie_segmentation.tflite"]


def test_without_npm_the_error_says_how_to_install_it(tmp_path):
    with pytest.raises(ModelUnavailableError) as caught:
        fetch(tmp_path, npm=str(tmp_path / "no-npm-here"))
    assert caught.value.code == "npm_missing"


def test_a_damaged_model_counts_as_missing(tmp_path):
    for package in mediapipe_assets.PACKAGES:
        for name in package.files:
            (tmp_path / name).write_bytes(b"model " + name.encode())
    sums = {name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in
            [n for p in mediapipe_assets.PACKAGES for n in p.files]}
    (tmp_path / mediapipe_assets.CHECKSUMS).write_text(json.dumps(sums))
    assert models_missing(tmp_path) == []
    (tmp_path / "selfie_segmentation.tflite").write_bytes(b"truncated")
    assert models_missing(tmp_path) == ["selfie_segmentation.tflite"]


def test_the_cli_says_which_models_are_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VISEARCH_MODELS", str(tmp_path))
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "missing    selfie_segmentation.tflite" in out and str(tmp_path) in out


def test_without_the_model_a_person_is_cut_by_grabcut_and_the_user_is_told(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VISEARCH_MODELS", str(tmp_path / "none"))
    image, _ = scene()
    image.save(tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    assert main(["cutout", "photo.jpg", "--person", "--box", "140,90,260,210", "--out", "out/cut.png"]) == 0
    assert "GrabCut" in capsys.readouterr().err and Image.open(tmp_path / "out" / "cut.png").mode == "RGBA"


# -- the real models on real photos

needs_models = pytest.mark.skipif(bool(models_missing(MODELS)), reason="person models not installed (make install)")
needs_faces = pytest.mark.skipif(not (FACES / "deepface" / "couple.jpg").is_file(), reason="no ../shared/data/faces")


@pytest.fixture(scope="module")
def people():
    from visearch.indexer.models.persons import PersonModel

    model = PersonModel(MODELS)
    yield model
    model.close()


def face_boxes(path: Path) -> list[tuple[int, int, int, int]]:
    from visearch.indexer.models.faces import DlibFaces

    model = DlibFaces()
    try:
        return [tuple(int(v) for v in face.box) for face in model.detect(Image.open(path).convert("RGB"))]
    finally:
        model.close()


@needs_models
@needs_faces
def test_both_people_of_a_couple_are_cut_faces_whole_and_the_backdrop_out(people):
    from visearch.cutout.people import cut_person

    path = FACES / "deepface" / "couple.jpg"
    image = Image.open(path).convert("RGB")
    done = cut_person(image, people)
    for x0, y0, x1, y1 in face_boxes(path):  # dlib's faces, found independently; their middle half
        w, h = (x1 - x0) // 4, (y1 - y0) // 4
        assert done.mask[y0 + h:y1 - h, x0 + w:x1 - w].mean() > 0.97
    assert done.mask[:80, :].mean() < 0.2  # the press wall above their heads


@needs_models
@needs_faces
def test_blur_from_another_directory_keeps_the_face_sharp(tmp_path, capsys, monkeypatch):
    source = FACES / "deepface" / "img1.jpg"
    monkeypatch.setenv("VISEARCH_MODELS", str(MODELS))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "me.jpg").write_bytes(source.read_bytes())
    assert main(["cutout", "in/me.jpg", "--person", "--blur", "--out", "me-portrait.jpg"]) == 0
    assert "GrabCut" not in capsys.readouterr().err
    out, original = Image.open(tmp_path / "me-portrait.jpg"), Image.open(source).convert("RGB")
    assert out.size == original.size and out.format == "JPEG"
    x0, y0, x1, y1 = face_boxes(source)[0]
    a, b = np.asarray(out, float), np.asarray(original, float)
    assert np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]).mean() < 4  # the face as it was
    assert np.abs(a[:, :60] - b[:, :60]).mean() > 2 * np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]).mean()


@needs_models
def test_a_product_photo_has_nobody_to_cut(people):
    from visearch.cutout.people import cut_person
    from visearch.indexer.errors import InvalidInput

    image, _ = scene()
    with pytest.raises(InvalidInput) as caught:
        cut_person(image, people)
    assert caught.value.code == "no_person"
