"""`visearch people review | answer | apart | unassigned | stack | show`: what clustering asks instead of
guessing, the faces no one claims, and how present a person is. Each calls its use case (app/people.py),
the same one the web's review and unassigned pages call."""
from __future__ import annotations

import json
import sys

from visearch.app import people as cases
from visearch.cli.common import EXIT_OK, timecode

READ_ONLY = {"review", "unassigned", "show"}


def register(people_commands) -> None:
    review = people_commands.add_parser("review", help="faces suggested for a person, and people that may be one")
    review.add_argument("--json", action="store_true")
    review.add_argument("--ask", action="store_true", help="ask each one: y(es), n(o), s(kip), q(uit)")
    answering = people_commands.add_parser("answer", help="answer a suggestion: is FACE_ID this person?")
    answering.add_argument("face", type=int, metavar="FACE_ID")
    answering.add_argument("person")
    answering.add_argument("answer", choices=["yes", "no", "skip"])
    apart = people_commands.add_parser("apart", help="two people suggested as one are not: never offer them again")
    apart.add_argument("keep")
    apart.add_argument("other")
    pool = people_commands.add_parser("unassigned", help="faces without a person, in look-alike stacks")
    pool.add_argument("--json", action="store_true")
    stack = people_commands.add_parser("stack", help="name, assign or hide faces without a person (a stack)")
    stack.add_argument("faces", nargs="+", type=int, metavar="FACE_ID")
    doing = stack.add_mutually_exclusive_group(required=True)
    doing.add_argument("--name", help="they are a new person of this name")
    doing.add_argument("--assign", metavar="PERSON", help="they are this person")
    doing.add_argument("--hide", action="store_true", help="strangers: hide them and the faces that match later")
    show = people_commands.add_parser("show", help="a person's screen time, videos, photos and company")
    show.add_argument("person")
    show.add_argument("--json", action="store_true")


def handle(args, library, action: str) -> int:
    if action == "review":
        return _review(library, args)
    if action == "answer":
        done = cases.answer(library, args.face, args.person, args.answer)
        print(f"face {args.face}: {args.answer} for person {done['person']}")
    elif action == "apart":
        cases.answer_merge(library, args.keep, args.other, "no")
        print(f"people {args.keep} and {args.other} are two people; they will not be offered as one again")
    elif action == "unassigned":
        return _unassigned(library, args.json)
    elif action == "stack":
        how = "name" if args.name else "assign" if args.assign else "hide"
        person = cases.settle_stack(library, args.faces, how, name=args.name or "", person=args.assign or "")
        what = "hidden as strangers" if how == "hide" else f"person {person['id']} ('{person['name']}')"
        print(f"{len(args.faces)} faces are now {what}")
    else:
        return _show(library, args)
    return EXIT_OK


def _review(library, args) -> int:
    queue = cases.review(library)
    if args.json:
        print(json.dumps(queue, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not queue["count"] and not queue["merges"]:
        print("nothing to review: every face is either surely someone or no one yet")
        return EXIT_OK
    for group in queue["suggestions"]:
        person = group["person"]
        print(f"Is this {person['name'] or 'person ' + str(person['id'])}?  ({len(group['faces'])} faces)")
        for face in group["faces"]:
            where = f"{face['path']} at {timecode(face['time'])}" if face["time"] is not None else face["path"]
            print(f"  face {face['face']:>7}  certainty {face['certainty']:.2f}  {where}")
            if args.ask and not _ask(library, face["face"], person["id"]):
                return EXIT_OK
    for pair in queue["merges"]:
        keep, other = pair["keep"], pair["other"]
        print(f"Same person? {keep['id']} ({keep['name'] or 'unnamed'}) and {other['id']} ({other['name'] or 'unnamed'})"
              f"  faces {pair['faces'][0]} / {pair['faces'][1]}  (`people merge` or `people apart`)")
    return EXIT_OK


def _ask(library, face: int, person: int) -> bool:
    """One key per question; False on q or the end of input."""
    while True:
        print("    y(es) / n(o) / s(kip) / q(uit)? ", end="", flush=True)
        key = sys.stdin.readline().strip().lower()[:1]
        if key in ("", "q"):
            return False
        if key in ("y", "n", "s"):
            cases.answer(library, face, person, {"y": "yes", "n": "no", "s": "skip"}[key])
            return True


def _unassigned(library, as_json: bool) -> int:
    pool = cases.unassigned(library)
    if as_json:
        print(json.dumps(pool, indent=2, ensure_ascii=False))
    elif not pool["stacks"]:
        print("every face has a person")
    for number, stack in enumerate(pool["stacks"] if not as_json else [], 1):
        cover = stack["cover"]
        print(f"stack {number}: {stack['count']} faces, e.g. {cover['path']}  faces {' '.join(map(str, stack['faces']))}")
    return EXIT_OK


def _show(library, args) -> int:
    person = cases.presence(library, args.person)
    if args.json:
        print(json.dumps(person, indent=2, ensure_ascii=False))
        return EXIT_OK
    seen = person["presence"]
    files = seen["dates_from_files"]
    guessed = f" ({files} dated by the file: when taken is unknown)" if files else ""
    print(f"{person['name'] or 'person ' + str(person['id'])}: {seen['screen_time']:.0f} s on screen in "
          f"{seen['videos']} videos, {seen['photos']} photos; seen {seen['first_seen'] or '-'} to "
          f"{seen['last_seen'] or '-'}{guessed}")
    for other in seen["with"]:
        print(f"  with {other['name'] or 'person ' + str(other['id'])}: {other['pictures']} pictures")
    for video in seen["strip"]:
        spans = ", ".join(f"{timecode(s['start'])}-{timecode(s['end'])}" for s in video["spans"])
        print(f"  {video['path']}: {video['seconds']:.0f} s  {spans}")
    return EXIT_OK
