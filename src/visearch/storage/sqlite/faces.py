"""Faces, tracks and people in the embedded store (the same SQLite file as the documents).

Everything needed to cluster and to answer "all clips of this person" lives
here; identity vectors are float32 BLOBs, loaded into numpy/FAISS to compare.
"""
from __future__ import annotations

import time
from typing import Iterator, Sequence

import numpy as np

from visearch.indexer.records import Face, Track
from visearch.storage.codec import chunks, vector_bytes, vector_from_bytes
from visearch.text.names import best_match
from visearch.storage.faces import (FaceRow, ForgottenRecord, PeopleExport, PersonRecord, PersonRow, TrackRecord,
                                 TrackRow, Unit, cover_score)
from visearch.storage.sqlite.database import MAX_PARAMETERS, Database, placeholders


EFFECTIVE_PERSON = "COALESCE(f.person_id, t.person_id)"  # a tracked face follows its track


class SqliteFaceStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection  # the document store's connection and lock: one file, one writer
        self._lock = database.lock

    # -- writing what the indexer found

    def add_tracks(self, video_id: int, tracks: Sequence[Track]) -> list[int]:
        ids = []
        with self._lock:
            for track in tracks:
                cursor = self._db.execute(
                    "INSERT INTO tracks (video_id, shot, start, end, faces, usable, embedding) VALUES (?,?,?,?,?,?,?)",
                    (video_id, track.shot, track.start, track.end, len(track.faces), int(track.usable),
                     vector_bytes(track.embedding)),
                )
                ids.append(cursor.lastrowid)
        return ids

    def add_faces(self, item_id: int, faces: Sequence[Face], track_ids: Sequence[int | None] | None = None) -> None:
        track_ids = track_ids or [None] * len(faces)
        with self._lock:
            self._db.executemany(
                "INSERT INTO faces (item_id, x0, y0, x1, y1, score, size, sharpness, usable, embedding, track_id) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(item_id, *face.box, face.score, face.size, face.sharpness, int(face.usable), vector_bytes(face.embedding),
                  track) for face, track in zip(faces, track_ids)],
            )

    def delete_faces_of(self, item_ids: Sequence[int]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM faces WHERE item_id = ?", [(int(i),) for i in item_ids])

    def faces_of(self, item_ids: Sequence[int]) -> dict[int, list[FaceRow]]:
        found: dict[int, list[FaceRow]] = {int(i): [] for i in item_ids}
        with self._lock:
            for chunk in chunks(found, MAX_PARAMETERS):
                marks = placeholders(chunk)
                for row in self._db.execute(
                    "SELECT f.*, COALESCE(f.person_id, t.person_id) AS who FROM faces f "
                    f"LEFT JOIN tracks t ON t.id = f.track_id WHERE f.item_id IN ({marks}) ORDER BY f.size DESC",
                    chunk,
                ):
                    found[row["item_id"]].append(FaceRow(
                        row["id"], row["item_id"], (row["x0"], row["y0"], row["x1"], row["y1"]), row["score"],
                        row["size"], row["sharpness"], bool(row["usable"]), vector_from_bytes(row["embedding"]),
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
        return [Unit("face", r[0], vector_from_bytes(r[1]), 1, bool(r[2]), r[3]) for r in faces] + [
            Unit("track", r[0], vector_from_bytes(r[1]), r[2], bool(r[3]), r[4]) for r in tracks
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

    def set_aliases(self, person_id: int, aliases: Sequence[str]) -> None:
        with self._lock:
            self._db.execute("UPDATE people SET aliases = ? WHERE id = ?", ("\n".join(aliases), person_id))

    def merge(self, keep: int, other: int) -> None:
        with self._lock:
            for table in ("faces", "tracks", "person_references", "person_rejections"):
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
            self._db.execute("DELETE FROM person_rejections WHERE person_id = ?", (person_id,))
            self._db.execute("DELETE FROM people WHERE id = ?", (person_id,))
            if signature is not None:
                self._db.execute("INSERT INTO forgotten (embedding, forgotten_at) VALUES (?, ?)",
                                 (vector_bytes(signature), time.time()))

    def forgotten(self) -> list[np.ndarray]:
        with self._lock:
            return [vector_from_bytes(row[0]) for row in self._db.execute("SELECT embedding FROM forgotten")]

    def add_reference(self, person_id: int, embedding: np.ndarray) -> None:
        with self._lock:
            self._db.execute("INSERT INTO person_references (person_id, embedding) VALUES (?, ?)",
                             (person_id, vector_bytes(embedding)))

    def references(self) -> dict[int, list[np.ndarray]]:
        return self._vectors_by_person("person_references")

    def add_rejection(self, person_id: int, embedding: np.ndarray) -> None:
        with self._lock:
            self._db.execute("INSERT INTO person_rejections (person_id, embedding, rejected_at) VALUES (?, ?, ?)",
                             (person_id, vector_bytes(embedding), time.time()))

    def rejections(self) -> dict[int, list[np.ndarray]]:
        return self._vectors_by_person("person_rejections")

    def _vectors_by_person(self, table: str) -> dict[int, list[np.ndarray]]:
        found: dict[int, list[np.ndarray]] = {}
        with self._lock:
            for person, blob in self._db.execute(f"SELECT person_id, embedding FROM {table}"):
                found.setdefault(person, []).append(vector_from_bytes(blob))
        return found

    def co_occurring(self) -> list[list[tuple[str, int]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT item_id, id, track_id FROM faces WHERE item_id IN "
                "(SELECT item_id FROM faces GROUP BY item_id HAVING count(*) > 1) ORDER BY item_id, id"
            ).fetchall()
        groups: dict[int, list[tuple[str, int]]] = {}
        for item, face, track in rows:
            unit = ("track", track) if track is not None else ("face", face)
            if unit not in groups.setdefault(item, []):
                groups[item].append(unit)
        return [units for units in groups.values() if len(units) > 1]

    def shared_items(self, person_a: int, person_b: int) -> list[int]:
        with self._lock:
            return [row[0] for row in self._db.execute(
                f"SELECT DISTINCT f.item_id FROM faces f LEFT JOIN tracks t ON t.id = f.track_id "
                f"WHERE {EFFECTIVE_PERSON} = ? AND f.item_id IN (SELECT g.item_id FROM faces g "
                f"LEFT JOIN tracks u ON u.id = g.track_id WHERE COALESCE(g.person_id, u.person_id) = ?) "
                f"ORDER BY f.item_id", (person_a, person_b))]

    def person_faces(self, person_id: int) -> list[FaceRow]:
        with self._lock:
            items = [row[0] for row in self._db.execute(
                f"SELECT DISTINCT f.item_id FROM faces f LEFT JOIN tracks t ON t.id = f.track_id "
                f"WHERE {EFFECTIVE_PERSON} = ?", (person_id,))]
        faces = [f for found in self.faces_of(items).values() for f in found if f.person_id == person_id]
        return sorted(faces, key=lambda f: (-cover_score(f.usable, f.size, f.sharpness), f.id))

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
                "(SELECT f.id FROM faces f WHERE f.person_id = p.id "
                " ORDER BY cover_score(f.usable, f.size, f.sharpness) DESC, f.id LIMIT 1), p.aliases "
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
            PersonRow(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6], *(covers.get(r[7], (None, None))), r[7],
                      _aliases(r[8]))
            for r in rows
        ]

    def face(self, face_id: int) -> FaceRow | None:
        with self._lock:
            row = self._db.execute("SELECT item_id FROM faces WHERE id = ?", (face_id,)).fetchone()
        if row is None:
            return None
        return next((f for f in self.faces_of([row[0]])[row[0]] if f.id == face_id), None)

    def find_person(self, key: str) -> int | None:
        """A person by id, name or alias, in either script (text/names.py)."""
        with self._lock:
            if key.isdigit():
                row = self._db.execute("SELECT id FROM people WHERE id = ?", (int(key),)).fetchone()
                if row:
                    return row[0]
        return best_match(key, self.names())

    def names(self) -> list[tuple[int, str, list[str]]]:
        with self._lock:
            rows = self._db.execute("SELECT id, name, aliases FROM people ORDER BY id").fetchall()
        return [(r[0], r[1], list(_aliases(r[2]))) for r in rows]

    def tracks(self, person_id: int | None = None, track_ids: Sequence[int] | None = None) -> list[TrackRow]:
        query = (
            "SELECT t.id, t.video_id, t.shot, t.start, t.end, s.start, s.end, t.embedding, "
            "(SELECT f.item_id FROM faces f WHERE f.track_id = t.id "
            " ORDER BY cover_score(f.usable, f.size, f.sharpness) DESC, f.id LIMIT 1) "
            "FROM tracks t JOIN shots s ON s.video_id = t.video_id AND s.idx = t.shot "
        )
        with self._lock:
            if track_ids is not None:
                marks = ",".join("?" * len(track_ids)) or "NULL"
                rows = self._db.execute(query + f"WHERE t.id IN ({marks})", list(track_ids)).fetchall()
            else:
                rows = self._db.execute(query + "WHERE t.person_id = ? ORDER BY t.video_id, t.start",
                                        (person_id,)).fetchall()
        return [TrackRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], vector_from_bytes(r[7]), r[8]) for r in rows]

    def photo_faces(self, person_id: int) -> list[FaceRow]:
        with self._lock:
            ids = [row[0] for row in self._db.execute(
                "SELECT DISTINCT f.item_id FROM faces f JOIN items i ON i.id = f.item_id "
                "WHERE f.person_id = ? AND i.kind = 'image'", (person_id,))]
        return [face for faces in self.faces_of(ids).values() for face in faces if face.person_id == person_id]

    # -- moving between backends

    def export(self) -> PeopleExport:
        return PeopleExport(self._export_people(), self._export_tracks(), self._export_faces(),
                            self._export_forgotten())

    def import_records(self, records: PeopleExport) -> None:
        """Rows keep their ids; SQLite's next rowid is max(id) + 1, so new ones continue above them."""
        with self._lock:
            for person in records.people:
                self._db.execute("INSERT INTO people (id, name, hidden, created_at, aliases) VALUES (?,?,?,?,?)",
                                 (person.id, person.name, int(person.hidden), person.created_at,
                                  "\n".join(person.aliases)))
                self._db.executemany("INSERT INTO person_references (person_id, embedding) VALUES (?, ?)",
                                     [(person.id, vector_bytes(v)) for v in person.references])
                self._db.executemany(
                    "INSERT INTO person_rejections (person_id, embedding, rejected_at) VALUES (?, ?, ?)",
                    [(person.id, vector_bytes(v), person.created_at) for v in person.rejected])
            for batch in chunks(records.tracks, MAX_PARAMETERS):
                self._db.executemany(
                    "INSERT INTO tracks (id, video_id, shot, start, end, faces, usable, embedding, person_id) "
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    [(t.id, t.video_id, t.shot, t.start, t.end, t.faces, int(t.usable), vector_bytes(t.embedding),
                      t.person_id) for t in batch])
            for batch in chunks(records.faces, MAX_PARAMETERS):
                self._db.executemany(
                    "INSERT INTO faces (id, item_id, x0, y0, x1, y1, score, size, sharpness, usable, embedding, "
                    "track_id, person_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(f.id, f.item_id, *f.box, f.score, f.size, f.sharpness, int(f.usable),
                      vector_bytes(f.embedding), f.track_id, f.person_id) for f in batch])
            self._db.executemany("INSERT INTO forgotten (embedding, forgotten_at) VALUES (?, ?)",
                                 [(vector_bytes(r.embedding), r.forgotten_at) for r in records.forgotten])

    def _export_people(self) -> Iterator[PersonRecord]:
        references, rejected = self.references(), self.rejections()
        with self._lock:
            rows = self._db.execute("SELECT id, name, hidden, created_at, aliases FROM people ORDER BY id").fetchall()
        for row in rows:
            yield PersonRecord(row[0], row[1], bool(row[2]), row[3], tuple(references.get(row[0], ())),
                               tuple(rejected.get(row[0], ())), _aliases(row[4]))

    def _export_tracks(self) -> Iterator[TrackRecord]:
        with self._lock:
            rows = self._db.execute("SELECT id, video_id, shot, start, end, faces, usable, embedding, person_id "
                                    "FROM tracks ORDER BY id").fetchall()
        for r in rows:
            yield TrackRecord(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), vector_from_bytes(r[7]), r[8])

    def _export_faces(self) -> Iterator[FaceRow]:
        with self._lock:
            items = [row[0] for row in self._db.execute("SELECT DISTINCT item_id FROM faces ORDER BY item_id")]
        for batch in chunks(items, MAX_PARAMETERS):
            for faces in self.faces_of(batch).values():
                yield from faces

    def _export_forgotten(self) -> Iterator[ForgottenRecord]:
        with self._lock:
            rows = self._db.execute("SELECT embedding, forgotten_at FROM forgotten ORDER BY id").fetchall()
        for blob, at in rows:
            yield ForgottenRecord(vector_from_bytes(blob), at)


def _aliases(stored: str | None) -> tuple[str, ...]:
    return tuple(a for a in (stored or "").split("\n") if a)
