"""Who is in a video, from the index: the members a fancam follows and what is known of each."""
from __future__ import annotations

import bisect
from pathlib import Path

import numpy as np

from visearch.defaults import FANCAM_TOP
from visearch.errors import N_
from visearch.indexer.errors import VisearchError
from visearch.indexer.models.faces import face_backend, face_distances
from visearch.storage.documents import VideoDoc
from visearch.fancam.follow import Member
from visearch.people.presence import Sighted, sightings

REFERENCE_FACES = 64  # a person not seen here is recognised by this many of their best faces elsewhere


class FancamError(VisearchError):
    """A fancam cannot be made: the message names the video, person or file and says why."""


def cast(library, video: VideoDoc, people: list[str] | None = None, top: int | None = None) -> list[Member]:
    """The members to follow: the people named (by name or id), or the `top` the index saw most.

    A named person the index did not see in this video is still searched for (the index looks at
    about one frame a second, at a resolution that misses the small faces of a wide stage shot):
    by their faces elsewhere in the library, everywhere in the video.
    """
    from visearch.people.index import PersonNotFoundError, people_index

    seen = sightings(library, video)
    name = Path(video.path).name
    counts: dict[int, int] = {}
    for s in seen:
        if s.face.person_id is not None:
            counts[s.face.person_id] = counts.get(s.face.person_id, 0) + 1
    if people:
        index = people_index(library)
        try:
            ids = list(dict.fromkeys(index.resolve(key) for key in people))
        except PersonNotFoundError as exc:
            raise FancamError.like(exc) from None
    else:
        ids = sorted(counts, key=lambda p: (-counts[p], p))[: top or FANCAM_TOP]
        if not ids:
            raise FancamError(N_("the index found nobody in %(name)s (a video without people, indexed with --faces off, or faces too small for it): name the people to look for with --people"),
                              code="fancam_nobody_indexed", name=name)
    rows = {row.id: row for row in library.faces.people(ids)}
    shot_starts = [start for start, _ in video.shots] or [0.0]
    members = [_member(p, _label(rows.get(p), p), seen, shot_starts, library) for p in ids]
    for member in members:  # the other members are someone else, whatever the index says
        others = [m.references for m in members if m is not member]
        member.others = np.concatenate([member.others, *others]) if others else member.others
    return members


def _label(row, person_id: int) -> str:
    return row.name if row is not None and row.name else f"person {person_id}"


def _member(person: int, name: str, seen: list[Sighted], shot_starts: list[float], library) -> Member:
    backend = face_backend(library.manifest.faces)
    mine = [s for s in seen if s.face.person_id == person]
    if mine:
        references = np.stack([s.face.embedding for s in mine])
    else:
        vectors = [f.embedding for f in library.faces.person_faces(person)[:REFERENCE_FACES]]
        vectors += library.faces.references().get(person, [])  # enrolled from photos
        if not vectors:
            raise FancamError(N_("%(name)s has no faces to recognise them by"), code="person_has_no_faces", name=name)
        references = np.stack(vectors)
    strangers = [s.face.embedding for s in seen if s.face.person_id not in (person, None)]
    unnamed = [s.face.embedding for s in seen if s.face.person_id is None]
    if unnamed:  # faces nobody claimed count as someone else only when they do not look like this person
        far = face_distances(backend.metric, np.stack(unnamed), references).min(axis=1) > backend.suggest_distance
        strangers += [vector for vector, keep in zip(unnamed, far) if keep]
    others = np.stack(strangers) if strangers else np.zeros((0, references.shape[1]), np.float32)
    anchors = sorted((s.time, max(0, bisect.bisect_right(shot_starts, s.time + 1e-6) - 1), s.face.box) for s in mine)
    return Member(person, name, anchors, references, others)
