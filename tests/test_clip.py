import time

import numpy as np
import pytest
from PIL import Image

from visearch.indexer.errors import ModelUnavailableError, UnknownModelError
from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec


def test_tiny_is_deterministic_and_unit_norm(tiny_encoder):
    image = Image.new("RGB", (120, 80), (200, 30, 30))
    first = tiny_encoder.encode_images([image])
    again = ClipEncoder(parse_clip_spec("tiny")).encode_images([image])
    assert first.dtype == np.float32 and first.shape == (1, 64)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first, again)


def test_tiny_is_not_semantic_and_named_for_the_manifest(tiny_encoder):
    assert tiny_encoder.semantic is False
    assert tiny_encoder.identity == "open_clip:tiny:seed0"
    texts = tiny_encoder.encode_texts(["a red kettle", "a blue bottle"])
    assert texts.shape == (2, 64)


def test_pretrained_spec_is_semantic_and_round_trips():
    spec = parse_clip_spec("ViT-B-32:laion2b_s34b_b79k")
    assert spec.semantic
    assert parse_clip_spec(spec.text) == spec
    assert not parse_clip_spec("ViT-B-32:random").semantic


@pytest.mark.parametrize("text, named", [("NoSuchNet:x", "NoSuchNet"), ("ViT-B-32:no_such_tag", "no_such_tag"),
                                         ("ViT-B-32", "ViT-B-32"), ("tiny:openai", "tiny")])
def test_bad_specs_name_the_problem(text, named):
    with pytest.raises(UnknownModelError) as caught:
        parse_clip_spec(text)
    assert named in str(caught.value)


def test_missing_weights_fail_fast_with_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    encoder = ClipEncoder(parse_clip_spec("ViT-B-32:laion2b_s34b_b79k"))
    started = time.perf_counter()
    with pytest.raises(ModelUnavailableError) as caught:
        encoder.load()
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert "--clip-weights" in message and "--clip tiny" in message and "HF_HUB_OFFLINE" in message


def test_missing_local_weights_file(tmp_path):
    encoder = ClipEncoder(parse_clip_spec("ViT-B-32", weights=tmp_path / "nope.safetensors"))
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        encoder.load()


def test_local_weights_file_loads(tmp_path):
    """A checkpoint saved from one model loads through --clip-weights and gives the same vectors."""
    import open_clip
    import torch

    torch.manual_seed(1)
    model = open_clip.create_model("ViT-S-32-alt", pretrained=None)
    path = tmp_path / "vits32.pt"
    torch.save(model.state_dict(), path)
    encoder = ClipEncoder(parse_clip_spec("ViT-S-32-alt", weights=path))
    assert encoder.semantic and encoder.identity == "open_clip:ViT-S-32-alt:file:vits32.pt"
    image = Image.new("RGB", (64, 64), "blue")
    model.eval()
    with torch.inference_mode():
        expected = model.encode_image(encoder.preprocess(image)[None]).numpy()
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(encoder.encode_images([image]), expected, atol=1e-5)
