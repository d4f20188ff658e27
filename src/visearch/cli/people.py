"""`visearch people` and `visearch clips`."""
from __future__ import annotations

import json
from pathlib import Path

from visearch.defaults import MOMENT_GAP
from visearch.search import details
from visearch.app import people as people_cases
from visearch.cli import review
from visearch.cli.common import EXIT_OK, open_library, timecode


def register(commands) -> None:
    people = commands.add_parser("people", help="list, name, merge, enroll and forget people")
    people_commands = people.add_subparsers(dest="people_command", required=True, metavar="ACTION")
    people_commands.add_parser("cluster", help="group unassigned faces into people (after sharded indexing)")
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
    aliasing = people_commands.add_parser("alias", help="other names a person is found by (Karina for 카리나)")
    aliasing.add_argument("person")
    aliasing.add_argument("aliases", nargs="*", metavar="ALIAS")
    aliasing.add_argument("--replace", action="store_true", help="set exactly these (none: clear them)")
    for action in ("hide", "unhide"):
        hiding = people_commands.add_parser(action, help=f"{action} a person in listings")
        hiding.add_argument("person")
    listing_faces = people_commands.add_parser("faces", help="a person's faces, with the ids to correct them by")
    listing_faces.add_argument("person")
    listing_faces.add_argument("--json", action="store_true")
    rejecting = people_commands.add_parser("reject", help="not this person: take faces off their person for good")
    rejecting.add_argument("faces", nargs="+", type=int, metavar="FACE_ID")
    splitting = people_commands.add_parser("split", help="move some of a person's faces to a new person")
    splitting.add_argument("person")
    splitting.add_argument("faces", nargs="+", type=int, metavar="FACE_ID")
    splitting.add_argument("--name", default="", help="the new person's name")
    review.register(people_commands)
    people.set_defaults(handler=cmd_people)

    clips = commands.add_parser("clips", help="all clips of a person: time spans in every video")
    who = clips.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", help="a person's name or id")
    who.add_argument("--face", type=Path, help="a photo of the person's face")
    clips.add_argument("--gap", type=float, default=MOMENT_GAP,
                       help=f"merge spans closer than this (seconds, default {MOMENT_GAP:g})")
    clips.add_argument("--json", action="store_true")
    clips.add_argument("--export", type=Path, metavar="DIR", help="cut each clip to its own file")
    clips.add_argument("--compile", type=Path, metavar="FILE", help="join the clips into one reel")
    clips.add_argument("--fast", action="store_true", help="cut at keyframes (stream copy) instead of frame-exact")
    clips.set_defaults(handler=cmd_clips)



def _print_faces(library, person: int, as_json: bool) -> int:
    from visearch.search.details import person_faces

    faces = person_faces(library, person)
    if as_json:
        print(json.dumps(faces, indent=2))
    for face in faces if not as_json else []:
        where = f"{face['path']} at {timecode(face['time'])}" if face["time"] is not None else face["path"]
        print(f"{face['id']:>7}  {where}" + (f"  (track {face['track']})" if face["track"] else ""))
    return EXIT_OK


def cmd_people(args) -> int:
    action = args.people_command
    read_only = action in ("list", "faces") or (action in review.READ_ONLY and not getattr(args, "ask", False))
    with open_library(args, read_only=read_only) as library:
        if action in review.READ_ONLY | {"answer", "apart", "stack"}:
            return review.handle(args, library, action)
        if action == "list":
            return _list_people(library, args)
        if action == "faces":
            return _print_faces(library, people_cases.resolve(library, args.person), args.json)
        print(_change_people(args, library, action))
    return EXIT_OK


def _list_people(library, args) -> int:
    rows = people_cases.people(library, include_hidden=args.all)
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no people yet (index photos or videos with faces, or `visearch people enroll`)")
    for row in rows if not args.json else []:
        hidden = "  (hidden)" if row["hidden"] else ""
        print(f"{row['id']:>5}  {row['name'] or 'unnamed':<24} {row['faces']:>5} faces  {row['photos']:>4} photos  "
              f"{row['videos']:>3} videos  {row['tracks']:>4} tracks{hidden}")
    return EXIT_OK


def _change_people(args, library, action: str) -> str:
    """The write commands of `visearch people` (each a use case: lock, change, save); the line to print."""
    if action == "cluster":
        report = people_cases.cluster(library)
        return report.summary()
    if action == "name":
        person = people_cases.rename(library, args.person, args.name)
        return f"person {person['id']} is now '{person['name']}'"
    if action == "merge":
        kept = people_cases.merge(library, args.keep, args.other)
        return f"merged person {args.other} into {kept['id']}"
    if action == "reject":
        return "\n".join(f"face {face} is no longer person {people_cases.reject(library, face)['from']['id']}, "
                         "and will not be given back" for face in args.faces)
    if action == "split":
        moved = people_cases.split(library, args.person, args.faces, args.name)
        return f"{len(args.faces)} faces moved from person {moved['from']['id']} to the new person {moved['person']['id']}"
    if action == "enroll":
        person = people_cases.enroll(library, args.name, args.photos)
        return f"'{args.name}' is person {person['id']}"
    if action == "forget":
        gone = people_cases.forget(library, args.person)
        return f"person {gone['forgotten']} and all their face data are deleted; their faces will not be clustered again"
    if action == "alias":
        person = details.person(library, people_cases.resolve(library, args.person))
        aliases = list(args.aliases) if args.replace else [*person.aliases, *args.aliases]
        changed = people_cases.set_aliases(library, person.id, aliases)
        return f"person {changed['id']} ('{changed['name']}') is also found as: {', '.join(changed['aliases']) or 'nothing else'}"
    hidden = people_cases.set_hidden(library, args.person, action == "hide")
    return f"person {hidden['id']} is {'hidden' if hidden['hidden'] else 'shown'}"


def cmd_clips(args) -> int:
    from visearch.app.exporting import export_answer

    with open_library(args, read_only=True) as library:
        data = people_cases.clips(library, person=args.person or None, photos=[args.face] if not args.person else (),
                                  gap=args.gap)
    if args.export or args.compile:
        data["exported"] = export_answer(data["clips"], args.export, args.compile, exact=not args.fast)
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    person = data["person"]
    print(f"{person['name'] or 'person ' + str(person['id'] or '?')}: {len(data['clips'])} clips, "
          f"{len(data['photos'])} photos")
    for note in data["notes"]:
        print(f"note: {note}")
    for clip in data["clips"]:
        print(f"  {clip['video']}  {timecode(clip['start'])}-{timecode(clip['end'])}  score {clip['score']:.2f}")
    for photo in data["photos"]:
        print(f"  photo {photo['path']}  score {photo['score']:.2f}")
    for path in data.get("exported", []):
        print(f"  wrote {path}")
    return EXIT_OK
