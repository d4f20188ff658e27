"""bf16 image tower: same vectors as fp32 within tolerance, and a clean fp32 fallback."""
import numpy as np
import pytest

import visearch.indexer.models.clip as clip
from visearch.indexer.images import open_image
from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec, resolve_precision


@pytest.mark.parametrize("spec", ["tiny", "ViT-B-32:random"])
def test_bf16_image_vectors_agree_with_fp32(fixture_set, spec):
    images = [open_image(path) for path in sorted(fixture_set.catalog_dir.iterdir())]
    fp32 = ClipEncoder(parse_clip_spec(spec), precision="fp32").encode_images(images)
    bf16 = ClipEncoder(parse_clip_spec(spec), precision="bf16").encode_images(images)
    cosines = (fp32 * bf16).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    assert bf16.dtype == np.float32


def test_text_tower_stays_fp32():
    encoder = ClipEncoder(parse_clip_spec("tiny"), precision="bf16")
    encoder.load()
    assert str(next(encoder._model.visual.parameters()).dtype) == "torch.bfloat16"
    assert str(encoder._model.token_embedding.weight.dtype) == "torch.float32"


def test_auto_picks_bf16_only_with_native_support(monkeypatch):
    monkeypatch.setattr(clip, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto") == "bf16"
    monkeypatch.setattr(clip, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto") == "fp32"
    assert resolve_precision("bf16") == "bf16"  # asked for explicitly: honoured (emulated where not native)
    with pytest.raises(ValueError):
        resolve_precision("fp16")


def test_library_records_precision_and_a_cpu_without_bf16_queries_in_fp32(fixture_set, tmp_path, capsys, monkeypatch):
    import json

    import visearch.search.query_models as query_models
    from visearch.storage.library import CLIP_EXPORT, Library
    from visearch.cli import main

    library = tmp_path / "lib"
    assert main(["--library", str(library), "index", str(fixture_set.catalog_dir), "--clip", "tiny", "--ocr", "off",
                 "--faces", "off", "--precision", "bf16", "--no-progress"]) == 0
    with Library.open(library, read_only=True) as opened:
        assert opened.manifest.precision == "bf16"
    assert (library / CLIP_EXPORT).exists()  # every library gets its fp32 export (test_clip_onnx.py uses it)
    (library / CLIP_EXPORT).unlink()  # here torch embeds the photo, natively in bf16 or in fp32
    photo = fixture_set.root / "photos" / "ket-315-recompressed.jpg"
    results = {}
    for native in (True, False):
        monkeypatch.setattr(query_models, "cpu_has_native_bf16", lambda native=native: native)
        capsys.readouterr()
        assert main(["--library", str(library), "search", "--image", str(photo), "--ocr", "off", "--json"]) == 0
        results[native] = json.loads(capsys.readouterr().out)["results"]
    assert results[True][0]["path"] == results[False][0]["path"]
    assert results[True][0]["evidence"]["vector_score"] == pytest.approx(
        results[False][0]["evidence"]["vector_score"], abs=2e-3)
