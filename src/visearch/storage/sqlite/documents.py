"""The embedded document store: SQLite in WAL mode, FTS5 with the trigram tokenizer.

Trigrams let `2040` find `AX-2040PRO` and match Chinese or Korean inside a
line without a word segmenter. Their limit is three characters: shorter terms
fall back to a LIKE scan over the compact text.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

from visearch.indexer.records import Failure, OcrLine, Product
from visearch.indexer.text_spans import TextSpan
from visearch.storage.documents import FileState, ItemDoc, TextHit, VideoDoc
from visearch.storage.browse import BrowsePage, BrowseQuery
from visearch.storage.codec import chunks
from visearch.storage.sqlite import text
from visearch.storage.sqlite.browse import browse_filter
from visearch.storage.sqlite.schema import TEXT_FORMS_SINCE
from visearch.storage.sqlite.database import MAX_PARAMETERS, Database



_ITEM_FIELDS = ("kind", "path", "sha256", "size", "mtime_ns", "format", "width", "height", "source", "thumbnail",
                "added_at", "video_id", "time", "shot", "keyframe", "ocr_engine", "taken")
_ITEM_COLUMNS = ", ".join(("id", *_ITEM_FIELDS))
_ITEM_INSERT = f"INSERT INTO items ({_ITEM_COLUMNS}) VALUES ({', '.join('?' * (len(_ITEM_FIELDS) + 1))})"
_ITEM_UPDATE = ", ".join(f"{name}=excluded.{name}" for name in _ITEM_FIELDS if name != "added_at")  # first added
_VIDEO_COLUMNS = (
    "id, path, sha256, size, mtime_ns, format, duration, fps, width, height, codec, rotation, error, source, "
    "added_at, taken"
)


class SqliteDocumentStore:
    backend = "sqlite"

    def __init__(self, database: Database | Path, *, read_only: bool = False) -> None:
        """Open `items.sqlite` (a path), or share an open `Database` with the face store."""
        self.database = database if isinstance(database, Database) else Database(database, read_only=read_only)
        self.path = self.database.path
        self._db = self.database.connection
        self._lock = self.database.lock
        if self.database.migrated_from < TEXT_FORMS_SINCE and not self.database.read_only:
            with self._lock:
                text.fill_missing(self._db)
                self.database.commit()

    @property
    def schema_version(self) -> int:
        return self.database.schema_version

    # -- items

    def upsert(self, items: Sequence[ItemDoc]) -> list[int]:
        ids = []
        with self._lock:
            for item in items:
                values = (item.kind, item.path, item.sha256, item.size, item.mtime_ns, item.format,
                          item.width, item.height, item.source, item.thumbnail, item.added_at or time.time(),
                          item.video_id, item.time, item.shot, int(item.keyframe), item.ocr_engine, item.taken)
                if item.id is None:
                    item.id = self._db.execute(_ITEM_INSERT, (None, *values)).lastrowid
                else:
                    self._db.execute(f"{_ITEM_INSERT} ON CONFLICT(id) DO UPDATE SET {_ITEM_UPDATE}", (item.id, *values))
                    self._db.execute("DELETE FROM ocr_lines WHERE item_id = ?", (item.id,))
                self._db.executemany(
                    "INSERT INTO ocr_lines (item_id, line_no, text, box, confidence) VALUES (?, ?, ?, ?, ?)",
                    [(item.id, n, line.text, json.dumps(line.box), line.confidence) for n, line in enumerate(item.ocr)],
                )
                ids.append(item.id)
            self._refresh_text(ids)
        return ids

    def get(self, ids: Sequence[int]) -> dict[int, ItemDoc]:
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        with self._lock:
            items = {}
            for chunk in chunks(ids, MAX_PARAMETERS):
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id IN ({marks})", chunk):
                    items[row["id"]] = _item_from_row(row)
                for row in self._db.execute(
                    f"SELECT item_id, text, box, confidence FROM ocr_lines WHERE item_id IN ({marks}) "
                    "ORDER BY item_id, line_no",
                    chunk,
                ):
                    box = tuple(tuple(point) for point in json.loads(row["box"]))
                    items[row["item_id"]].ocr.append(OcrLine(row["text"], box, row["confidence"]))
        return items

    def delete(self, ids: Sequence[int]) -> None:
        with self._lock:
            for chunk in chunks([int(i) for i in ids], MAX_PARAMETERS):
                marks = ",".join("?" * len(chunk))
                self._db.execute(f"DELETE FROM items WHERE id IN ({marks})", chunk)
                self._db.execute(f"DELETE FROM item_text WHERE rowid IN ({marks})", chunk)

    def item_ids(self, video_id: int | None = None) -> list[int]:
        with self._lock:
            if video_id is None:
                return [row[0] for row in self._db.execute("SELECT id FROM items")]
            return [row[0] for row in self._db.execute("SELECT id FROM items WHERE video_id = ?", (video_id,))]

    def file_states(self) -> Iterator[FileState]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, path, size, mtime_ns, sha256, 'image' FROM items WHERE kind = 'image' "
                "UNION ALL SELECT id, path, size, mtime_ns, sha256, 'video' FROM videos"
            ).fetchall()
        for row in rows:
            yield FileState(row[0], row[1], row[2], row[3], row[4], row[5])

    def find_by_sha256(self, sha256: str) -> list[ItemDoc]:
        with self._lock:
            ids = [row[0] for row in self._db.execute("SELECT id FROM items WHERE sha256 = ?", (sha256,))]
        return list(self.get(ids).values())

    def update_file(self, item_id: int, path: str, size: int, mtime_ns: int, source: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE items SET path = ?, size = ?, mtime_ns = ?, source = ? WHERE id = ?",
                (path, size, mtime_ns, source, item_id),
            )
            self._refresh_text([item_id])  # the new path may join a different product

    def ocr_engines(self) -> dict[str, int]:
        with self._lock:
            return {row[0]: row[1] for row in self._db.execute(
                "SELECT ocr_engine, count(*) FROM items GROUP BY ocr_engine")}

    # -- videos

    def upsert_video(self, video: VideoDoc) -> int:
        with self._lock:
            values = (video.path, video.sha256, video.size, video.mtime_ns, video.format, video.duration, video.fps,
                      video.width, video.height, video.codec, video.rotation, video.error, video.source,
                      video.added_at or time.time(), video.taken)
            marks = ",".join("?" * (len(values) + 1))
            if video.id is None:
                video.id = self._db.execute(f"INSERT INTO videos ({_VIDEO_COLUMNS}) VALUES ({marks})",
                                            (None, *values)).lastrowid
            else:
                updates = ", ".join(f"{name} = excluded.{name}" for name in _VIDEO_COLUMNS.split(", ")[1:])
                self._db.execute(f"INSERT INTO videos ({_VIDEO_COLUMNS}) VALUES ({marks}) "
                                 f"ON CONFLICT(id) DO UPDATE SET {updates}", (video.id, *values))  # frames stay
                self._db.execute("DELETE FROM shots WHERE video_id = ?", (video.id,))
                self._db.execute("DELETE FROM text_spans WHERE video_id = ?", (video.id,))
            self._db.executemany(
                "INSERT INTO shots (video_id, idx, start, end) VALUES (?, ?, ?, ?)",
                [(video.id, number, start, end) for number, (start, end) in enumerate(video.shots)],
            )
            self._db.executemany(
                "INSERT INTO text_spans (video_id, idx, start, end, text, box, confidence, shot) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(video.id, number, span.start, span.end, span.text, json.dumps(list(span.box)), span.confidence,
                  span.shot) for number, span in enumerate(video.text_spans)],
            )
        return video.id

    def get_videos(self, ids: Sequence[int]) -> dict[int, VideoDoc]:
        videos: dict[int, VideoDoc] = {}
        with self._lock:
            for chunk in chunks([int(i) for i in ids], MAX_PARAMETERS):
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(f"SELECT {_VIDEO_COLUMNS} FROM videos WHERE id IN ({marks})", chunk):
                    videos[row["id"]] = VideoDoc(**{key: row[key] for key in row.keys()})
                for row in self._db.execute(
                    f"SELECT video_id, start, end FROM shots WHERE video_id IN ({marks}) ORDER BY video_id, idx", chunk
                ):
                    videos[row[0]].shots.append((row[1], row[2]))
                for row in self._db.execute(
                    "SELECT video_id, text, box, confidence, start, end, shot FROM text_spans "
                    f"WHERE video_id IN ({marks}) ORDER BY video_id, idx", chunk
                ):
                    videos[row[0]].text_spans.append(TextSpan(row[1], tuple(json.loads(row[2])), *row[3:]))
        return videos

    def delete_video(self, video_id: int) -> list[int]:
        with self._lock:
            frames = [row[0] for row in self._db.execute("SELECT id FROM items WHERE video_id = ?", (video_id,))]
            self.delete(frames)
            self._db.execute("DELETE FROM videos WHERE id = ?", (video_id,))
        return frames

    def frames_of(self, video_id: int) -> list[ItemDoc]:
        with self._lock:
            ids = [row[0] for row in self._db.execute(
                "SELECT id FROM items WHERE video_id = ? ORDER BY time", (video_id,))]
        items = self.get(ids)
        return [items[i] for i in ids]

    def update_video_file(self, video_id: int, path: str, size: int, mtime_ns: int, source: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE videos SET path = ?, size = ?, mtime_ns = ?, source = ? WHERE id = ?",
                (path, size, mtime_ns, source, video_id),
            )
            self._db.execute("UPDATE items SET path = ?, source = ? WHERE video_id = ?", (path, source, video_id))

    # -- text

    def text_search(self, terms: Sequence[str], limit: int) -> list[TextHit]:
        with self._lock:
            return text.text_search(self._db, terms, limit)

    def initials_search(self, letters: str, limit: int) -> list[TextHit]:
        with self._lock:
            return text.initials_search(self._db, letters, limit)

    def near_search(self, terms: Sequence[str], limit: int) -> list[TextHit]:
        with self._lock:
            return text.near_search(self._db, terms, limit)

    def _refresh_text(self, ids: Sequence[int]) -> None:
        text.refresh_text(self._db, ids)

    # -- browsing

    def browse(self, query: BrowseQuery) -> BrowsePage:
        clause, args = browse_filter(query)
        order = {"added": "i.added_at", "name": "i.path"}[query.sort]
        direction = "DESC" if query.descending else "ASC"
        with self._lock:
            total = self._db.execute(f"SELECT count(*) FROM items i {clause}", args).fetchone()[0]
            ids = [row[0] for row in self._db.execute(
                f"SELECT i.id FROM items i {clause} ORDER BY {order} {direction}, i.time, i.id LIMIT ? OFFSET ?",
                [*args, query.per_page, (query.page - 1) * query.per_page],
            )]
            facets = {
                "brand": [r[0] for r in self._db.execute(
                    "SELECT DISTINCT brand FROM products WHERE brand != '' ORDER BY brand")],
                "category": [r[0] for r in self._db.execute(
                    "SELECT DISTINCT category FROM products WHERE category != '' ORDER BY category")],
                "source": [r[0] for r in self._db.execute("SELECT DISTINCT source FROM items ORDER BY source")],
            }
        return BrowsePage(ids, total, query, facets)

    # -- catalogue

    def upsert_products(self, products: Sequence[Product]) -> None:
        with self._lock:
            for product in products:
                self._db.execute(
                    "INSERT INTO products (sku, title, brand, price, currency, url, category, aliases, details, views) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sku) DO UPDATE SET title=excluded.title, "
                    "brand=excluded.brand, price=excluded.price, currency=excluded.currency, url=excluded.url, "
                    "category=excluded.category, aliases=excluded.aliases, details=excluded.details, "
                    "views=excluded.views",
                    (product.sku, product.title, product.brand, product.price, product.currency, product.url,
                     product.category, "\n".join(product.aliases), json.dumps(product.details, ensure_ascii=False),
                     json.dumps(product.views, ensure_ascii=False)),
                )
                self._db.execute("DELETE FROM product_images WHERE sku = ?", (product.sku,))
                self._db.executemany(
                    "INSERT OR IGNORE INTO product_images (sku, path) VALUES (?, ?)",
                    [(product.sku, str(path)) for path in product.images],
                )
            paths = sorted({str(path) for product in products for path in product.images})
            ids = []
            for chunk in chunks(paths, MAX_PARAMETERS):
                marks = ",".join("?" * len(chunk))
                ids += [row[0] for row in self._db.execute(f"SELECT id FROM items WHERE path IN ({marks})", chunk)]
            self._refresh_text(ids)

    def products_for(self, ids: Sequence[int]) -> dict[int, Product]:
        found: dict[int, Product] = {}
        with self._lock:
            for chunk in chunks([int(i) for i in ids], MAX_PARAMETERS):
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(
                    f"SELECT items.id, p.* FROM items JOIN product_images pi ON pi.path = items.path "
                    f"JOIN products p ON p.sku = pi.sku WHERE items.id IN ({marks}) ORDER BY p.sku",
                    chunk,
                ):
                    found.setdefault(row["id"], _product_from_row(row))
        return found

    def products(self) -> list[Product]:
        with self._lock:
            images: dict[str, list[Path]] = {}
            for sku, path in self._db.execute("SELECT sku, path FROM product_images ORDER BY sku, path"):
                images.setdefault(sku, []).append(Path(path))
            rows = self._db.execute("SELECT * FROM products ORDER BY sku").fetchall()
        return [replace(_product_from_row(row), images=tuple(images.get(row["sku"], ()))) for row in rows]

    # -- failures

    def record_failures(self, failures: Sequence[Failure]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT INTO failures (path, reason, failed_at) VALUES (?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET reason=excluded.reason, failed_at=excluded.failed_at",
                [(str(f.path), f.reason, time.time()) for f in failures],
            )

    def clear_failures(self, paths: Sequence[str]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM failures WHERE path = ?", [(str(p),) for p in paths])

    def failures(self) -> list[Failure]:
        with self._lock:
            rows = self._db.execute("SELECT path, reason FROM failures ORDER BY path").fetchall()
        return [Failure(Path(row[0]), row[1]) for row in rows]

    # -- housekeeping

    def counts(self) -> dict[str, int]:
        with self._lock:
            one = lambda sql: self._db.execute(sql).fetchone()[0]  # noqa: E731
            return {
                "items": one("SELECT count(*) FROM items"),
                "images": one("SELECT count(*) FROM items WHERE kind = 'image'"),
                "videos": one("SELECT count(*) FROM videos"),
                "frames": one("SELECT count(*) FROM items WHERE kind = 'frame'"),
                "faces": one("SELECT count(*) FROM faces"),
                "faces_without_person": one(
                    "SELECT count(*) FROM faces f LEFT JOIN tracks t ON t.id = f.track_id "
                    "WHERE COALESCE(f.person_id, t.person_id) IS NULL"
                ),
                "people": one("SELECT count(*) FROM people"),
                "text_lines": one("SELECT count(*) FROM ocr_lines"),
                "items_with_text": one("SELECT count(DISTINCT item_id) FROM ocr_lines"),
                "products": one("SELECT count(*) FROM products"),
                "failures": one("SELECT count(*) FROM failures"),
            }

    def reserve_ids(self, sequence: str, at_least: int) -> None:
        """Nothing to do: SQLite gives a new row max(id) + 1, above any id copied in."""

    def commit(self) -> None:
        self.database.commit()

    def close(self) -> None:
        self.database.close()



def _item_from_row(row: sqlite3.Row) -> ItemDoc:
    return ItemDoc(
        id=row["id"], kind=row["kind"], path=row["path"], sha256=row["sha256"], size=row["size"],
        mtime_ns=row["mtime_ns"], format=row["format"], width=row["width"], height=row["height"],
        source=row["source"], thumbnail=row["thumbnail"], added_at=row["added_at"],
        video_id=row["video_id"], time=row["time"], shot=row["shot"], keyframe=bool(row["keyframe"]),
        ocr_engine=row["ocr_engine"], taken=row["taken"],
    )


def _product_from_row(row: sqlite3.Row) -> Product:
    return Product(
        sku=row["sku"], title=row["title"], brand=row["brand"], price=row["price"],
        currency=row["currency"], url=row["url"], category=row["category"],
        aliases=tuple(a for a in (row["aliases"] or "").split("\n") if a),
        details=tuple((str(name), str(value)) for name, value in json.loads(row["details"] or "[]")),
        views=tuple((str(path), str(view)) for path, view in json.loads(row["views"] or "[]")),
    )
