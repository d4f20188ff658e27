"""Faces, tracks and people in the embedded store (the same SQLite file as the documents).

Everything needed to cluster and to answer "all clips of this person" lives
here; identity vectors are float32 BLOBs, loaded into numpy/FAISS to compare.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from indexer.records import Face, Track


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
    person_id: int | None


def _blob(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32).copy()


class SqliteFaceStore:
    def __init__(self, documents) -> None:
        self._db = documents._db  # one connection and one lock for both halves of the store
        self._lock = documents._lock

    # -- writing what the indexer found

    def add_tracks(self, video_id: int, tracks: Sequence[Track]) -> list[int]:
        ids = []
        with self._lock:
            for track in tracks:
                cursor = self._db.execute(
                    "INSERT INTO tracks (video_id, shot, start, end, faces, usable, embedding) VALUES (?,?,?,?,?,?,?)",
                    (video_id, track.shot, track.start, track.end, len(track.faces), int(track.usable),
                     _blob(track.embedding)),
                )
                ids.append(cursor.lastrowid)
        return ids

    def add_faces(self, item_id: int, faces: Sequence[Face], track_ids: Sequence[int | None] | None = None) -> None:
        track_ids = track_ids or [None] * len(faces)
        with self._lock:
            self._db.executemany(
                "INSERT INTO faces (item_id, x0, y0, x1, y1, score, size, sharpness, usable, embedding, track_id) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(item_id, *face.box, face.score, face.size, face.sharpness, int(face.usable), _blob(face.embedding),
                  track) for face, track in zip(faces, track_ids)],
            )

    def delete_faces_of(self, item_ids: Sequence[int]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM faces WHERE item_id = ?", [(int(i),) for i in item_ids])

    def faces_of(self, item_ids: Sequence[int]) -> dict[int, list[FaceRow]]:
        found: dict[int, list[FaceRow]] = {int(i): [] for i in item_ids}
        with self._lock:
            for start in range(0, len(found), 500):
                chunk = list(found)[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(
                    "SELECT f.*, COALESCE(f.person_id, t.person_id) AS who FROM faces f "
                    f"LEFT JOIN tracks t ON t.id = f.track_id WHERE f.item_id IN ({marks}) ORDER BY f.size DESC",
                    chunk,
                ):
                    found[row["item_id"]].append(FaceRow(
                        row["id"], row["item_id"], (row["x0"], row["y0"], row["x1"], row["y1"]), row["score"],
                        row["size"], row["sharpness"], bool(row["usable"]), _vector(row["embedding"]),
                        row["track_id"], row["who"],
                    ))
        return found

    # -- clustering input and output

    def units(self) -> list[Unit]:
        with self._lock:
            faces = self._db.execute(
                "SELECT id, embedding, usable, person_id FROM faces WHERE track_id IS NULL"
            ).fetchall()
            tracks = self._db.execute("SELECT id, embedding, faces, usable, person_id FROM tracks").fetchall()
        return [Unit("face", r[0], _vector(r[1]), 1, bool(r[2]), r[3]) for r in faces] + [
            Unit("track", r[0], _vector(r[1]), r[2], bool(r[3]), r[4]) for r in tracks
        ]

    def assign(self, assignments: Sequence[tuple[str, int, int | None]]) -> None:
        """Set the person of faces and tracks; a track's faces follow it."""
        with self._lock:
            for kind, unit_id, person in assignments:
                if kind == "track":
                    self._db.execute("UPDATE tracks SET person_id = ? WHERE id = ?", (person, unit_id))
                    self._db.execute("UPDATE faces SET person_id = ? WHERE track_id = ?", (person, unit_id))
                else:
                    self._db.execute("UPDATE faces SET person_id = ? WHERE id = ?", (person, unit_id))

    def delete_units(self, units: Sequence[tuple[str, int]]) -> None:
        with self._lock:
            for kind, unit_id in units:
                table = "tracks" if kind == "track" else "faces"
                self._db.execute(f"DELETE FROM {table} WHERE id = ?", (unit_id,))

    # -- people

    def create_person(self, name: str = "") -> int:
        with self._lock:
            return self._db.execute(
                "INSERT INTO people (name, created_at) VALUES (?, ?)", (name, time.time())
            ).lastrowid

    def rename(self, person_id: int, name: str) -> None:
        with self._lock:
            self._db.execute("UPDATE people SET name = ? WHERE id = ?", (name, person_id))

    def set_hidden(self, person_id: int, hidden: bool) -> None:
        with self._lock:
            self._db.execute("UPDATE people SET hidden = ? WHERE id = ?", (int(hidden), person_id))

    def merge(self, keep: int, other: int) -> None:
        with self._lock:
            for table in ("faces", "tracks", "person_references"):
                self._db.execute(f"UPDATE {table} SET person_id = ? WHERE person_id = ?", (keep, other))
            self._db.execute(
                "UPDATE people SET name = (SELECT name FROM people WHERE id = ?) WHERE id = ? AND name = ''",
                (other, keep),
            )
            self._db.execute("DELETE FROM people WHERE id = ?", (other,))

    def forget(self, person_id: int, signature: np.ndarray | None) -> None:
        """Delete the person, every face and track of theirs, and their reference photos' vectors.

        Only `signature` (their mean identity vector) is kept, in a block list,
        so that later indexing drops their faces instead of clustering them again.
        """
        with self._lock:
            self._db.execute("DELETE FROM faces WHERE person_id = ? OR track_id IN "
                             "(SELECT id FROM tracks WHERE person_id = ?)", (person_id, person_id))
            self._db.execute("DELETE FROM tracks WHERE person_id = ?", (person_id,))
            self._db.execute("DELETE FROM person_references WHERE person_id = ?", (person_id,))
            self._db.execute("DELETE FROM people WHERE id = ?", (person_id,))
            if signature is not None:
                self._db.execute("INSERT INTO forgotten (embedding, forgotten_at) VALUES (?, ?)",
                                 (_blob(signature), time.time()))

    def forgotten(self) -> list[np.ndarray]:
        with self._lock:
            return [_vector(row[0]) for row in self._db.execute("SELECT embedding FROM forgotten")]

    def add_reference(self, person_id: int, embedding: np.ndarray) -> None:
        with self._lock:
            self._db.execute("INSERT INTO person_references (person_id, embedding) VALUES (?, ?)",
                             (person_id, _blob(embedding)))

    def references(self) -> dict[int, list[np.ndarray]]:
        found: dict[int, list[np.ndarray]] = {}
        with self._lock:
            for person, blob in self._db.execute("SELECT person_id, embedding FROM person_references"):
                found.setdefault(person, []).append(_vector(blob))
        return found

    def people(self, ids: Sequence[int] | None = None) -> list[PersonRow]:
        where = f"WHERE p.id IN ({','.join(str(int(i)) for i in ids)})" if ids is not None else ""
        if ids is not None and not ids:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT p.id, p.name, p.hidden, "
                "(SELECT count(*) FROM faces f WHERE f.person_id = p.id), "
                "(SELECT count(DISTINCT f.item_id) FROM faces f JOIN items i ON i.id = f.item_id "
                " WHERE f.person_id = p.id AND i.kind = 'image'), "
                "(SELECT count(DISTINCT t.video_id) FROM tracks t WHERE t.person_id = p.id), "
                "(SELECT count(*) FROM tracks t WHERE t.person_id = p.id), "
                "(SELECT f.id FROM faces f WHERE f.person_id = p.id ORDER BY f.usable DESC, f.size * "
                " min(f.sharpness, 200) DESC LIMIT 1) "
                f"FROM people p {where} ORDER BY p.name = '', p.name, p.id"
            ).fetchall()
            covers = {}
            cover_ids = [row[7] for row in rows if row[7] is not None]
            if cover_ids:
                marks = ",".join("?" * len(cover_ids))
                for face in self._db.execute(f"SELECT id, item_id, x0, y0, x1, y1 FROM faces WHERE id IN ({marks})",
                                             cover_ids):
                    covers[face[0]] = (face[1], (face[2], face[3], face[4], face[5]))
        return [
            PersonRow(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6], *(covers.get(r[7], (None, None))), r[7])
            for r in rows
        ]

    def face(self, face_id: int) -> FaceRow | None:
        with self._lock:
            row = self._db.execute("SELECT item_id FROM faces WHERE id = ?", (face_id,)).fetchone()
        if row is None:
            return None
        return next((f for f in self.faces_of([row[0]])[row[0]] if f.id == face_id), None)

    def find_person(self, key: str) -> int | None:
        """A person by id, or by name (case-insensitive)."""
        with self._lock:
            if key.isdigit():
                row = self._db.execute("SELECT id FROM people WHERE id = ?", (int(key),)).fetchone()
            else:
                row = self._db.execute("SELECT id FROM people WHERE lower(name) = lower(?) ORDER BY id",
                                       (key,)).fetchone()
        return row[0] if row else None

    def tracks(self, person_id: int | None = None, track_ids: Sequence[int] | None = None) -> list[TrackRow]:
        query = (
            "SELECT t.id, t.video_id, t.shot, t.start, t.end, s.start, s.end, t.embedding, "
            "(SELECT f.item_id FROM faces f WHERE f.track_id = t.id ORDER BY f.usable DESC, "
            " f.size * min(f.sharpness, 200) DESC LIMIT 1) "
            "FROM tracks t JOIN shots s ON s.video_id = t.video_id AND s.idx = t.shot "
        )
        with self._lock:
            if track_ids is not None:
                marks = ",".join("?" * len(track_ids)) or "NULL"
                rows = self._db.execute(query + f"WHERE t.id IN ({marks})", list(track_ids)).fetchall()
            else:
                rows = self._db.execute(query + "WHERE t.person_id = ? ORDER BY t.video_id, t.start",
                                        (person_id,)).fetchall()
        return [TrackRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _vector(r[7]), r[8]) for r in rows]

    def photo_faces(self, person_id: int) -> list[FaceRow]:
        with self._lock:
            ids = [row[0] for row in self._db.execute(
                "SELECT DISTINCT f.item_id FROM faces f JOIN items i ON i.id = f.item_id "
                "WHERE f.person_id = ? AND i.kind = 'image'", (person_id,))]
        return [face for faces in self.faces_of(ids).values() for face in faces if face.person_id == person_id]
