"""The `visearch` command line. Only this layer (and the web app) turns errors into exit codes."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from indexer.errors import ModelUnavailableError, VisearchError

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.handler(args)
    except ModelUnavailableError as exc:
        print(f"visearch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (VisearchError, ValueError, OSError) as exc:
        print(f"visearch: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("visearch: interrupted; finished items were saved", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    from search.library import default_library_path

    parser = argparse.ArgumentParser(prog="visearch", description="Visual search over your images: lens, text, OCR.")
    parser.add_argument(
        "--library", type=Path, default=None,
        help=f"library folder (default: $VISEARCH_LIBRARY or ./{default_library_path()})",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = commands.add_parser("index", help="index images in files and folders (recursively)")
    index.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    index.add_argument("--catalog", type=Path, help="product catalogue, .csv or .jsonl")
    index.add_argument("--clip", help="CLIP encoder NAME:PRETRAINED, NAME:random or tiny (default: the library's, "
                       "or ViT-B-32:laion2b_s34b_b79k for a new library)")
    index.add_argument("--clip-weights", type=Path, help="local CLIP checkpoint file or folder")
    index.add_argument("--ocr", default="rapidocr", help="rapidocr (default), paddleocr[:LANG] or off")
    index.add_argument("--prune", action="store_true", help="remove items whose files have disappeared")
    index.add_argument("--strict", action="store_true", help="exit non-zero if any file failed")
    index.add_argument("--batch-size", type=int, default=16)
    index.add_argument("--workers", type=int, default=2, help="decode/OCR threads")
    index.add_argument("--json", action="store_true", help="print the run summary as JSON")
    index.add_argument("--no-progress", action="store_true")
    index.set_defaults(handler=cmd_index)

    search = commands.add_parser("search", help="search by photo (lens) or by text")
    what = search.add_mutually_exclusive_group(required=True)
    what.add_argument("--image", type=Path, help="query photo")
    what.add_argument("--text", help="query text")
    search.add_argument("--box", help="x0,y0,x1,y1: search only this region of the photo (pixels)")
    search.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    search.add_argument("--ocr", default=None, help="OCR for the query photo (default: the library's)")
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=cmd_search)

    stats = commands.add_parser("stats", help="counts, encoder and backend of the library")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

    errors = commands.add_parser("errors", help="files that failed to index, and why")
    errors.add_argument("--json", action="store_true")
    errors.set_defaults(handler=cmd_errors)

    demo = commands.add_parser("demo", help="generate the fixture catalogue, index it and run sample searches")
    demo.add_argument("--out", type=Path, default=Path("fixtures/out"), help="where to write the fixtures")
    demo.set_defaults(handler=cmd_demo)
    return parser


def _library_path(args) -> Path:
    from search.library import default_library_path

    return args.library or default_library_path()


# -- index


def cmd_index(args) -> int:
    from indexer.models.clip import DEFAULT_CLIP, ClipEncoder, parse_clip_spec
    from indexer.models.ocr import create_ocr
    from search.ingest import IndexOptions, LibraryIndexer
    from search.library import Library

    _limit_threads()
    with Library.open(_library_path(args), create=True) as library:
        clip = args.clip or library.manifest.clip or DEFAULT_CLIP
        weights = args.clip_weights or (library.manifest.clip_weights if not args.clip else None) or None
        encoder = ClipEncoder(parse_clip_spec(clip, weights))
        library.check_encoder(encoder.identity)
        encoder.load()  # a missing checkpoint fails here, before any file is touched
        ocr = create_ocr(args.ocr, threads=1)
        options = IndexOptions(
            catalog=args.catalog, prune=args.prune, batch_size=args.batch_size, workers=args.workers,
            progress=not args.no_progress and sys.stderr.isatty(),
        )
        report = LibraryIndexer(library, encoder, ocr, options).run(args.paths)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _print_report(report)
    return EXIT_FAILURES if args.strict and report.failed else EXIT_OK


def _print_report(report) -> None:
    parts = [f"{report.indexed} indexed", f"{report.unchanged} unchanged", f"{len(report.failed)} failed"]
    if report.moved:
        parts.append(f"{report.moved} moved")
    if report.copied:
        parts.append(f"{report.copied} duplicates reused")
    if report.pruned:
        parts.append(f"{report.pruned} pruned")
    if report.products:
        parts.append(f"{report.products} products")
    print(", ".join(parts) + f" in {report.seconds:.1f} s")
    if report.skipped_videos:
        print(f"{report.skipped_videos} video files skipped: video indexing is not in this version yet")
    for failure in report.failed:
        print(f"  failed: {failure.path}: {failure.reason}")
    if report.failed:
        print("(`visearch errors` lists them again)")


def _limit_threads() -> None:
    """Leave cores to the decode workers instead of letting every library grab them all."""
    import torch

    torch.set_num_threads(int(os.environ.get("VISEARCH_TORCH_THREADS", os.cpu_count() or 1)))


# -- search


def open_engine(library_path: Path, ocr_name: str | None = None):
    from indexer.models.ocr import create_ocr
    from search.engine import SearchEngine, encoder_for
    from search.library import Library

    library = Library.open(library_path, read_only=True)
    ocr = create_ocr(ocr_name or library.manifest.ocr or "rapidocr")
    return SearchEngine(library, encoder_for(library), ocr)


def parse_box(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--box must be x0,y0,x1,y1 in pixels, got {text!r}") from None
    if len(values) != 4 or values[2] <= values[0] or values[3] <= values[1]:
        raise ValueError(f"--box must be x0,y0,x1,y1 with x1 > x0 and y1 > y0, got {text!r}")
    return values  # type: ignore[return-value]


def cmd_search(args) -> int:
    from indexer.images import open_image

    box = parse_box(args.box) if args.box else None
    if box and not args.image:
        raise ValueError("--box applies to --image")
    engine = open_engine(_library_path(args), args.ocr)
    try:
        if args.image:
            response = engine.search_image(open_image(args.image.expanduser()), box=box, k=args.k)
        else:
            response = engine.search_text(args.text, k=args.k)
    finally:
        engine.library.close()
    if args.json:
        print(json.dumps(response.to_json(), indent=2, ensure_ascii=False))
        return EXIT_OK
    for notice in response.notices:
        print(f"note: {notice}")
    if not response.results:
        print("no results")
    for rank, result in enumerate(response.results, 1):
        print(_result_line(rank, result))
    return EXIT_OK


def _result_line(rank: int, result) -> str:
    why = []
    if result.evidence.vector_rank is not None:
        why.append(f"visual {result.evidence.vector_score:.3f}")
    if result.evidence.text_terms:
        why.append("text: " + ", ".join(result.evidence.text_terms))
    product = ""
    if result.product is not None:
        p = result.product
        price = f" {p.price:.2f} {p.currency}".rstrip() if p.price is not None else ""
        product = f"  [{p.sku}] {p.brand} {p.title}{price}".rstrip()
    return f"{rank:>3}. {result.score:.3f}  {result.path}{product}  ({'; '.join(why)})"


# -- stats and errors


def cmd_stats(args) -> int:
    from search.library import Library

    with Library.open(_library_path(args), read_only=True) as library:
        counts = library.docs.counts()
        manifest = library.manifest
        vectors = len(library.vectors) if manifest.dim else 0
        stats = {
            **counts,
            "vectors": vectors,
            "encoder": manifest.encoder,
            "clip": manifest.clip,
            "semantic": manifest.semantic,
            "dim": manifest.dim,
            "ocr": manifest.ocr,
            "backend": manifest.backend,
            "vector_index": manifest.vector_index,
            "schema_version": manifest.schema_version,
            "library": str(library.root.absolute()),
        }
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        width = max(map(len, stats))
        for key, value in stats.items():
            print(f"{key:<{width}}  {value}")
    return EXIT_OK


def cmd_errors(args) -> int:
    from search.library import Library

    with Library.open(_library_path(args), read_only=True) as library:
        failures = library.docs.failures()
    if args.json:
        print(json.dumps([{"path": str(f.path), "reason": f.reason} for f in failures], indent=2))
    elif not failures:
        print("no failed files")
    else:
        for failure in failures:
            print(f"{failure.path}: {failure.reason}")
    return EXIT_OK


# -- demo


def cmd_demo(args) -> int:
    """Offline-friendly tour: falls back to the tiny encoder when the default weights are absent."""
    from fixtures.generate import generate
    from indexer.models.clip import DEFAULT_CLIP, ClipEncoder, parse_clip_spec, resolve_checkpoint

    out = generate(args.out)
    library = _library_path(args)
    clip = DEFAULT_CLIP
    try:
        resolve_checkpoint(parse_clip_spec(DEFAULT_CLIP))
    except ModelUnavailableError as exc:
        print(f"demo: the default CLIP model is not available here:\n{exc}\n")
        print("demo: continuing with the 'tiny' encoder: semantic text-to-image search is OFF; "
              "OCR, catalogue and near-duplicate search work.\n")
        clip = "tiny"
    code = main(["--library", str(library), "index", str(out.catalog_dir), "--catalog", str(out.catalog_csv),
                 "--clip", clip])
    if code:
        return code
    print("\n$ visearch search --text 'AX-2040'")
    main(["--library", str(library), "search", "--text", "AX-2040", "-k", "3"])
    photo = out.photos[0]
    print(f"\n$ visearch search --image {photo}")
    return main(["--library", str(library), "search", "--image", str(photo), "-k", "3"])


if __name__ == "__main__":
    sys.exit(main())
