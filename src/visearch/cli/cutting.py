"""`visearch cutout`: an object lifted from its background as a transparent PNG (누끼)."""
from __future__ import annotations

import sys
from pathlib import Path

from visearch.cli.common import EXIT_OK, open_library
from visearch.defaults import BLUR_STRENGTH as DEFAULT_STRENGTH


def register(commands) -> None:
    cut = commands.add_parser("cutout", help="lift an object (a product, a person) from a photo or frame as a PNG")
    what = cut.add_mutually_exclusive_group(required=True)
    what.add_argument("photo", nargs="?", type=Path, help="the photo")
    what.add_argument("--frame", metavar="VIDEO@SECONDS", help="a frame of an indexed video (path or id; 12.5 or 00:12.5)")
    cut.add_argument("--box", help="x0,y0,x1,y1: the object's box in the picture's pixels (default: the middle)")
    cut.add_argument("--lens", action="store_true",
                     help="seed with the outline of the catalogue product the lens verifies there (needs a library)")
    cut.add_argument("--person", action="store_true",
                     help="the person there (in --box, or the most prominent), by the person model "
                          "(`visearch models fetch`)")
    cut.add_argument("--blur", nargs="?", type=float, const=DEFAULT_STRENGTH, metavar="STRENGTH",
                     help=f"keep the whole photo and blur its background by distance from the object (0-1, default "
                          f"{DEFAULT_STRENGTH}): the portrait look; --out may then be .jpg")
    cut.add_argument("--background", choices=["white"], help="white: flatten onto white (the marketplace format)")
    cut.add_argument("--out", type=Path, required=True, metavar="FILE.png")
    cut.set_defaults(handler=cmd_cutout)


def cmd_cutout(args) -> int:
    from visearch.app import cutout as cases
    from visearch.app.models import person_model
    from visearch.indexer.errors import BadBox
    from visearch.indexer.images import parse_box

    try:
        box = parse_box(args.box) if args.box else None
    except BadBox as exc:
        raise ValueError(f"--{exc}") from None
    if args.blur is not None and not 0 <= args.blur <= 1:
        raise ValueError(f"--blur: a strength from 0 to 1, not {args.blur:g}")
    suffix = args.out.suffix.lower()
    if args.blur is None and suffix != ".png" and not args.background:
        raise ValueError(f"--out: {args.out} must end in .png (transparency needs PNG)")
    if args.blur is not None and suffix not in (".png", ".jpg", ".jpeg"):
        raise ValueError(f"--out: {args.out} must end in .jpg or .png")
    needs_library = args.frame is not None or args.lens
    library = open_library(args, read_only=True) if needs_library else None
    try:
        picture = cases.source_photo(library, photo=args.photo, frame=args.frame)
        outline, item = _lens_outline(args, picture, box) if args.lens else (None, None)
        reference = cases.reference_image(library, item) if item is not None else None
        done = cases.cutout(picture, box=box if outline is None else None, outline=outline, reference=reference,
                            background=args.background, person=args.person,
                            people=person_model(args.settings) if args.person else None, blur=args.blur)
    finally:
        if library is not None:
            library.close()
    for notice in done.notices:
        print(f"note: {notice}", file=sys.stderr)
    args.out.expanduser().parent.mkdir(parents=True, exist_ok=True)
    args.out.expanduser().write_bytes(cases.encoded(done, suffix))
    if done.cutout is None:
        print(f"wrote {args.out} ({done.image.width}×{done.image.height}, the background blurred)")
        return EXIT_OK
    x0, y0, x1, y1 = done.cutout.box
    print(f"wrote {args.out} ({done.image.width}×{done.image.height}, from {x0},{y0},{x1},{y1} of the picture)")
    return EXIT_OK


def _lens_outline(args, picture, box):
    """(the verified outline of the lens's exact product, its catalogue item), or (None, None): then the box
    seeds the cut."""
    from visearch.app import searching
    from visearch.app.engines import open_engine

    engine = open_engine(args.settings, photo=True)
    try:
        answer = searching.search_photo(engine, picture, box=box, k=3, products_only=True)
    finally:
        engine.close()
        engine.library.close()
    local = answer["results"][0]["evidence"].get("local") if answer["results"] else None
    if answer.get("match") != "exact" or not local:
        print("note: the lens verified no catalogue product here; cutting from the box", file=sys.stderr)
        return None, None
    return local["polygon"], answer["results"][0]["id"]
