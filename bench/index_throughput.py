"""Indexing throughput: the whole pipeline against the bare model, on the same images in one run.

    python bench/index_throughput.py [--images 1000] [--clip ViT-B-32:random] [--ocr-images 200]

- bare fp32 / bare bf16: `encode_pixels` on tensors decoded and preprocessed
  beforehand — the model's ceiling at each precision;
- pipeline: files → read + hash → decode → preprocess → CLIP (precision
  `auto`), the decode pool overlapping the encoder; OCR off, then on (on the
  first --ocr-images files: OCR costs ~0.3 s an image);
- whole process: `visearch index` in a fresh process on the same files, model
  load and start-up included, faces, OCR and local features off.
The ratios are against bare bf16 (or fp32 where the CPU lacks native bf16), and against the
two-core ceiling: decoding and the model share the CPU, so no pipeline beats
1 / (model seconds per image + decode CPU seconds per image / cores), both measured here.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import phone_photos  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--clip", default="ViT-B-32:random", help="same compute as the pretrained model")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ocr-images", type=int, default=200, help="0 skips the OCR-on pipeline")
    parser.add_argument("--ocr", default=None, help="OCR engine (default: visearch's default)")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # "no pretrained weights": intended here

    import torch

    from visearch.indexer.images import open_image
    from visearch.indexer.models.clip import ClipEncoder, parse_clip_spec, resolve_precision
    from visearch.defaults import DEFAULT_OCR
    from visearch.indexer.models.ocr import create_ocr
    from visearch.indexer.pipeline import ImagePipeline, PipelineConfig
    from visearch.indexer.records import SourceFile

    torch.set_num_threads(os.cpu_count() or 1)
    paths = phone_photos(args.images)
    precision = resolve_precision("auto")
    print(f"{len(paths)} JPEGs 1024x768, {args.clip}, batch {args.batch_size}, {torch.get_num_threads()} torch "
          f"threads, auto precision = {precision}")

    encoders = {p: ClipEncoder(parse_clip_spec(args.clip), precision=p) for p in ("fp32", "bf16")}
    tensors = [encoders["fp32"].prepare(open_image(path)) for path in paths]

    def bare_rate(encoder) -> float:
        encoder.encode_pixels(torch.stack(tensors[: args.batch_size]))  # warm-up on a full batch
        started = time.perf_counter()
        for start in range(0, len(tensors), args.batch_size):
            encoder.encode_pixels(torch.stack(tensors[start : start + args.batch_size]))
        return len(tensors) / (time.perf_counter() - started)

    bare = {p: bare_rate(encoder) for p, encoder in encoders.items()}
    tensors.clear()  # free the pre-decoded batch before the pipelines run
    reference = bare[precision]
    encoder = encoders[precision]

    def pipeline_rate(files, ocr, using=None) -> tuple[float, object]:
        pipeline = ImagePipeline(using or encoder, ocr,
                                 PipelineConfig(batch_size=args.batch_size, workers=args.workers))
        started = time.perf_counter()
        count = sum(1 for _ in pipeline.run(SourceFile.from_path(p) for p in files))
        return count / (time.perf_counter() - started), pipeline.times

    rate32, _ = pipeline_rate(paths, None, encoders["fp32"])
    rate, times = pipeline_rate(paths, None)
    print(f"bare encode_image fp32        {bare['fp32']:7.1f} img/s")
    print(f"pipeline, OCR off (fp32)      {rate32:7.1f} img/s   ratio to bare fp32 {rate32 / bare['fp32']:.3f}")
    print(f"bare encode_image bf16        {bare['bf16']:7.1f} img/s")
    print(f"pipeline, OCR off ({precision})    {rate:7.1f} img/s   ratio to bare {precision} {rate / reference:.3f}")
    print(f"  stage CPU seconds: read+hash {times.read:.2f}  decode+preprocess+thumbnail {times.decode:.2f}  "
          f"encode {times.encode:.2f}")
    decode = decode_cpu_per_image(paths[:200], encoder)
    cores = os.cpu_count() or 1
    ceiling = 1 / (1 / reference + decode / cores)
    print(f"ceiling on {cores} cores          {ceiling:7.1f} img/s   (model {1000 / reference:.1f} ms/img + decode "
          f"{decode * 1000:.1f} ms CPU/img / {cores}); pipeline/ceiling {rate / ceiling:.3f} (goal >= 0.9)")

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "visearch", "--library", folder, "index", str(paths[0].parent), "--clip", args.clip,
             "--ocr", "off", "--faces", "off", "--local-features", "off", "--no-progress", "--json",
             "--batch-size", str(args.batch_size)],
            capture_output=True, text=True, env=dict(os.environ, HF_HUB_OFFLINE="1"),
        )
        wall = time.perf_counter() - started
        indexed = json.loads(done.stdout)["indexed"] if done.returncode == 0 else 0
    print(f"whole process `visearch index` {indexed / wall:6.1f} img/s   ratio {indexed / wall / reference:.3f}  "
          f"({indexed} images in {wall:.1f} s, start-up and model load included)")

    if args.ocr_images:
        # The engine's own detector size, and the short side enlarged to ≥ 736 px (every engine's before).
        for detector, options in (("default", {}), ("min736", {"detect_limit": "min", "detect_side": 736})):
            for threads, workers in ((1, 2), (2, 1)):
                ocr = create_ocr(args.ocr or DEFAULT_OCR, threads=threads, **options)
                ocr.load()
                pipeline = ImagePipeline(encoder, ocr, PipelineConfig(batch_size=args.batch_size, workers=workers))
                files = paths[: args.ocr_images]
                started = time.perf_counter()
                count = sum(1 for _ in pipeline.run(SourceFile.from_path(p) for p in files))
                rate = count / (time.perf_counter() - started)
                print(f"pipeline, OCR on, detector {detector} ({workers} workers x {threads} onnx threads) "
                      f"{rate:6.1f} img/s   ratio {rate / reference:.3f}  (OCR CPU "
                      f"{pipeline.times.ocr / count * 1000:.0f} ms/img)")


def decode_cpu_per_image(paths, encoder) -> float:
    """CPU seconds per image of the pipeline's per-file work before CLIP (read, hash, decode at draft size,
    resample, tensor, thumbnail), on one thread."""
    import hashlib

    import torch

    from visearch.indexer.images import make_thumbnail, open_image

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    started = time.process_time()
    for path in paths:
        data = path.read_bytes()
        hashlib.sha256(data).hexdigest()
        image = open_image(path, data, draft_size=encoder.image_size)
        small = encoder.resize_for_model(image)
        encoder.prepare(small)
        make_thumbnail(small if max(small.size) >= 256 else image, 256)
    torch.set_num_threads(threads)
    return (time.process_time() - started) / len(paths)


if __name__ == "__main__":
    main()
