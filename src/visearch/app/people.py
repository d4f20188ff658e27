"""Changing people: name, hide, merge, split, reject a face, forget, enroll, cluster.

Every change is the same shape, once: find the person (NotFoundError for an unknown one), hold the
library's writer lock (waiting the settings' `write_wait`), change, save, and answer with the person
as they now are. The CLI and the web call these; neither repeats the pattern.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from visearch.defaults import MOMENT_GAP
from visearch.errors import N_
from visearch.indexer.errors import InvalidInput
from visearch.search import details
from visearch.people.index import ClusterReport, people_index
from visearch.app.library import changing


def resolve(library, key: str | int) -> int:
    """A person by id or by name (case-insensitive); PersonNotFoundError names the key."""
    return people_index(library).resolve(key)


def rename(library, person: str | int, name: str) -> dict:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(N_("name: give the person's name"), code="name_missing")
    person_id = resolve(library, person)
    with changing(library):
        library.faces.rename(person_id, name)
    return details.person_json(details.person(library, person_id))


def set_aliases(library, person: str | int, aliases) -> dict:
    """The other names a person is found by (Karina for 카리나, a stage name), replacing the ones before."""
    from visearch.text.names import MAX_ALIASES, clean_aliases

    aliases = list(aliases)
    if len(aliases) > MAX_ALIASES:
        raise InvalidInput(N_("aliases: at most %(max_aliases)s"), code="aliases_too_many", max_aliases=MAX_ALIASES)
    person_id = resolve(library, person)
    with changing(library):
        library.faces.set_aliases(person_id, clean_aliases(aliases))
    return details.person_json(details.person(library, person_id))


def set_hidden(library, person: str | int, hidden: bool = True) -> dict:
    person_id = resolve(library, person)
    with changing(library):
        library.faces.set_hidden(person_id, hidden)
    return details.person_json(details.person(library, person_id))


def merge(library, keep: str | int, other: str | int) -> dict:
    """`other` into `keep`: refused (CannotMergeError) when the two share a photo or frame."""
    keep_id, other_id = resolve(library, keep), resolve(library, other)
    if keep_id == other_id:
        raise InvalidInput(N_("other: cannot merge a person into themselves"), code="merge_into_self")
    with changing(library):
        people_index(library).merge(keep_id, other_id)
    return details.person_json(details.person(library, keep_id))


def split(library, person: str | int, faces: Sequence[int], name: str = "") -> dict:
    """Move some of a person's faces (their tracks, in videos) to a new person."""
    person_id = resolve(library, person)
    with changing(library):
        new = people_index(library).split(person_id, [int(f) for f in faces], (name or "").strip())
    return {"person": details.person_json(details.person(library, new)),
            "from": details.person_json(details.person(library, person_id))}


def reject(library, face_id: int) -> dict:
    """"Not this person": the face leaves its person, and no later clustering gives it back."""
    with changing(library):
        person_id = people_index(library).reject(face_id)
    return {"face": face_id, "from": details.person_json(details.person(library, person_id))}


def forget(library, person: str | int) -> dict:
    """Delete a person and their face data for good; their faces are dropped on sight later."""
    person_id = resolve(library, person)
    with changing(library):
        people_index(library).forget(person_id)
    return {"forgotten": person_id}


def enroll(library, name: str, photos: Sequence[Path]) -> dict:
    """Create (or label) a person from reference photos: the largest face of each."""
    embeddings = largest_faces(library, photos)
    with changing(library):
        person_id = people_index(library).enroll(name, embeddings)
    return details.person_json(details.person(library, person_id))


def cluster(library) -> ClusterReport:
    """Group faces without a person (after sharded indexing, which leaves that to one run)."""
    with changing(library):
        return people_index(library).cluster()


def people(library, *, include_hidden: bool = False, query: str = "") -> list[dict]:
    """The people of a library (the hidden too, when asked), found by any spelling when `query` is given."""
    return details.people_list(library, include_hidden=include_hidden, query=query)


def clips(library, *, person: str | int | None = None, photos: Sequence[Path] = (), gap: float = MOMENT_GAP) -> dict:
    """Every span in which a person is on screen (by id or any spelling of a name), or the person whose face is
    in `photos`, with their photos: `visearch clips`, the person page's timeline."""
    if person is not None:
        return details.person_clips(library, resolve(library, person), gap=gap)
    result = people_index(library).clips_for_face(largest_faces(library, photos)[0], gap=gap)
    return details.clips_json(library, result)


def largest_faces(library, photos: Sequence[Path]) -> list:
    """The identity vector of the largest face in each photo, with the library's face backend."""
    from visearch.indexer.errors import MediaError
    from visearch.indexer.images import open_image
    from visearch.indexer.models.faces import create_faces, face_backend

    model = create_faces(face_backend(library.manifest.faces).name)
    embeddings = []
    for photo in photos:
        try:
            found = model.detect(open_image(Path(photo).expanduser()))
        except MediaError as exc:
            raise InvalidInput.like(exc) from None
        if not found:
            raise InvalidInput(N_("%(photo)s: no face found"), code="no_face_in_photo", photo=photo)
        embeddings.append(found[0].embedding)
    return embeddings


# -- what clustering asks instead of guessing (people/review.py)


