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
    index.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                       help="image tower precision: bf16 where the CPU has it natively (auto, default), else fp32")
    index.add_argument("--ocr", default="rapidocr", help="rapidocr (default), paddleocr[:LANG] or off")
    index.add_argument("--faces", default=None, help="dlib (default), insightface or off")
    index.add_argument("--local-features", choices=("on", "off"), default="on",
                       help="RootSIFT keypoints for exact-product verification in the lens (default on)")
    index.add_argument("--sample-rate", type=float, default=1.0, help="video frames sampled per second (default 1)")
    index.add_argument("--ocr-frames", choices=("keyframes", "all"), default="keyframes",
                       help="OCR each shot's first sample (default) or every sampled frame")
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

    people = commands.add_parser("people", help="list, name, merge, enroll and forget people")
    people_commands = people.add_subparsers(dest="people_command", required=True, metavar="ACTION")
    listing = people_commands.add_parser("list", help="people with their counts")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--all", action="store_true", help="include hidden people")
    naming = people_commands.add_parser("name", help="name a person")
    naming.add_argument("person")
    naming.add_argument("name")
    merging = people_commands.add_parser("merge", help="merge the second person into the first")
    merging.add_argument("keep")
    merging.add_argument("other")
    enrolling = people_commands.add_parser("enroll", help="create or label a person from reference photos")
    enrolling.add_argument("name")
    enrolling.add_argument("photos", nargs="+", type=Path)
    forgetting = people_commands.add_parser("forget", help="delete a person and their face data for good")
    forgetting.add_argument("person")
    for action in ("hide", "unhide"):
        hiding = people_commands.add_parser(action, help=f"{action} a person in listings")
        hiding.add_argument("person")
    people.set_defaults(handler=cmd_people)

    clips = commands.add_parser("clips", help="all clips of a person: time spans in every video")
    who = clips.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", help="a person's name or id")
    who.add_argument("--face", type=Path, help="a photo of the person's face")
    clips.add_argument("--gap", type=float, default=2.0, help="merge spans closer than this (seconds, default 2)")
    clips.add_argument("--json", action="store_true")
    clips.add_argument("--export", type=Path, metavar="DIR", help="cut each clip to its own file")
    clips.add_argument("--compile", type=Path, metavar="FILE", help="join the clips into one reel")
    clips.add_argument("--fast", action="store_true", help="cut at keyframes (stream copy) instead of frame-exact")
    clips.set_defaults(handler=cmd_clips)

    serve = commands.add_parser("serve", help="the web UI and JSON API (waitress)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, default=4)
    serve.add_argument("--token", help="write token (default: $VISEARCH_TOKEN, or a new one off loopback)")
    serve.set_defaults(handler=cmd_serve)

    demo = commands.add_parser("demo", help="generate the fixture catalogue, index it and run sample searches")
    demo.add_argument("--out", type=Path, default=Path("fixtures/out"), help="where to write the fixtures")
    demo.add_argument("--no-serve", action="store_true", help="stop after the sample searches")
    demo.add_argument("--port", type=int, default=5000)
    demo.set_defaults(handler=cmd_demo)
    return parser


def _library_path(args) -> Path:
    from search.library import default_library_path

    return args.library or default_library_path()


# -- index


def cmd_index(args) -> int:
    from indexer.models.clip import DEFAULT_CLIP, ClipEncoder, parse_clip_spec
    from indexer.models.faces import create_faces
    from indexer.models.ocr import create_ocr
    from indexer.video import SamplingConfig
    from indexer.video_pipeline import VideoConfig
    from search.ingest import IndexOptions, LibraryIndexer
    from search.library import Library

    _limit_threads()
    with Library.open(_library_path(args), create=True) as library:
        clip = args.clip or library.manifest.clip or DEFAULT_CLIP
        weights = args.clip_weights or (library.manifest.clip_weights if not args.clip else None) or None
        encoder = ClipEncoder(parse_clip_spec(clip, weights), precision=args.precision)
        library.check_encoder(encoder.identity)
        encoder.load()  # a missing checkpoint fails here, before any file is touched
        ocr = create_ocr(args.ocr, threads=1)
        faces = create_faces(args.faces or library.manifest.faces or "dlib")
        if faces is not None:
            library.check_faces(faces.identity)
        options = IndexOptions(
            catalog=args.catalog, prune=args.prune, batch_size=args.batch_size, workers=args.workers,
            progress=not args.no_progress and sys.stderr.isatty(),
            video=VideoConfig(sampling=SamplingConfig(rate=args.sample_rate), ocr_every_frame=args.ocr_frames == "all"),
        )
        from indexer.local_features import RootSift

        extractor = RootSift() if args.local_features == "on" else None
        report = LibraryIndexer(library, encoder, ocr, options, faces=faces, local_features=extractor).run(args.paths)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _print_report(report)
    return EXIT_FAILURES if args.strict and report.failed else EXIT_OK


def _print_report(report) -> None:
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
        p = report.people
        print(f"people: {p.new_people} new, {p.joined} faces/tracks joined known people, "
              f"{p.unassigned} without a person")
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
    where = f"{result.path} @ {_timecode(result.time)}" if result.kind == "frame" else result.path
    return f"{rank:>3}. {result.score:.3f}  {where}{product}  ({'; '.join(why)})"


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
            "precision": manifest.precision,
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


# -- people and clips


def _people(library):
    from indexer.models.faces import FACE_BACKENDS
    from search.people import PeopleIndex

    backend = FACE_BACKENDS[library.manifest.faces or "dlib"]
    return PeopleIndex(library.faces, backend.metric, backend.same_person)


def _largest_face_embedding(library, photo: Path):
    from indexer.images import open_image
    from indexer.models.faces import create_faces

    model = create_faces(library.manifest.faces or "dlib")
    faces = model.detect(open_image(photo.expanduser()))
    if not faces:
        raise ValueError(f"{photo}: no face found")
    return faces[0].embedding


def cmd_people(args) -> int:
    from search.library import Library

    with Library.open(_library_path(args)) as library:
        people = _people(library)
        action = args.people_command
        if action == "list":
            rows = [row for row in library.faces.people() if args.all or not row.hidden]
            if args.json:
                print(json.dumps([_person_json(row) for row in rows], indent=2))
            elif not rows:
                print("no people yet (index photos or videos with faces, or `visearch people enroll`)")
            for row in rows if not args.json else []:
                hidden = "  (hidden)" if row.hidden else ""
                print(f"{row.id:>5}  {row.name or 'unnamed':<24} {row.faces:>5} faces  {row.photos:>4} photos  "
                      f"{row.videos:>3} videos  {row.tracks:>4} tracks{hidden}")
            return EXIT_OK
        if action == "name":
            person = people.resolve(args.person)
            library.faces.rename(person, args.name)
            print(f"person {person} is now '{args.name}'")
        elif action == "merge":
            keep, other = people.resolve(args.keep), people.resolve(args.other)
            if keep == other:
                raise ValueError("cannot merge a person into themselves")
            library.faces.merge(keep, other)
            print(f"merged person {other} into {keep}")
        elif action == "enroll":
            embeddings = [_largest_face_embedding(library, photo) for photo in args.photos]
            person = people.enroll(args.name, embeddings)
            print(f"'{args.name}' is person {person}")
        elif action == "forget":
            person = people.resolve(args.person)
            people.forget(person)
            print(f"person {person} and all their face data are deleted; their faces will not be clustered again")
        elif action in ("hide", "unhide"):
            library.faces.set_hidden(people.resolve(args.person), action == "hide")
        library.save()
    return EXIT_OK


def _person_json(row) -> dict:
    return {"id": row.id, "name": row.name, "hidden": row.hidden, "faces": row.faces, "photos": row.photos,
            "videos": row.videos, "tracks": row.tracks, "cover": {"item": row.cover_item, "box": row.cover_box}}


def cmd_clips(args) -> int:
    from search.export import compile_reel, export_segments, temporary_folder
    from search.library import Library
    from web.views import clips_json

    with Library.open(_library_path(args), read_only=True) as library:
        people = _people(library)
        if args.person:
            result = people.clips(people.resolve(args.person), gap=args.gap)
        else:
            result = people.clips_for_face(_largest_face_embedding(library, args.face), gap=args.gap)
        data = clips_json(library, result)
    if args.export or args.compile:
        segments = [(Path(c["video"]), c["start"], c["end"]) for c in data["clips"]]
        folder = args.export or temporary_folder()
        files = export_segments(segments, folder, exact=not args.fast)
        if args.compile:
            compile_reel(files, args.compile)
        data["exported"] = [str(f) for f in files] + ([str(args.compile)] if args.compile else [])
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    person = data["person"]
    print(f"{person['name'] or 'person ' + str(person['id'] or '?')}: {len(data['clips'])} clips, "
          f"{len(data['photos'])} photos")
    for note in data["notes"]:
        print(f"note: {note}")
    for clip in data["clips"]:
        print(f"  {clip['video']}  {_timecode(clip['start'])}-{_timecode(clip['end'])}  score {clip['score']:.2f}")
    for photo in data["photos"]:
        print(f"  photo {photo['path']}  score {photo['score']:.2f}")
    for path in data.get("exported", []):
        print(f"  wrote {path}")
    return EXIT_OK


def _timecode(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


# -- serve


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args) -> int:
    import secrets

    from waitress import serve

    from web import create_app

    token = args.token or os.environ.get("VISEARCH_TOKEN") or None
    if not is_loopback(args.host) and not token:
        token = secrets.token_urlsafe(18)
    app = create_app({"LIBRARY": str(_library_path(args)), "WRITE_TOKEN": token})
    shown = "localhost" if is_loopback(args.host) else args.host
    print(f"visearch: serving {_library_path(args)} on http://{shown}:{args.port}/")
    if token:
        print(f"visearch: changes (rename, merge, forget) need the token; open "
              f"http://{shown}:{args.port}/?token={token} once in your browser")
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="visearch")
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
    inputs = [str(out.catalog_dir)]
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    if shared.is_dir():  # the sample faces make a people video for the People pages
        from fixtures.video import generate_video

        inputs.append(str(generate_video(shared, args.out / "video").video))
    code = main(["--library", str(library), "index", *inputs, "--catalog", str(out.catalog_csv), "--clip", clip])
    if code:
        return code
    print("\n$ visearch search --text 'AX-2040'")
    main(["--library", str(library), "search", "--text", "AX-2040", "-k", "3"])
    photo = out.photos[1]
    print(f"\n$ visearch search --image {photo}")
    code = main(["--library", str(library), "search", "--image", str(photo), "-k", "3"])
    if code or args.no_serve:
        return code
    print("\nStarting the web UI (Ctrl+C to stop)…")
    return main(["--library", str(library), "serve", "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
