"""Moving a library's documents from the embedded store to Elasticsearch, ids and all.

Ids are kept, so the FAISS file, features and thumbnails stay valid as they
are; the SQLite file is left in place as a backup and the manifest switches
last, so an interrupted migration leaves a working embedded library.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from search.elastic.session import EsSettings, connect
from search.elastic.faces import EsFaceStore, encode_vector, face_source, person_source, track_source
from search.elastic.documents import EsDocumentStore
from search.library import Library, LibraryError, _without_credentials

CHUNK = 500


@dataclass
class MigrationReport:
    items: int = 0
    videos: int = 0
    products: int = 0
    faces: int = 0
    tracks: int = 0
    people: int = 0


def migrate_to_elasticsearch(library: Library, settings: EsSettings) -> MigrationReport:
    if library.manifest.backend != "sqlite":
        raise LibraryError(f"{library.root} already keeps its documents in {library.manifest.backend}")
    source = library.docs
    target = EsDocumentStore(connect(settings), settings.prefix)
    report = MigrationReport()

    products = source.products()
    target.upsert_products(products)  # first, so items pick up their catalogue fields as they arrive
    report.products = len(products)
    video_ids = [state.id for state in source.file_states() if state.kind == "video"]
    for video in source.get_videos(video_ids).values():
        target.upsert_video(video)
    report.videos = len(video_ids)
    item_ids = source.item_ids()
    for start in range(0, len(item_ids), CHUNK):
        target.upsert(list(source.get(item_ids[start : start + CHUNK]).values()))
    report.items = len(item_ids)

    report.people, report.tracks, report.faces = _copy_people(source._db, target)
    for sequence, ids in (("items", item_ids), ("videos", video_ids)):
        target.advance(sequence, max(ids, default=0))
    EsFaceStore(target)._refresh_people(item_ids)
    target.commit()
    target.close()
    library.manifest = replace(library.manifest, backend="elasticsearch", es_url=_without_credentials(settings.url),
                               es_prefix=settings.prefix)
    library._write_manifest()
    return report


def _copy_people(db, target: EsDocumentStore) -> tuple[int, int, int]:
    """People, tracks and faces straight from the SQLite tables, ids unchanged."""
    vector = lambda blob: np.frombuffer(blob, dtype=np.float32)  # noqa: E731
    references: dict[int, list[np.ndarray]] = {}
    for person, blob in db.execute("SELECT person_id, embedding FROM person_references"):
        references.setdefault(person, []).append(vector(blob))
    people = db.execute("SELECT id, name, hidden, created_at FROM people").fetchall()
    target.write([{"_op_type": "index", "_index": target.index("people"), "_id": str(row[0]),
                   "_source": person_source(row[0], row[1], bool(row[2]), row[3], references.get(row[0], []))}
                  for row in people])
    tracks = db.execute("SELECT id, video_id, shot, start, end, faces, usable, embedding, person_id FROM tracks")
    track_count = _write_rows(target, "tracks", tracks, lambda r: track_source(
        r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), vector(r[7]), r[8]))
    faces = db.execute(
        "SELECT f.id, f.item_id, i.kind, f.x0, f.y0, f.x1, f.y1, f.score, f.size, f.sharpness, f.usable, "
        "f.embedding, f.track_id, COALESCE(f.person_id, t.person_id) FROM faces f JOIN items i ON i.id = f.item_id "
        "LEFT JOIN tracks t ON t.id = f.track_id"
    )
    face_count = _write_rows(target, "faces", faces, lambda r: face_source(
        r[0], r[1], r[2], r[3:7], r[7], r[8], r[9], bool(r[10]), vector(r[11]), r[12], r[13]))
    forgotten = db.execute("SELECT embedding, forgotten_at FROM forgotten").fetchall()
    target.write([{"_op_type": "index", "_index": target.index("forgotten"),
                   "_source": {"embedding": encode_vector(vector(blob)), "forgotten_at": int(at * 1000)}}
                  for blob, at in forgotten])
    for sequence, table in (("people", "people"), ("tracks", "tracks"), ("faces", "faces")):
        target.advance(sequence, db.execute(f"SELECT COALESCE(max(id), 0) FROM {table}").fetchone()[0])
    return len(people), track_count, face_count


def _write_rows(target: EsDocumentStore, kind: str, cursor, to_source) -> int:
    count = 0
    while rows := cursor.fetchmany(CHUNK):
        target.write([{"_op_type": "index", "_index": target.index(kind), "_id": str(row[0]),
                       "_source": to_source(row)} for row in rows])
        count += len(rows)
    return count
