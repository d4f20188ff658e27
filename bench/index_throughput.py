"""Indexing throughput: the whole pipeline against the bare model, on the same images in one run.

    python bench/index_throughput.py [--images 512] [--clip ViT-B-32:random] [--ocr]

Bare: `encode_pixels` on tensors decoded and preprocessed beforehand (the
model's ceiling). Pipeline: files → read + hash → decode → preprocess → CLIP,
with the decode pool overlapping the encoder. The ratio is pipeline ÷ bare.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import phone_photos  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--clip", default="ViT-B-32:random", help="same compute as the pretrained model")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ocr", action="store_true", help="also measure the pipeline with OCR on")
    args = parser.parse_args()

    import logging

    import torch

    logging.getLogger().setLevel(logging.ERROR)  # "no pretrained weights": intended here

    from indexer.models.clip import ClipEncoder, parse_clip_spec
    from indexer.models.ocr import create_ocr
    from indexer.pipeline import ImagePipeline, PipelineConfig
    from indexer.records import SourceFile
    from indexer.images import open_image

    torch.set_num_threads(os.cpu_count() or 1)
    paths = phone_photos(args.images)
    print(f"{len(paths)} JPEGs 1024x768, {args.clip}, batch {args.batch_size}, {torch.get_num_threads()} torch threads")

    encoder = ClipEncoder(parse_clip_spec(args.clip))
    encoder.load()
    # Bare model on pre-decoded tensors; warmed up on a full batch, best of two passes.
    tensors = [encoder.preprocess(open_image(path)) for path in paths]
    encoder.encode_pixels(torch.stack(tensors[: args.batch_size]))

    def bare_rate() -> float:
        started = time.perf_counter()
        for start in range(0, len(tensors), args.batch_size):
            encoder.encode_pixels(torch.stack(tensors[start : start + args.batch_size]))
        return len(tensors) / (time.perf_counter() - started)

    bare = max(bare_rate(), bare_rate())

    def pipeline_rate(ocr) -> tuple[float, object]:
        pipeline = ImagePipeline(encoder, ocr, PipelineConfig(batch_size=args.batch_size, workers=args.workers))
        started = time.perf_counter()
        count = sum(1 for _ in pipeline.run(SourceFile.from_path(p) for p in paths))
        return count / (time.perf_counter() - started), pipeline.times

    rate, times = pipeline_rate(None)
    bare = max(bare, bare_rate())  # once more after the pipeline, so order cannot favour either
    del tensors
    print(f"bare encode_image         {bare:7.1f} img/s")
    print(f"pipeline (OCR off)        {rate:7.1f} img/s   ratio {rate / bare:.3f}")
    print(f"  stage seconds: read {times.read:.2f}  decode+preprocess {times.decode:.2f}  encode {times.encode:.2f}")
    if args.ocr:
        ocr = create_ocr("rapidocr", threads=1)
        ocr.load()
        rate, times = pipeline_rate(ocr)
        print(f"pipeline (OCR on)         {rate:7.1f} img/s   ratio {rate / bare:.3f}")
        print(f"  stage seconds: decode {times.decode:.2f}  ocr {times.ocr:.2f} (worker threads)  encode {times.encode:.2f}")


if __name__ == "__main__":
    main()
