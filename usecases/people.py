"""Changing people: name, hide, merge, split, reject a face, forget, enroll, cluster.

Every change is the same shape, once: find the person (NotFoundError for an unknown one), hold the
library's writer lock (waiting the settings' `write_wait`), change, save, and answer with the person
as they now are. The CLI and the web call these; neither repeats the pattern.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from indexer.errors import InvalidInput
from search import details
from search.people.index import ClusterReport, people_index
from usecases.library import changing


def resolve(library, key: str | int) -> int:
    """A person by id or by name (case-insensitive); PersonNotFoundError names the key."""
    return people_index(library).resolve(key)


def rename(library, person: str | int, name: str) -> dict:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name: give the person's name")
    person_id = resolve(library, person)
    with changing(library):
        library.faces.rename(person_id, name)
    return details.person_json(details.person(library, person_id))


def set_aliases(library, person: str | int, aliases) -> dict:
    """The other names a person is found by (Karina for 카리나, a stage name), replacing the ones before."""
    from search.people.names import MAX_ALIASES, clean_aliases

    aliases = list(aliases)
    if len(aliases) > MAX_ALIASES:
        raise InvalidInput(f"aliases: at most {MAX_ALIASES}")
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
        raise InvalidInput("other: cannot merge a person into themselves")
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


def largest_faces(library, photos: Sequence[Path]) -> list:
    """The identity vector of the largest face in each photo, with the library's face backend."""
    from indexer.errors import MediaError
    from indexer.images import open_image
    from indexer.models.faces import create_faces, face_backend

    model = create_faces(face_backend(library.manifest.faces).name)
    embeddings = []
    for photo in photos:
        try:
            found = model.detect(open_image(Path(photo).expanduser()))
        except MediaError as exc:
            raise InvalidInput(str(exc)) from None
        if not found:
            raise InvalidInput(f"{photo}: no face found")
        embeddings.append(found[0].embedding)
    return embeddings
