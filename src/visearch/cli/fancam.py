"""`visearch fancam`: a framed video of one person, or the grid of several, from an indexed video."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from visearch.defaults import BLUR_STRENGTH, FANCAM_ASPECT, FANCAM_TOP
from visearch.cli.common import EXIT_OK, open_library


def register(commands) -> None:
    fancam = commands.add_parser("fancam", help="a video framed on one person (or a grid of several) as they move")
    fancam.add_argument("video", help="an indexed video: its path or id")
    who = fancam.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", help="the person to follow: a name or id")
    who.add_argument("--grid", action="store_true", help="several people side by side, in sync, with one sound track")
    fancam.add_argument("--people", help="grid: the people, comma-separated names or ids (default: the most seen)")
    fancam.add_argument("--top", type=int, default=FANCAM_TOP,
                        help=f"grid: how many of the most seen people (default {FANCAM_TOP})")
    fancam.add_argument("--aspect", default=FANCAM_ASPECT, help=f"each picture's shape, W:H (default {FANCAM_ASPECT})")
    fancam.add_argument("--height", type=int, help="output height in pixels (default 1280; a grid 720)")
    fancam.add_argument("--no-captions", action="store_true", help="grid: no names under the pictures")
    fancam.add_argument("--blur-background", type=float, nargs="?", const=BLUR_STRENGTH, metavar="STRENGTH",
                        help=f"the focus-cam look: the person sharp, the stage blurred (0-1, default {BLUR_STRENGTH}; "
                             "needs the person model)")
    fancam.add_argument("--out", type=Path, required=True, help="the MP4 to write")
    fancam.add_argument("--json", action="store_true")
    fancam.add_argument("--no-progress", action="store_true")
    fancam.set_defaults(handler=cmd_fancam)


def cmd_fancam(args) -> int:
    from visearch.app import fancams
    from visearch.app.models import person_model

    people = [p.strip() for p in args.people.split(",") if p.strip()] if args.people else None
    show = not args.no_progress and not args.json and sys.stderr.isatty()
    with open_library(args, read_only=True) as library:
        request = fancams.fancam_request(library, args.video, args.out, person=args.person, people=people,
                                         grid=args.grid, top=args.top, aspect=args.aspect, height=args.height,
                                         captions=not args.no_captions, blur=args.blur_background)
        people = person_model(args.settings) if request.blur else None
        if show:
            from tqdm import tqdm

            with tqdm(total=100, unit="%", desc="fancam", file=sys.stderr) as bar:
                result = fancams.make(library, request, people=people,
                                      progress=lambda share: bar.update(round(share * 100) - bar.n))
        else:
            result = fancams.make(library, request, people=people)
    if args.json:
        print(json.dumps(result.json(), indent=2))
        return EXIT_OK
    names = ", ".join(f"{m['name']} (seen in {m['seen']:.0%} of frames)" for m in result.members)
    print(f"wrote {result.path}: {result.size[0]}×{result.size[1]}, {result.end - result.start:.1f} s from "
          f"{result.start:.1f} s, {names}{'' if result.audio else ', no sound in the source'} "
          f"in {result.seconds:.1f} s")
    return EXIT_OK
