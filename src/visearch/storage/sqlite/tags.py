"""Tags and their segments in the embedded store (the same SQLite file as the documents)."""
from __future__ import annotations

import json
import time
from typing import Sequence

from visearch.errors import N_
from visearch.storage.codec import chunks
from visearch.storage.tags import TagExistsError, TagRecord, TagSegment
from visearch.storage.sqlite.database import MAX_PARAMETERS, Database, placeholders

TAGS_SCHEMA = 4  # the schema step that made the tables: an older file opened read-only has none


class SqliteTagStore:
    def __init__(self, database: Database) -> None:
        self._db = database.connection  # the document store's connection and lock: one file, one writer
        self._lock = database.lock
        self._present = database.schema_version >= TAGS_SCHEMA

    def create_tag(self, name: str, query: dict, threshold: float | None) -> int:
        with self._lock:
            taken = self._db.execute("SELECT name FROM tags WHERE name = ?", (name,)).fetchone()
            if taken:
                raise TagExistsError(N_("a tag named '%(taken)s' exists: pick another name, or --replace it"),
                                     code="tag_exists", taken=taken[0])
            cursor = self._db.execute("INSERT INTO tags (name, query, threshold, created_at) VALUES (?,?,?,?)",
                                      (name, json.dumps(query), threshold, time.time()))
            return cursor.lastrowid

    def delete_tag(self, tag_id: int) -> None:
        with self._lock:
            for table in ("tag_segments", "tag_videos"):
                self._db.execute(f"DELETE FROM {table} WHERE tag_id = ?", (tag_id,))
            self._db.execute("DELETE FROM tags WHERE id = ?", (tag_id,))

    def tags(self) -> list[TagRecord]:
        if not self._present:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT t.id, t.name, t.query, t.threshold, t.created_at, "
                "(SELECT COUNT(*) FROM tag_segments s WHERE s.tag_id = t.id), "
                "(SELECT COUNT(DISTINCT video_id) FROM tag_segments s WHERE s.tag_id = t.id) "
                "FROM tags t ORDER BY t.name").fetchall()
        return [TagRecord(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5], r[6]) for r in rows]

    def find_tag(self, name: str) -> TagRecord | None:
        return next((tag for tag in self.tags() if tag.name.lower() == name.lower()), None)

    def replace_segments(self, tag_id: int, video_ids: Sequence[int], segments: Sequence[TagSegment]) -> None:
        with self._lock:
            self._db.execute("SAVEPOINT replace_segments")
            try:
                for chunk in chunks(list(video_ids), MAX_PARAMETERS - 1):
                    marks = placeholders(chunk)
                    self._db.execute(f"DELETE FROM tag_segments WHERE tag_id = ? AND video_id IN ({marks})",
                                     (tag_id, *chunk))
                self._db.executemany(
                    "INSERT INTO tag_segments (tag_id, video_id, start, end, score, thumbnail_item, evidence) "
                    "VALUES (?,?,?,?,?,?,?)",
                    [(tag_id, s.video_id, s.start, s.end, s.score, s.thumbnail_item, json.dumps(s.evidence))
                     for s in segments])
                self._db.executemany("INSERT OR IGNORE INTO tag_videos (tag_id, video_id) VALUES (?,?)",
                                     [(tag_id, v) for v in video_ids])
            except BaseException:
                self._db.execute("ROLLBACK TO replace_segments")
                raise
            finally:
                self._db.execute("RELEASE replace_segments")

    def segments(self, tag_id: int | None = None, video_id: int | None = None) -> list[tuple[int, TagSegment]]:
        if not self._present:
            return []
        where, values = [], []
        if tag_id is not None:
            where.append("tag_id = ?")
            values.append(tag_id)
        if video_id is not None:
            where.append("video_id = ?")
            values.append(video_id)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT tag_id, video_id, start, end, score, thumbnail_item, evidence FROM tag_segments {clause} "
                "ORDER BY video_id, start", values).fetchall()
        return [(r[0], TagSegment(r[1], r[2], r[3], r[4], r[5], json.loads(r[6]))) for r in rows]

    def applied_videos(self, tag_id: int) -> set[int]:
        if not self._present:
            return set()
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT video_id FROM tag_videos WHERE tag_id = ?", (tag_id,))}

    def forget_videos(self, video_ids: Sequence[int]) -> None:
        if not self._present:
            return
        with self._lock:
            for chunk in chunks(list(video_ids), MAX_PARAMETERS):
                marks = placeholders(chunk)
                for table in ("tag_segments", "tag_videos"):
                    self._db.execute(f"DELETE FROM {table} WHERE video_id IN ({marks})", chunk)
