"""The ONNX image tower: same vectors as torch, used by CLI photo searches, never trusted when stale."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from visearch.indexer.errors import ModelUnavailableError
from visearch.storage.library import CLIP_EXPORT
from visearch.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_export_embeds_like_torch(tiny_encoder, fixture_set, tmp_path):
    from visearch.indexer.models.clip_export import export_image_tower
    from visearch.indexer.models.clip_onnx import OnnxClipEncoder

    path = tmp_path / "tower.onnx"
    export_image_tower(tiny_encoder, path)
    onnx = OnnxClipEncoder(path, tiny_encoder)
    rng = np.random.default_rng(3)
    images = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in
              [(64, 64), (31, 200), (480, 90), (768, 1024)]]
    images += [Image.open(photo).convert("RGB") for photo in fixture_set.photos[:3]]
    exported, reference = onnx.encode_images(images), tiny_encoder.encode_images(images)
    assert exported.shape == reference.shape and exported.dtype == np.float32
    assert np.min(np.sum(exported * reference, axis=1)) > 0.9999
    assert onnx.identity == tiny_encoder.identity and onnx.dim == tiny_encoder.dim
    assert onnx.encode_images([]).shape == (0, tiny_encoder.dim)
    assert np.allclose(onnx.encode_texts(["a red bottle"]), tiny_encoder.encode_texts(["a red bottle"]))
    assert not list(tmp_path.glob("*.part")), "the temporary export was left behind"


def test_another_models_export_or_a_damaged_file_is_refused(tiny_encoder, tmp_path):
    from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec
    from visearch.indexer.models.clip_export import export_image_tower
    from visearch.indexer.models.clip_onnx import OnnxClipEncoder

    path = tmp_path / "tower.onnx"
    export_image_tower(tiny_encoder, path)
    other = ClipEncoder(parse_clip_spec("ViT-B-32:random", check=False))
    with pytest.raises(ModelUnavailableError, match="open_clip:tiny:seed0, not this library's open_clip:ViT-B-32"):
        OnnxClipEncoder(path, other).load()
    path.write_bytes(b"\0not an onnx model")
    with pytest.raises(ModelUnavailableError, match="tower.onnx: not a readable ONNX model"):
        OnnxClipEncoder(path, tiny_encoder).load()


def search_in_fresh_process(library: Path, photo: Path, cwd: Path, k: int = 3) -> tuple[dict, bool, str]:
    """`visearch search --image` in a new interpreter: its JSON, whether torch got imported, its log."""
    script = ("import json, sys\nfrom visearch.cli import main\n"
              f"code = main(['-v', '--library', {str(library)!r}, 'search', '--image', {str(photo)!r}, '--local',"
              f" '--json', '-k', '{k}'])\n"
              "print(json.dumps({'code': code, 'torch': 'torch' in sys.modules}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert done.returncode == 0, done.stderr
    *answer, status = done.stdout.strip().splitlines()
    status = json.loads(status)
    assert status["code"] == 0, done.stderr
    return json.loads("\n".join(answer)), status["torch"], done.stderr


@pytest.fixture(scope="module")
def fp32_library(fixture_set, tmp_path_factory) -> Path:
    """fp32: the tiny encoder is not semantic, and its near-copies need the library's own precision."""
    library = tmp_path_factory.mktemp("onnx") / "lib"
    assert main(["--library", str(library), "index", str(fixture_set.catalog_dir), str(fixture_set.formats_dir),
                 "--catalog", str(fixture_set.catalog_csv), "--clip", "tiny", "--precision", "fp32",
                 "--no-progress"]) == 0
    return library


def test_a_cli_photo_search_needs_no_torch_and_answers_as_torch_does(fp32_library, fixture_set, tmp_path):
    library = tmp_path / "lib"
    shutil.copytree(fp32_library, library)
    assert (library / CLIP_EXPORT).is_file(), "`visearch index` did not export the image tower"
    photo = fixture_set.photos[1]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exported, torch_imported, log = search_in_fresh_process(Path("..") / "lib", photo, elsewhere)
    assert not torch_imported and "embedded by onnxruntime" in log
    copy = fixture_set.formats_dir / "image.tiff"  # found as a near-copy, by its vector alone
    near, _, _ = search_in_fresh_process(library, copy, elsewhere, k=20)
    assert str(copy) in [r["path"] for r in near["results"] if "visual" in r["reasons"]]
    (library / CLIP_EXPORT).write_bytes(b"damaged")
    fallback, torch_imported, log = search_in_fresh_process(library, photo, elsewhere)
    assert torch_imported and "not a readable ONNX model" in log and "embedded with torch" in log
    assert [r["id"] for r in exported["results"]] == [r["id"] for r in fallback["results"]]
    assert exported["match"] == fallback["match"]
    for ours, theirs in zip(exported["results"], fallback["results"]):
        assert ours["evidence"]["vector_score"] == pytest.approx(theirs["evidence"]["vector_score"], abs=1e-3)


def test_index_replaces_a_damaged_export(fp32_library, fixture_set, tmp_path):
    from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec
    from visearch.indexer.models.clip_onnx import OnnxClipEncoder

    library = tmp_path / "lib"
    shutil.copytree(fp32_library, library)
    (library / CLIP_EXPORT).write_bytes(b"damaged")
    assert main(["--library", str(library), "index", str(fixture_set.catalog_dir), "--clip", "tiny",
                 "--precision", "fp32", "--no-progress"]) == 0
    OnnxClipEncoder(library / CLIP_EXPORT, ClipEncoder(parse_clip_spec("tiny"))).load()


def test_a_bf16_library_answers_photos_without_torch_and_finds_near_copies(fixture_set, tmp_path):
    """`make demo` builds in bf16 on a CPU that has it. Before, no export was written for such a library
    (the fp32 tower's near-copy scores differed from the library's by ~2e-5, under the no-match floor),
    so every CLI photo search imported torch: 5-6 s."""
    library = tmp_path / "lib"
    assert main(["--library", str(library), "index", str(fixture_set.catalog_dir), str(fixture_set.formats_dir),
                 "--catalog", str(fixture_set.catalog_csv), "--clip", "tiny", "--precision", "bf16",
                 "--no-progress"]) == 0
    assert (library / CLIP_EXPORT).is_file()
    copy = fixture_set.formats_dir / "image.tiff"
    near, torch_imported, log = search_in_fresh_process(library, copy, tmp_path, k=20)
    assert not torch_imported and "embedded by onnxruntime" in log
    assert str(copy) in [r["path"] for r in near["results"] if "visual" in r["reasons"]]
