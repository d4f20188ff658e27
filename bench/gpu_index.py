"""Indexing speed on the device a machine has, against the ceilings measured in the same run.

    python bench/gpu_index.py                       # 4096 images, ViT-B-32 and ViT-L-14, on CUDA if present
    python bench/gpu_index.py --images 256 --arch tiny --device cpu    # the same path on a CPU (a smoke run)

Writes N generated 1024×768 photo-like JPEGs (~120 KB, the issue's size), then, in one run:
  * ceilings: Pillow decode + CLIP preprocess in a process per usable core; batched device decode +
    crop (indexer/batch_decode.py: nvjpeg on CUDA); the bare image tower on device batches of 512;
  * `visearch index` through app/indexing.py with OCR, faces and local features off, per arch,
    and once with OCR on (the CPU models overlap the GPU);
  * each figure's ratio to its ceilings, and to the issue's reference table (an H200, 16 cores: the
    DataLoader pipeline 702 img/s, nvjpeg decode 5,653 img/s).
Weights are random (the same compute as trained ones): no download is needed.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENCE = {"dataloader": 702.0, "nvjpeg": 5653.0, "ViT-B-32 goal": 5000.0, "ViT-L-14 goal": 1300.0}


def make_photos(folder: Path, count: int) -> list[Path]:
    """Photo-like JPEGs: smooth gradients, shapes and grain (about 120 KB at quality 85)."""
    from PIL import Image, ImageDraw, ImageFilter

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for number in range(count):
        rows = np.linspace(0, 1, 768)[:, None, None]
        base = rng.integers(0, 255, 3) * (1 - rows) + rng.integers(0, 255, 3) * rows
        pixels = np.clip(base + rng.normal(0, 14, (768, 1024, 3)), 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels)
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y = rng.integers(0, 1024), rng.integers(0, 768)
            draw.ellipse((x, y, x + rng.integers(30, 300), y + rng.integers(30, 300)), fill=tuple(rng.integers(0, 255, 3)))
        path = folder / f"photo-{number:06d}.jpg"
        image.filter(ImageFilter.GaussianBlur(0.6)).save(path, quality=85)
        paths.append(path)
    return paths


def _pillow_one(args) -> int:
    path, side = args
    from PIL import Image

    from visearch.indexer.models.clip import centre_crop, shortest_side_resize

    with Image.open(path) as image:
        image.draft("RGB", (side, side))
        centre_crop(shortest_side_resize(image.convert("RGB"), side), side)
    return 1


def pillow_ceiling(paths: list[Path], side: int, cores: int) -> float:
    started = time.perf_counter()
    with ProcessPoolExecutor(cores) as pool:
        done = sum(pool.map(_pillow_one, [(p, side) for p in paths], chunksize=32))
    return done / (time.perf_counter() - started)


def device_decode_ceiling(paths: list[Path], device: str, side: int, batch: int = 256) -> float:
    from visearch.indexer.batch_decode import decode_batch

    datas = [p.read_bytes() for p in paths]
    decode_batch(datas[:8], device, side)  # warm-up
    _sync(device)
    started = time.perf_counter()
    for start in range(0, len(datas), batch):
        decode_batch(datas[start : start + batch], device, side)
    _sync(device)
    return len(datas) / (time.perf_counter() - started)


def model_ceiling(arch: str, device: str, batch: int = 512, rounds: int = 6) -> float:
    import torch

    from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec

    encoder = ClipEncoder(parse_clip_spec(_spec(arch)), precision="auto", device=device)
    encoder.load()
    batch = batch if device != "cpu" else 32
    pixels = torch.randint(0, 255, (batch, 3, encoder.image_size, encoder.image_size), dtype=torch.uint8)
    pixels = pixels.to(device)
    encoder.encode_pixels(pixels)
    _sync(device)
    started = time.perf_counter()
    for _ in range(rounds):
        encoder.encode_pixels(pixels)
    _sync(device)
    return rounds * batch / (time.perf_counter() - started)


def pipeline(folder: Path, library: Path, arch: str, device: str, ocr: bool) -> tuple[float, float]:
    """(img/s of the indexing run, img/s of the whole process including model load)."""
    from visearch.app.indexing import IndexRequest, index
    from visearch.app.settings import Settings

    settings = Settings.from_env().with_options(library=library, device=device)
    started = time.perf_counter()
    report = index(settings, IndexRequest(paths=[folder], clip=_spec(arch), ocr="faster-paddle:tiny" if ocr else "off",
                                          faces="off", local_features=False, progress=False))
    whole = time.perf_counter() - started
    return report.indexed / max(report.seconds, 1e-9), report.indexed / whole


def _spec(arch: str) -> str:
    return "tiny" if arch == "tiny" else f"{arch}:random"


def _sync(device: str) -> None:
    from visearch.indexer.models.devices import is_gpu

    if is_gpu(device):
        import torch

        torch.cuda.synchronize(device)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--arch", action="append", help="ViT-B-32 and ViT-L-14 by default; tiny for a smoke run")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-ocr", action="store_true", help="skip the run with OCR on")
    args = parser.parse_args()

    import torch

    from visearch.app.engines import INDEX, device_for
    from visearch.app.settings import Settings, usable_cores

    device = device_for(Settings.from_env().with_options(device=args.device), INDEX)  # as `visearch index` picks
    cores = usable_cores()
    name = torch.cuda.get_device_name(device) if device != "cpu" else "no GPU: the CPU"
    print(f"device {device} ({name}), {cores} usable cores, torch {torch.__version__}, {args.images} images 1024x768")
    work = Path(tempfile.mkdtemp(prefix="visearch-gpu-"))
    try:
        paths = make_photos(work / "photos", args.images)
        print(f"  photos: mean {np.mean([p.stat().st_size for p in paths]) / 1024:.0f} KB")
        pillow = pillow_ceiling(paths, 224, cores)
        decode = device_decode_ceiling(paths, device, 224)
        print(f"ceilings: Pillow decode + preprocess, {cores} processes {pillow:,.0f} img/s; batched device decode "
              f"{decode:,.0f} img/s (issue's H200: nvjpeg {REFERENCE['nvjpeg']:,.0f})")
        for arch in args.arch or ["ViT-B-32", "ViT-L-14"]:
            bare = model_ceiling(arch, device)
            rate, whole = pipeline(work / "photos", work / f"lib-{arch}", arch, device, ocr=False)
            bound = min(bare, max(decode, pillow))
            print(f"{arch}: bare tower {bare:,.0f} img/s; `visearch index` {rate:,.0f} img/s "
                  f"({rate / bound:.2f} of min(tower, decode)); whole process with model load {whole:,.0f} img/s "
                  f"({whole / rate:.2f} of the run)")
            goal = REFERENCE.get(f"{arch} goal")
            print(f"  against the issue: {rate / REFERENCE['dataloader']:.1f}x the DataLoader pipeline (702 img/s), "
                  f"{rate / REFERENCE['nvjpeg']:.2f} of the nvjpeg ceiling"
                  + (f"; goal {goal:,.0f} img/s: {'met' if rate >= goal else 'NOT met'}" if goal else ""))
            if not args.no_ocr and arch == (args.arch or ["ViT-B-32"])[0]:
                with_ocr, _ = pipeline(work / "photos", work / f"lib-{arch}-ocr", arch, device, ocr=True)
                print(f"  with OCR on (faster-paddle:tiny on the CPU, overlapping the device): {with_ocr:,.0f} img/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
