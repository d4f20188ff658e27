"""`visearch index`: files and folders into the library."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from visearch.defaults import DEFAULT_OCR
from visearch.cli.common import EXIT_FAILURES, EXIT_OK


def register(commands) -> None:
    index = commands.add_parser("index", help="index images in files and folders (recursively)")
    index.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    index.add_argument("--reocr", nargs="?", const="stale", choices=("stale", "all"),
                       help="read the text of what is indexed again, keeping vectors, faces and keypoints: the items "
                            "another OCR read (default), or all")
    index.add_argument("--catalog", type=Path, help="product catalogue, .csv or .jsonl")
    index.add_argument("--clip", help="CLIP encoder NAME:PRETRAINED, NAME:random or tiny (default: the library's, "
                       "or ViT-B-32:laion2b_s34b_b79k for a new library)")
    index.add_argument("--clip-weights", type=Path, help="local CLIP checkpoint file or folder")
    index.add_argument("--precision", choices=("auto", "fp32", "bf16", "fp16"), default="auto",
                       help="image tower precision: on a CPU bf16 where native (auto, default), else fp32; "
                            "on a GPU bf16 (or fp16 where bf16 is missing)")
    index.add_argument("--device", help="where CLIP runs: auto (CUDA when torch sees a GPU, default), cpu, "
                                        "cuda or cuda:N ($VISEARCH_DEVICE)")
    index.add_argument("--ocr", default=None,
                       help=f"the library's own (default; {DEFAULT_OCR} for a new library), faster-paddle:small, "
                            "rapidocr (PP-OCRv4), rapidocr:v5, paddleocr[:LANG] or off")
    index.add_argument("--faces", default=None, help="dlib (default), insightface or off")
    index.add_argument("--local-features", choices=("on", "off"), default="on",
                       help="RootSIFT keypoints for exact-product verification in the lens (default on)")
    index.add_argument("--sample-rate", type=float, default=1.0, help="video frames sampled per second (default 1)")
    index.add_argument("--ocr-frames", choices=("changes", "keyframes", "all"), default="changes",
                       help="video text: read each shot's first sample, then only where the picture changed "
                            "(changes, default); each shot's first sample only (keyframes); every sample (all)")
    index.add_argument("--shard", help="I/N: index only this worker's deterministic 1/N of the files "
                       "(vectors go to a shard file; see `merge-vectors`)")
    index.add_argument("--vectors-template", type=Path,
                       help="start a new vector file from this trained IVF-PQ index (`train-vectors`)")
    index.add_argument("--prune", action="store_true", help="remove items whose files have disappeared")
    index.add_argument("--strict", action="store_true", help="exit non-zero if any file failed")
    index.add_argument("--batch-size", type=int, default=0, help="images per CLIP batch (default 16; 256 on a GPU)")
    index.add_argument("--workers", type=int, default=0, help="decode/OCR threads (default: the usable cores)")
    index.add_argument("--json", action="store_true", help="print the run summary as JSON")
    index.add_argument("--no-progress", action="store_true")
    index.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="if another process is writing to the library, wait this long for it (default: refuse)")
    index.set_defaults(handler=cmd_index)


def cmd_index(args) -> int:
    from visearch.app.indexing import IndexRequest, index

    if args.reocr:
        return _reocr(args)
    if not args.paths:
        raise ValueError("give the files or folders to index (or --reocr to read indexed text again)")

    request = IndexRequest(
        paths=args.paths, catalog=args.catalog, clip=args.clip, clip_weights=args.clip_weights,
        precision=args.precision, ocr=args.ocr, faces=args.faces, local_features=args.local_features == "on",
        sample_rate=args.sample_rate, ocr_frames=args.ocr_frames, shard=args.shard,
        vectors_template=args.vectors_template, prune=args.prune, batch_size=args.batch_size, workers=args.workers,
        wait=args.wait, progress=not args.no_progress and sys.stderr.isatty(), backend=args.backend,
        es_vectors=args.es_vectors,
    )
    report = index(args.settings, request)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print_report(report)
    return EXIT_FAILURES if args.strict and report.failed else EXIT_OK


def _reocr(args) -> int:
    from visearch.app.indexing import reocr

    if args.paths:
        raise ValueError("--reocr reads what the library holds: give no paths")
    report = reocr(args.settings, ocr_name=args.ocr, everything=args.reocr == "all", wait=args.wait)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"text read again: {report.images} photos and {report.frames} video frames; "
          f"{report.unchanged} items were already read by {args.ocr or DEFAULT_OCR}")
    for line in report.unreadable:
        print(f"  could not read {line}")
    for notice in report.notices:
        print(f"note: {notice}")
    return EXIT_OK


def print_report(report) -> None:
    indexed = f"{report.indexed} images" + (f" and {report.videos} videos" if report.videos else "") + " indexed"
    parts = [indexed, f"{report.unchanged} unchanged", f"{len(report.failed)} failed"]
    if report.moved:
        parts.append(f"{report.moved} moved")
    if report.copied:
        parts.append(f"{report.copied} duplicates reused")
    if report.pruned:
        parts.append(f"{report.pruned} pruned")
    if report.products:
        parts.append(f"{report.products} products")
    print(", ".join(parts) + f" in {report.seconds:.1f} s")
    if report.videos:
        print(f"videos: {report.frames} frames sampled, {report.faces} faces found in them")
    if report.people and (report.people.new_people or report.people.joined or report.people.unassigned):
        print(report.people.summary())
    if report.tags:
        print("tags: " + ", ".join(f"{name} {count} new moments" for name, count in report.tags.items()))
    for failure in report.failed:
        print(f"  failed: {failure.path}: {failure.reason}")
    if report.failed:
        print("(`visearch errors` lists them again)")
    for notice in report.notices:
        print(f"note: {notice}")
