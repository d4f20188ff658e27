"""`visearch demo`: generate the sample catalogue, index it, run sample searches, then serve the web UI."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

from visearch.cli.common import EXIT_USAGE


def register(commands) -> None:
    demo = commands.add_parser("demo", help="generate the fixture catalogue, index it and run sample searches")
    demo.add_argument("--out", type=Path, default=Path("fixtures/out"), help="where to write the fixtures")
    demo.add_argument("--no-serve", action="store_true", help="stop after the sample searches")
    demo.add_argument("--port", type=int, default=5000)
    demo.set_defaults(handler=cmd_demo)


def demo_clip(settings) -> str:
    """The default CLIP model where its weights can be had, else `tiny`, saying what that costs in plain words."""
    from visearch.app.engines import clip_to_index

    clip, missing = clip_to_index(settings)
    if missing is not None:
        print("demo: the default CLIP model's weights are not on this machine, and the model hub cannot be reached.\n"
              "demo: continuing with the small offline 'tiny' model: searching photos by a description is off;\n"
              "      the lens, words on packages and near-copies all work. docs/models.md says how to add the\n"
              "      real model (`visearch -v demo` shows the full reason).\n")
        logging.getLogger(__name__).info("%s", missing)
    return clip


def cmd_demo(args) -> int:
    """Offline-friendly tour: falls back to the tiny encoder when the default weights are absent."""
    from visearch.demo.generate import generate
    from visearch.demo.shop import generate_shop_video
    from visearch.app.indexing import IndexRequest, index
    from visearch.app.searching import open_photo
    from visearch.cli.indexing import print_report
    from visearch.app.searching import search_library
    from visearch.cli.querying import print_answer
    from visearch.cli.serving import port_problem, serve_library

    problem = None if args.no_serve else port_problem("127.0.0.1", args.port)
    if problem:  # before minutes of indexing, not after
        print(f"visearch: {problem} (make demo PORT=…)", file=sys.stderr)
        return EXIT_USAGE
    settings = args.settings  # the environment was read once, by `main`
    out = generate(args.out, korean=True)
    shop = generate_shop_video(args.out / "shop")  # catalogue products on screen: "Shop this frame" finds them
    inputs = [out.catalog_dir, shop.video]
    shared = Path(__file__).resolve().parents[4] / "shared" / "data"
    if shared.is_dir():  # the sample faces make a people video for the People pages (with a Korean caption)
        from visearch.demo.video import generate_video

        inputs.append(generate_video(shared, args.out / "video", caption=True).video)
    print_report(index(settings, IndexRequest(paths=inputs, catalog=out.catalog_csv, clip=demo_clip(settings),
                                              progress=sys.stderr.isatty())))
    print("\n$ visearch search --text 'AX-2040'")
    print_answer(search_library(settings, text="AX-2040", k=3))
    photo = out.photos[1]
    print(f"\n$ visearch search --image {photo}")
    print_answer(search_library(settings, photo=open_photo(photo), k=3))
    korean = next((p for p in out.photos if p.name.startswith("seoul-milk")), None)
    if korean is not None:  # Korean as it is typed: two syllables, 초성, and a phone photo of the carton
        for words in ("우유", "ㅅㅇㅇㅇ"):
            print(f"\n$ visearch search --text '{words}'")
            print_answer(search_library(settings, text=words, k=3))
        print(f"\n$ visearch search --image {korean}")
        print_answer(search_library(settings, photo=open_photo(korean), k=3))
    held = next(a for a in shop.truth if a["how"] == "held")  # small, tilted, a hand over it
    moment = f"{shop.video}@{(held['start'] + held['end']) / 2:g}"
    print(f"\n$ visearch search --frame {moment}")
    print_answer(search_library(settings, frame=moment, k=3))
    if args.no_serve:
        return 0
    print("\nStarting the web UI (Ctrl+C to stop)…")
    return serve_library(settings, port=args.port)
