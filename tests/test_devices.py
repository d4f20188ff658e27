"""The device option and the GPU path, tested on the CPU: torchvision's decode_jpeg and the batched crop run
here too, so parity with Pillow's path, the per-file fallbacks, out-of-memory halving and the retry on the
CPU are all checked in CI. One test runs only where CUDA exists."""
import io
import logging

import numpy as np
import pytest
import torch
from PIL import Image

from visearch.indexer.batch_decode import decode_batch, device_decodable
from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec
from visearch.indexer.models.devices import DeviceUnavailableError, device_precision, parse_device, resolve_device
from visearch.indexer.pipeline import ImagePipeline, PipelineConfig
from visearch.indexer.records import Failure, SourceFile
from visearch.cli import main


@pytest.mark.parametrize("text, parsed", [("auto", ("auto", None)), ("CPU", ("cpu", None)), ("cuda", ("cuda", None)),
                                          ("cuda:3", ("cuda", 3)), ("", ("auto", None))])
def test_device_names(text, parsed):
    assert parse_device(text) == parsed


@pytest.mark.parametrize("text", ["gpu", "cuda:", "cuda:x", "mps", "cuda:1:2"])
def test_bad_device_names_say_what_is_accepted(text):
    with pytest.raises(ValueError, match="auto, cpu, cuda or cuda:N"):
        parse_device(text)


