"""`visearch moments` (find time spans of any query) and `visearch tags` (save queries as tags)."""
from __future__ import annotations

import json
from pathlib import Path

from visearch.defaults import MOMENT_GAP
from visearch.cli.common import EXIT_OK, open_library, timecode


def _query_options(parser, *, person: bool = True) -> None:
    parser.add_argument("--text", action="append", default=[], help="words seen on screen (all of them)")
    parser.add_argument("--image", action="append", default=[], type=Path, help="an example frame or picture")
    if person:
        parser.add_argument("--person", action="append", default=[], help="a person's name or id")
    parser.add_argument("--clip-text", action="append", default=[], help="a description (semantic CLIP only)")
    parser.add_argument("--product", action="append", default=[], metavar="SKU",
                        help="a catalogue product, verified on screen (its first catalogue image)")
    parser.add_argument("--any", action="store_true", help="any of the parts (OR) instead of all (AND)")
    parser.add_argument("--threshold", type=float, help="the score (0-1) a frame needs to match")


def _export_options(parser) -> None:
    parser.add_argument("--export", type=Path, metavar="DIR", help="cut each moment to its own file")
    parser.add_argument("--compile", type=Path, metavar="FILE", help="join the moments into one reel")


def register(commands) -> None:
    moments = commands.add_parser("moments", help="time spans in videos where a text, picture or person shows")
    _query_options(moments)
    moments.add_argument("--video", action="append", default=[], help="only these videos (path or id)")
    moments.add_argument("--gap", type=float, default=MOMENT_GAP,
                         help=f"merge moments closer than this (seconds, default {MOMENT_GAP:g})")
    moments.add_argument("--json", action="store_true")
    _export_options(moments)
    moments.set_defaults(handler=cmd_moments)

    tags = commands.add_parser("tags", help="saved moment queries, applied to every video indexed now and later")
    actions = tags.add_subparsers(dest="tags_command", required=True, metavar="ACTION")
    adding = actions.add_parser("add", help="save a query as a tag and apply it")
    adding.add_argument("name")
    _query_options(adding)
    adding.add_argument("--replace", action="store_true", help="replace a tag of that name")
    listing = actions.add_parser("list", help="tags with their counts")
    listing.add_argument("--json", action="store_true")
    showing = actions.add_parser("show", help="a tag's moments")
    showing.add_argument("name")
    showing.add_argument("--borderline", action="store_true", help="the moments just under its threshold")
    showing.add_argument("--json", action="store_true")
    _export_options(showing)
    removing = actions.add_parser("remove", help="delete a tag and its moments")
    removing.add_argument("name")
    tags.set_defaults(handler=cmd_tags)


def moment_request(args):
    from visearch.app.moments import MomentRequest

    return MomentRequest(texts=args.text, images=args.image, people=getattr(args, "person", []),
                         clip_texts=args.clip_text, products=args.product, any_part=args.any, threshold=args.threshold)


def cmd_moments(args) -> int:
    from visearch.app import moments as cases

    with open_library(args, read_only=True) as library:
        data = cases.find(library, moment_request(args), videos=args.video, gap=args.gap)
    return _report(args, data)


def _report(args, data: dict) -> int:
    if getattr(args, "export", None) or getattr(args, "compile", None):
        from visearch.app.exporting import export_answer

        data["exported"] = export_answer(data["moments"], args.export, args.compile)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{data['query']}: {len(data['moments'])} moments")
    for note in data.get("notes", []):
        print(f"note: {note}")
    for near in data.get("closest", []):
        print(f"  closest text read: \"{near['text']}\"  {near['video']} @ {timecode(near['time'])}  "
              f"(for \"{near['query']}\")")
    for m in data["moments"]:
        print(f"  {m['video']}  {timecode(m['start'])}-{timecode(m['end'])}  score {m['score']:.2f}")
    for path in data.get("exported", []):
        print(f"  wrote {path}")
    return EXIT_OK


def cmd_tags(args) -> int:
    from visearch.app import moments as cases

    action = args.tags_command
    if action in ("list", "show"):
        with open_library(args, read_only=True) as library:
            if action == "list":
                return _list(args, cases.list_tags(library))
            data = cases.show_tag(library, args.name, borderline=args.borderline)
        data["tag"] = data["tag"]["name"]
        return _report(args, data)
    with open_library(args) as library:
        if action == "add":
            tag = cases.add_tag(library, args.name, moment_request(args), replace=args.replace)
            print(f"tag '{tag['name']}': {tag['segments']} moments in {tag['videos']} videos")
            for note in tag["notes"]:
                print(f"note: {note}")
        else:
            removed = cases.remove_tag(library, args.name)
            print(f"tag '{removed['name']}' removed")
    return EXIT_OK


def _list(args, tags: list[dict]) -> int:
    if args.json:
        print(json.dumps({"tags": tags}, indent=2))
    elif not tags:
        print("no tags yet (visearch tags add NAME --text ...)")
    for tag in [] if args.json else tags:
        threshold = "" if tag["threshold"] is None else f", threshold {tag['threshold']:g}"
        print(f"  {tag['name']:<20} {tag['segments']:>4} moments in {tag['videos']:>3} videos  {tag['query']}{threshold}")
    return EXIT_OK
