"""The face store interface: faces, video tracks and people, whatever holds them.

`SqliteFaceStore` (storage/sqlite/faces.py) and `EsFaceStore`
(storage/elastic/faces.py) both implement `FaceStore`; one contract suite
(tests/test_face_store.py) runs against each. Callers name only this module.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence

import numpy as np

from visearch.indexer.records import Face, Track

SHARPNESS_CAP = 200.0  # past this a face is sharp enough: its size decides


def cover_score(usable: bool, size: float, sharpness: float) -> float:
    """Which face shows a person (or a track) best: usable first, then big and sharp.

    The one rule behind people's cover photos and a track's thumbnail. SQLite calls
    this function; Elasticsearch runs `COVER_SCORE_PAINLESS`, its transcription
    (tests/test_face_store.py checks that the two order faces alike).
    """
    return (1e9 if usable else 0.0) + float(size) * min(float(sharpness), SHARPNESS_CAP)


COVER_SCORE_PAINLESS = (
    "(doc['usable'].value ? 1e9 : 0) + doc['size'].value * Math.min(doc['sharpness'].value, "
    f"{SHARPNESS_CAP:g})"
)


@dataclass(frozen=True, slots=True)
class Unit:
    """What clustering sees: a photo's face, or a video track standing for all its faces."""

    kind: str  # "face" | "track"
    id: int
    embedding: np.ndarray
    weight: int  # faces it stands for
    usable: bool
    person_id: int | None


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    name: str
    hidden: bool
    faces: int
    photos: int
    videos: int
    tracks: int
    cover_item: int | None
    cover_box: tuple[float, float, float, float] | None
    cover_face: int | None = None
    aliases: tuple[str, ...] = ()  # other names the person goes by (Karina for 카리나)


@dataclass(frozen=True, slots=True)
class TrackRow:
    id: int
    video_id: int
    shot: int
    start: float
    end: float
    shot_start: float
    shot_end: float
    embedding: np.ndarray
    best_item: int | None


@dataclass(frozen=True, slots=True)
class FaceRow:
    id: int
    item_id: int
    box: tuple[float, float, float, float]
    score: float
    size: float
    sharpness: float
    usable: bool
    embedding: np.ndarray
    track_id: int | None
    person_id: int | None  # the effective person: a tracked face follows its track


# -- whole records, ids kept: what `visearch migrate` copies from one backend to another


@dataclass(frozen=True, slots=True)
class PersonRecord:
    id: int
    name: str
    hidden: bool
    created_at: float
    references: tuple[np.ndarray, ...] = ()
    rejected: tuple[np.ndarray, ...] = ()  # faces the user said are not this person
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrackRecord:
    id: int
    video_id: int
    shot: int
    start: float
    end: float
    faces: int
    usable: bool
    embedding: np.ndarray
    person_id: int | None


@dataclass(frozen=True, slots=True)
class ForgottenRecord:
    embedding: np.ndarray
    forgotten_at: float


@dataclass
class PeopleExport:
    """Everything a face store holds, as iterables (a big library streams, it is not listed in RAM)."""

    people: Iterable[PersonRecord] = ()
    tracks: Iterable[TrackRecord] = ()
    faces: Iterable[FaceRow] = ()
    forgotten: Iterable[ForgottenRecord] = field(default_factory=list)


class FaceRecords(Protocol):
    """Faces found by the indexer and their tracks in videos: what clustering reads and writes."""

    def add_tracks(self, video_id: int, tracks: Sequence[Track]) -> list[int]: ...

    def add_faces(self, item_id: int, faces: Sequence[Face], track_ids: Sequence[int | None] | None = None) -> None:
        ...

    def delete_faces_of(self, item_ids: Sequence[int]) -> None: ...

    def faces_of(self, item_ids: Sequence[int]) -> dict[int, list[FaceRow]]:
        """Each item's faces, biggest first."""

    def face(self, face_id: int) -> FaceRow | None: ...

    def units(self) -> list[Unit]: ...

    def assign(self, assignments: Sequence[tuple[str, int, int | None]]) -> None:
        """Set the person of faces and tracks ("face" | "track", id, person); a track's faces follow it."""

    def delete_units(self, units: Sequence[tuple[str, int]]) -> None: ...

    def co_occurring(self) -> list[list[tuple[str, int]]]:
        """For each photo or frame with two or more faces, the units ("face" | "track", id) of its faces:
        they are different people (cannot-link)."""

    def tracks(self, person_id: int | None = None, track_ids: Sequence[int] | None = None) -> list[TrackRow]: ...

    def photo_faces(self, person_id: int) -> list[FaceRow]: ...

    def person_faces(self, person_id: int) -> list[FaceRow]:
        """Every face of the person (through their tracks too), the best first."""


class PeopleStore(Protocol):
    """People: their names, visibility and counts."""

    def create_person(self, name: str = "") -> int: ...

    def rename(self, person_id: int, name: str) -> None: ...

    def set_hidden(self, person_id: int, hidden: bool) -> None: ...

    def set_aliases(self, person_id: int, aliases: Sequence[str]) -> None:
        """The other names the person is found by (already cleaned: text/names.py)."""

    def merge(self, keep: int, other: int) -> None: ...

    def people(self, ids: Sequence[int] | None = None) -> list[PersonRow]:
        """People with their counts and cover face, named ones first (by name), then by id."""

    def find_person(self, key: str) -> int | None:
        """A person by id, by name or alias (case-insensitive), or by the spelling of either in the other script
        (text/names.py decides)."""

    def names(self) -> list[tuple[int, str, list[str]]]:
        """Every person's (id, name, aliases): what a name as typed is matched against (text/names.py)."""

    def shared_items(self, person_a: int, person_b: int) -> list[int]:
        """Items (photos, frames) in which both people have a face: they cannot be one person."""


class Corrections(Protocol):
    """What the user told: reference faces, "not this person", people forgotten for good."""

    def forget(self, person_id: int, signature: np.ndarray | None) -> None:
        """Delete the person with their faces, tracks and references; keep only `signature` in a block list."""

    def forgotten(self) -> list[np.ndarray]: ...

    def add_reference(self, person_id: int, embedding: np.ndarray) -> None: ...

    def references(self) -> dict[int, list[np.ndarray]]: ...

    def add_rejection(self, person_id: int, embedding: np.ndarray) -> None:
        """Record that a face with this identity vector is not the person ("not this person")."""

    def rejections(self) -> dict[int, list[np.ndarray]]: ...


class FaceStore(FaceRecords, PeopleStore, Corrections, Protocol):
    """The three roles, and moving them between backends whole."""

    def export(self) -> PeopleExport: ...

    def import_records(self, records: PeopleExport) -> None:
        """Write exported records with their ids; later ids continue above them."""