def test_precision_per_device():
    assert device_precision("auto", "cpu", cpu_bf16=False) == "fp32"
    assert device_precision("auto", "cpu", cpu_bf16=True) == "bf16"
    assert device_precision("bf16", "cpu", cpu_bf16=False) == "bf16"
    with pytest.raises(ValueError, match="fp16 needs a GPU"):
        device_precision("fp16", "cpu", cpu_bf16=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_a_clear_error_and_auto_is_the_cpu(monkeypatch, tmp_path, capsys):
    assert resolve_device("auto") == "cpu"
    with pytest.raises(DeviceUnavailableError, match="sees no GPU" if torch.version.cuda else "CPU-only"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.version, "cuda", None)
    with pytest.raises(DeviceUnavailableError, match="CPU-only build"):
        resolve_device("cuda:0")
    photo = tmp_path / "a.jpg"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(photo)
    assert main(["--library", str(tmp_path / "lib"), "index", str(photo), "--clip", "tiny", "--device", "cuda",
                 "--no-progress"]) == 2
    assert "--device cuda: this torch" in capsys.readouterr().err
    assert not (tmp_path / "lib" / "vectors.faiss").exists()


# -- batched decode, on the CPU


def _jpeg(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def test_only_plain_upright_jpegs_take_the_batched_path(fixture_set):
    photo = Image.open(next(fixture_set.catalog_dir.glob("*.jpg"))).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°
    png = io.BytesIO()
    photo.save(png, "PNG")
    assert device_decodable(_jpeg(photo))
    assert device_decodable(_jpeg(photo.convert("L")))
    assert not device_decodable(_jpeg(photo, exif=exif.tobytes()))
    assert not device_decodable(_jpeg(photo.convert("CMYK")))
    assert not device_decodable(png.getvalue())
    assert not device_decodable(b"\xff\xd8\xff garbage")


def test_batched_decode_matches_pillows_path_to_cosine_0999(fixture_set, tiny_encoder):
    paths = sorted(fixture_set.catalog_dir.glob("*.jpg"))[:6]
    decoded = decode_batch([p.read_bytes() for p in paths], "cpu", tiny_encoder.image_size)
    on_device = tiny_encoder.encode_pixels(torch.stack([d.crop for d in decoded]))
    pillow = tiny_encoder.encode_pixels(torch.stack([tiny_encoder.prepare(Image.open(p).convert("RGB"))
                                                     for p in paths]))
    assert np.min(np.sum(on_device * pillow, axis=1)) >= 0.999
    assert all(Image.open(io.BytesIO(d.thumbnail)).size[0] <= 256 for d in decoded)
    assert decoded[0].size == Image.open(paths[0]).size


def test_the_pipeline_falls_back_per_file_to_pillows_path(fixture_set, tiny_encoder, tmp_path):
    good = sorted(fixture_set.catalog_dir.glob("*.jpg"))[:3]
    photo = Image.open(good[0]).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 3
    odd = {"rotated.jpg": _jpeg(photo, exif=exif.tobytes()), "cmyk.jpg": _jpeg(photo.convert("CMYK")),
           "damaged.jpg": good[1].read_bytes()[:1500]}
    for name, data in odd.items():
        (tmp_path / name).write_bytes(data)
    paths = [good[0], tmp_path / "rotated.jpg", good[1], tmp_path / "cmyk.jpg", tmp_path / "damaged.jpg", good[2]]
    sources = [SourceFile(p, p.stat().st_size, 0) for p in paths]

    def run(on_device: bool):
        pipeline = ImagePipeline(tiny_encoder, config=PipelineConfig(batch_size=8, decode_on_device=on_device))
        return list(pipeline.run(sources))

    def by_path(results):
        return {str(r.path if isinstance(r, Failure) else r.source.path): r for r in results}

    batched, pillow = by_path(run(True)), by_path(run(False))
    assert sorted(batched) == sorted(map(str, paths)) and sorted(pillow) == sorted(batched)
    assert isinstance(batched[str(tmp_path / "damaged.jpg")], Failure)
    for path, a in batched.items():
        b = pillow[path]
        assert type(a) is type(b), path
        if not isinstance(a, Failure):
            assert float(a.embedding @ b.embedding) >= 0.999 and a.thumbnail and (a.width, a.height) == (b.width, b.height)


# -- the GPU's failures, simulated


def _encoder_failing_on_the_gpu(monkeypatch, error, limit: int):
    encoder = ClipEncoder(parse_clip_spec("tiny"))
    encoder.load()
    original = encoder._forward

    def forward(pixels, model, device):
        if device != "cpu" and len(pixels) > limit:
            raise error
        return original(pixels, model, "cpu")

    encoder.device = "cuda:0"  # as if on a GPU: the model stays where it is, the failures are simulated
    monkeypatch.setattr(encoder, "_forward", forward)
    return encoder


def _pixels(count: int, side: int):
    return torch.randint(0, 255, (count, 3, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))


def test_out_of_memory_halves_the_batch_and_goes_on(monkeypatch, tiny_encoder, caplog):
    encoder = _encoder_failing_on_the_gpu(monkeypatch, torch.OutOfMemoryError("CUDA out of memory. Tried to "
                                                                              "allocate 2.00 GiB"), limit=4)
    with caplog.at_level(logging.WARNING):
        vectors = encoder.encode_pixels(_pixels(16, encoder.image_size))
    assert encoder.batch_limit == 4 and "batches of 4" in caplog.text
    assert np.allclose(vectors, tiny_encoder.encode_pixels(_pixels(16, encoder.image_size)), atol=1e-5)


def test_a_gpu_error_retries_the_batch_on_the_cpu(monkeypatch, tiny_encoder, caplog):
    encoder = _encoder_failing_on_the_gpu(monkeypatch, RuntimeError("CUDA error: an illegal memory access"), limit=0)
    with caplog.at_level(logging.WARNING):
        vectors = encoder.encode_pixels(_pixels(6, encoder.image_size))
    assert "encoding them on the CPU" in caplog.text
    assert np.allclose(vectors, tiny_encoder.encode_pixels(_pixels(6, encoder.image_size)), atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_the_gpu_vectors_match_the_cpus(fixture_set, tiny_encoder):
    paths = sorted(fixture_set.catalog_dir.glob("*.jpg"))[:8]
    gpu = ClipEncoder(parse_clip_spec("tiny"), precision="auto", device="cuda:0")
    decoded = decode_batch([p.read_bytes() for p in paths], "cuda:0", gpu.image_size)
    on_gpu = gpu.encode_pixels(torch.stack([d.crop for d in decoded]))
    on_cpu = tiny_encoder.encode_images([Image.open(p).convert("RGB") for p in paths])
    assert np.min(np.sum(on_gpu * on_cpu, axis=1)) >= 0.999