def review(library, *, merges: bool = True) -> dict:
    """The review queue: suggested faces grouped by person (most certain first), and merge suggestions."""
    from visearch.people import review as asking

    index = people_index(library)
    found = asking.suggestions(index)
    rows = {row.id: row for row in library.faces.people(sorted({s.person for s in found}))}
    by_person: dict[int, list] = {}
    for suggestion in found:
        by_person.setdefault(suggestion.person, []).append(suggestion)
    faces = {s.face: library.faces.face(s.face) for s in found}
    docs = library.docs.get([face.item_id for face in faces.values()]) if found else {}
    groups = [{"person": details.person_json(rows[person]),
               "faces": [_suggested_face(faces[s.face], docs, index, s) for s in items]}
              for person, items in sorted(by_person.items(), key=lambda pair: pair[1][0].distance) if person in rows]
    return {"suggestions": groups, "count": len(found), "merges": merge_offers(library) if merges else []}


def _suggested_face(face, docs, index, suggestion) -> dict:
    from visearch.people.review import certainty

    doc = docs.get(face.item_id)
    return {"face": suggestion.face, "person": suggestion.person, "distance": suggestion.distance,
            "certainty": certainty(index, suggestion.distance), "faces": suggestion.faces,
            "item": face.item_id, "path": doc.path if doc else "", "time": doc.time if doc else None,
            "track": face.track_id}


def answer(library, face_id: int, person: str | int, answer: str) -> dict:
    """"yes" (the face joins the person), "no" (it never will) or "skip" (nothing changes), for one suggestion.
    404 for a face or person gone since; 409 when the face found a person meanwhile (another tab)."""
    from visearch.people import review as asking

    if answer not in ("yes", "no", "skip"):
        raise InvalidInput(N_("answer: one of yes, no, skip, not %(answer)s"), code="answer_choice",
                           answer=f'{answer!r}')
    person_id = resolve(library, person)
    if answer == "skip":
        return {"face": face_id, "person": person_id, "answer": "skip"}
    with changing(library):
        unit = asking.answer(people_index(library), face_id, person_id, answer == "yes")
    return {"face": face_id, "person": person_id, "answer": answer, "unit": list(unit),
            "now": details.person_json(details.person(library, person_id))}


def merge_offers(library) -> list[dict]:
    """"Same person?": pairs of people whose faces are close, with the closest face of each."""
    from visearch.people import review as asking

    found = asking.merge_suggestions(people_index(library))
    rows = {row.id: row for row in library.faces.people([p for m in found for p in (m.keep, m.other)])}
    return [{"keep": details.person_json(rows[m.keep]), "other": details.person_json(rows[m.other]),
             "distance": m.distance, "faces": list(m.faces)} for m in found]


def answer_merge(library, keep: str | int, other: str | int, answer: str) -> dict:
    """"yes" merges the two (refused when they share a picture); "no" is remembered, and they are not
    offered again."""
    from visearch.people.review import decline_merge

    if answer not in ("yes", "no"):
        raise InvalidInput(N_("answer: yes or no, not %(answer)s"), code="answer_choice", answer=f'{answer!r}')
    if answer == "yes":
        return merge(library, keep, other)
    keep_id, other_id = resolve(library, keep), resolve(library, other)
    if keep_id == other_id:
        raise InvalidInput(N_("other: the same person as keep"), code="merge_into_self")
    with changing(library):
        decline_merge(people_index(library), keep_id, other_id)
    return {"keep": keep_id, "other": other_id, "answer": "no"}


def unassigned(library, *, limit: int = 200) -> dict:
    """The faces without a person, as look-alike stacks, biggest first."""
    from visearch.people.review import stacks

    found = stacks(people_index(library), limit=limit)
    faces = [library.faces.face(face_id) for stack in found for face_id in stack.faces[:1]]
    docs = library.docs.get([face.item_id for face in faces if face is not None])
    return {"stacks": [{"faces": list(stack.faces), "count": stack.count, "cover": _cover(docs, face)}
                       for stack, face in zip(found, faces)]}


def _cover(docs, face) -> dict:
    doc = docs.get(face.item_id) if face is not None else None
    return {"face": face.id, "item": face.item_id, "path": doc.path if doc else "", "time": doc.time if doc else None}


def settle_stack(library, faces: Sequence[int], action: str, *, name: str = "", person: str | int = "") -> dict:
    """Faces without a person (a stack, or some of it): "name" makes them a new person, "assign" gives them
    to a person, "hide" makes them a hidden stranger whom later look-alikes join out of sight."""
    from visearch.people import review as asking

    if action not in ("name", "assign", "hide"):
        raise InvalidInput(N_("action: one of name, assign, hide, not %(action)s"), code="stack_action",
                           action=f'{action!r}')
    if not faces:
        raise InvalidInput(N_("faces: choose at least one face"), code="faces_missing")
    name = (name or "").strip()
    if action == "name" and not name:
        raise InvalidInput(N_("name: give the person's name"), code="name_missing")
    target = resolve(library, person) if action == "assign" else None
    with changing(library):
        index = people_index(library)
        units = asking.units_of_faces(index, [int(f) for f in faces])
        target = asking.give(index, units, target, lambda: _new_person(library, name, hidden=action == "hide"))
    return details.person_json(details.person(library, target))


def _new_person(library, name: str, *, hidden: bool) -> int:
    person = library.faces.create_person(name)
    if hidden:
        library.faces.set_hidden(person, True)
    return person


def presence(library, person: str | int, *, clips: list[dict] | None = None) -> dict:
    """A person with their presence: screen time, videos, photos, first and last seen, who they are seen
    with, and where in each video (`people show`, the person page, which passes the `clips` it has)."""
    from visearch.people.presence import presence as measure

    person_id = resolve(library, person)
    if clips is None:
        clips = details.person_clips(library, person_id, pending=False)["clips"]
    return {**details.person_json(details.person(library, person_id)), "presence": measure(library, person_id, clips)}
