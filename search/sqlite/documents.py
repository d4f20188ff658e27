"""The embedded document store: SQLite in WAL mode, FTS5 with the trigram tokenizer.

Trigrams let `2040` find `AX-2040PRO` and match Chinese or Korean inside a
line without a word segmenter. Their limit is three characters: shorter terms
fall back to a LIKE scan over the compact text.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

from indexer.records import Failure, OcrLine, Product
from indexer.text import compact
from search.documents import FileState, ItemDoc, TextHit, VideoDoc
from search.browse import BrowsePage, BrowseQuery
from search.ranking import rank_text_matches

# Each entry upgrades the schema by one version; never edit a shipped step, append one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'image',
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        mtime_ns INTEGER NOT NULL DEFAULT 0,
        format TEXT NOT NULL DEFAULT '',
        width INTEGER NOT NULL DEFAULT 0,
        height INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL DEFAULT '',
        thumbnail TEXT NOT NULL DEFAULT '',
        added_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX items_image_path ON items(path) WHERE kind = 'image';
    CREATE INDEX items_sha256 ON items(sha256);
    CREATE TABLE ocr_lines (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        line_no INTEGER NOT NULL,
        text TEXT NOT NULL,
        box TEXT NOT NULL,
        confidence REAL NOT NULL,
        PRIMARY KEY (item_id, line_no)
    );
    CREATE VIRTUAL TABLE item_text USING fts5(
        ocr, ocr_compact, catalog, catalog_compact, tokenize = 'trigram'
    );
    CREATE TABLE products (
        sku TEXT PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        brand TEXT NOT NULL DEFAULT '',
        price REAL,
        currency TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE product_images (
        sku TEXT NOT NULL REFERENCES products(sku) ON DELETE CASCADE,
        path TEXT NOT NULL,
        PRIMARY KEY (sku, path)
    );
    CREATE INDEX product_images_path ON product_images(path);
    CREATE TABLE failures (
        path TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        failed_at REAL NOT NULL
    );
    """,
    # 2: videos, their shots and frames (frames are items), faces, tracks and people.
    """
    CREATE TABLE videos (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        mtime_ns INTEGER NOT NULL DEFAULT 0,
        format TEXT NOT NULL DEFAULT '',
        duration REAL NOT NULL DEFAULT 0,
        fps REAL NOT NULL DEFAULT 0,
        width INTEGER NOT NULL DEFAULT 0,
        height INTEGER NOT NULL DEFAULT 0,
        codec TEXT NOT NULL DEFAULT '',
        rotation INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        added_at REAL NOT NULL
    );
    CREATE INDEX videos_sha256 ON videos(sha256);
    CREATE TABLE shots (
        video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start REAL NOT NULL,
        end REAL NOT NULL,
        PRIMARY KEY (video_id, idx)
    );
    ALTER TABLE items ADD COLUMN video_id INTEGER REFERENCES videos(id) ON DELETE CASCADE;
    ALTER TABLE items ADD COLUMN time REAL;
    ALTER TABLE items ADD COLUMN shot INTEGER;
    ALTER TABLE items ADD COLUMN keyframe INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX items_video ON items(video_id, time);
    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        hidden INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE TABLE person_references (
        person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        embedding BLOB NOT NULL
    );
    CREATE TABLE tracks (
        id INTEGER PRIMARY KEY,
        video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        shot INTEGER NOT NULL,
        start REAL NOT NULL,
        end REAL NOT NULL,
        faces INTEGER NOT NULL,
        usable INTEGER NOT NULL,
        embedding BLOB NOT NULL,
        person_id INTEGER REFERENCES people(id) ON DELETE SET NULL
    );
    CREATE INDEX tracks_person ON tracks(person_id);
    CREATE TABLE faces (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
        score REAL NOT NULL,
        size REAL NOT NULL,
        sharpness REAL NOT NULL,
        usable INTEGER NOT NULL,
        embedding BLOB NOT NULL,
        track_id INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
        person_id INTEGER REFERENCES people(id) ON DELETE SET NULL
    );
    CREATE INDEX faces_item ON faces(item_id);
    CREATE INDEX faces_person ON faces(person_id);
    CREATE INDEX faces_track ON faces(track_id);
    CREATE TABLE forgotten (
        id INTEGER PRIMARY KEY,
        embedding BLOB NOT NULL,
        forgotten_at REAL NOT NULL
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

_ITEM_COLUMNS = (
    "id, kind, path, sha256, size, mtime_ns, format, width, height, source, thumbnail, added_at, "
    "video_id, time, shot, keyframe"
)
_VIDEO_COLUMNS = (
    "id, path, sha256, size, mtime_ns, format, duration, fps, width, height, codec, rotation, error, source, added_at"
)


class SchemaTooNewError(RuntimeError):
    pass


class SqliteDocumentStore:
    backend = "sqlite"

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        uri = f"file:{self.path}?mode=ro" if read_only else f"file:{self.path}"
        # One connection shared by threads (web workers); the lock serialises use of it.
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._db.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"{self.path} has schema version {version}; this visearch knows up to {SCHEMA_VERSION}: upgrade it"
            )
        for step in range(version, SCHEMA_VERSION):
            with self._db:
                self._db.executescript(f"BEGIN; {MIGRATIONS[step]} PRAGMA user_version = {step + 1}; COMMIT;")

    # -- items

    def upsert(self, items: Sequence[ItemDoc]) -> list[int]:
        ids = []
        with self._lock:
            for item in items:
                values = (item.kind, item.path, item.sha256, item.size, item.mtime_ns, item.format,
                          item.width, item.height, item.source, item.thumbnail, item.added_at or time.time(),
                          item.video_id, item.time, item.shot, int(item.keyframe))
                if item.id is None:
                    cursor = self._db.execute(
                        "INSERT INTO items (kind, path, sha256, size, mtime_ns, format, width, height, source, "
                        "thumbnail, added_at, video_id, time, shot, keyframe) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        values,
                    )
                    item.id = cursor.lastrowid
                else:
                    self._db.execute(
                        "INSERT INTO items (id, kind, path, sha256, size, mtime_ns, format, width, height, source, "
                        "thumbnail, added_at, video_id, time, shot, keyframe) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET kind=excluded.kind, path=excluded.path, "
                        "sha256=excluded.sha256, size=excluded.size, mtime_ns=excluded.mtime_ns, "
                        "format=excluded.format, width=excluded.width, height=excluded.height, "
                        "source=excluded.source, thumbnail=excluded.thumbnail, video_id=excluded.video_id, "
                        "time=excluded.time, shot=excluded.shot, keyframe=excluded.keyframe",
                        (item.id, *values),
                    )
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
            for chunk in _chunks(ids):
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
            for chunk in _chunks([int(i) for i in ids]):
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

    # -- videos

    def upsert_video(self, video: VideoDoc) -> int:
        with self._lock:
            values = (video.path, video.sha256, video.size, video.mtime_ns, video.format, video.duration, video.fps,
                      video.width, video.height, video.codec, video.rotation, video.error, video.source,
                      video.added_at or time.time())
            if video.id is None:
                cursor = self._db.execute(
                    f"INSERT INTO videos ({_VIDEO_COLUMNS.partition(', ')[2]}) VALUES ({','.join('?' * 14)})", values
                )
                video.id = cursor.lastrowid
            else:
                self._db.execute(f"INSERT OR REPLACE INTO videos ({_VIDEO_COLUMNS}) VALUES ({','.join('?' * 15)})",
                                 (video.id, *values))
                self._db.execute("DELETE FROM shots WHERE video_id = ?", (video.id,))
            self._db.executemany(
                "INSERT INTO shots (video_id, idx, start, end) VALUES (?, ?, ?, ?)",
                [(video.id, number, start, end) for number, (start, end) in enumerate(video.shots)],
            )
        return video.id

    def get_videos(self, ids: Sequence[int]) -> dict[int, VideoDoc]:
        videos: dict[int, VideoDoc] = {}
        with self._lock:
            for chunk in _chunks([int(i) for i in ids]):
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(f"SELECT {_VIDEO_COLUMNS} FROM videos WHERE id IN ({marks})", chunk):
                    videos[row["id"]] = VideoDoc(**{key: row[key] for key in row.keys()})
                for row in self._db.execute(
                    f"SELECT video_id, start, end FROM shots WHERE video_id IN ({marks}) ORDER BY video_id, idx", chunk
                ):
                    videos[row[0]].shots.append((row[1], row[2]))
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
        terms = [t for t in dict.fromkeys(compact(t) for t in terms) if t]
        if not terms or limit <= 0:
            return []
        candidates: set[int] = set()
        with self._lock:
            long_terms = [t for t in terms if len(t) >= 3]
            if long_terms:
                query = " OR ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
                rows = self._db.execute(
                    "SELECT rowid FROM item_text WHERE item_text MATCH ? ORDER BY bm25(item_text) LIMIT ?",
                    (query, limit * 20),
                )
                candidates.update(row[0] for row in rows)
            for term in (t for t in terms if len(t) < 3):  # under a trigram: scan
                pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                rows = self._db.execute(
                    "SELECT rowid FROM item_text WHERE ocr_compact LIKE ? ESCAPE '\\' "
                    "OR catalog_compact LIKE ? ESCAPE '\\' LIMIT ?",
                    (pattern, pattern, limit * 20),
                )
                candidates.update(row[0] for row in rows)
            texts = {}
            for chunk in _chunks(sorted(candidates)):
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(
                    f"SELECT rowid, ocr_compact, catalog_compact FROM item_text WHERE rowid IN ({marks})", chunk
                ):
                    texts[row[0]] = row[1] + "\n" + row[2]
        return [TextHit(i, s, t) for i, s, t in rank_text_matches(terms, texts)[:limit]]

    def _refresh_text(self, ids: Sequence[int]) -> None:
        """Rebuild the full-text rows of items from their OCR lines and catalogue products."""
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            self._db.execute(f"DELETE FROM item_text WHERE rowid IN ({marks})", chunk)
            ocr = {i: [] for i in chunk}
            for row in self._db.execute(
                f"SELECT item_id, text FROM ocr_lines WHERE item_id IN ({marks}) ORDER BY item_id, line_no", chunk
            ):
                ocr[row[0]].append(row[1])
            catalog = {i: [] for i in chunk}
            for row in self._db.execute(
                f"SELECT items.id, p.sku, p.title, p.brand, p.category FROM items "
                f"JOIN product_images pi ON pi.path = items.path JOIN products p ON p.sku = pi.sku "
                f"WHERE items.id IN ({marks})",
                chunk,
            ):
                catalog[row[0]] += [value for value in row[1:] if value]
            self._db.executemany(
                "INSERT INTO item_text (rowid, ocr, ocr_compact, catalog, catalog_compact) VALUES (?, ?, ?, ?, ?)",
                [
                    (i, "\n".join(ocr[i]), "\n".join(map(compact, ocr[i])),
                     "\n".join(catalog[i]), "\n".join(map(compact, catalog[i])))
                    for i in chunk
                    if ocr[i] or catalog[i]
                ],
            )

    # -- browsing

    def browse(self, query: BrowseQuery) -> BrowsePage:
        where, args = [], []
        if query.kind:
            where.append("i.kind = ?")
            args.append(query.kind)
        person_of = ("EXISTS (SELECT 1 FROM faces f LEFT JOIN tracks t ON t.id = f.track_id "
                     "WHERE f.item_id = i.id AND COALESCE(f.person_id, t.person_id) = ?)")
        if query.people:
            joined = f" {query.person_mode.upper()} ".join([person_of] * len(query.people))
            where.append(f"({joined})")
            args += list(query.people)
        for person in query.not_people:
            where.append(f"NOT {person_of}")
            args.append(person)
        if query.has_text is not None:
            where.append(("" if query.has_text else "NOT ") + "EXISTS (SELECT 1 FROM ocr_lines o WHERE o.item_id = i.id)")
        if query.text:
            term = compact(query.text)
            pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("i.id IN (SELECT rowid FROM item_text WHERE ocr_compact LIKE ? ESCAPE '\\' "
                         "OR catalog_compact LIKE ? ESCAPE '\\')")
            args += [pattern, pattern]
        for column, value in (("brand", query.brand), ("category", query.category)):
            if value:
                where.append(f"EXISTS (SELECT 1 FROM product_images pi JOIN products p ON p.sku = pi.sku "
                             f"WHERE pi.path = i.path AND lower(p.{column}) = lower(?))")
                args.append(value)
        if query.source:
            where.append("(i.source = ? OR i.source LIKE ? ESCAPE '\\')")
            folder = query.source.rstrip("/")
            args += [folder, folder.replace("%", "\\%").replace("_", "\\_") + "/%"]
        clause = ("WHERE " + " AND ".join(where)) if where else ""
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
                    "INSERT INTO products (sku, title, brand, price, currency, url, category) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sku) DO UPDATE SET title=excluded.title, "
                    "brand=excluded.brand, price=excluded.price, currency=excluded.currency, url=excluded.url, "
                    "category=excluded.category",
                    (product.sku, product.title, product.brand, product.price, product.currency, product.url,
                     product.category),
                )
                self._db.execute("DELETE FROM product_images WHERE sku = ?", (product.sku,))
                self._db.executemany(
                    "INSERT OR IGNORE INTO product_images (sku, path) VALUES (?, ?)",
                    [(product.sku, str(path)) for path in product.images],
                )
            paths = sorted({str(path) for product in products for path in product.images})
            ids = []
            for chunk in _chunks(paths):
                marks = ",".join("?" * len(chunk))
                ids += [row[0] for row in self._db.execute(f"SELECT id FROM items WHERE path IN ({marks})", chunk)]
            self._refresh_text(ids)

    def products_for(self, ids: Sequence[int]) -> dict[int, Product]:
        found: dict[int, Product] = {}
        with self._lock:
            for chunk in _chunks([int(i) for i in ids]):
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

    def commit(self) -> None:
        with self._lock:
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.commit()
            self._db.close()


def _chunks(values: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _item_from_row(row: sqlite3.Row) -> ItemDoc:
    return ItemDoc(
        id=row["id"], kind=row["kind"], path=row["path"], sha256=row["sha256"], size=row["size"],
        mtime_ns=row["mtime_ns"], format=row["format"], width=row["width"], height=row["height"],
        source=row["source"], thumbnail=row["thumbnail"], added_at=row["added_at"],
        video_id=row["video_id"], time=row["time"], shot=row["shot"], keyframe=bool(row["keyframe"]),
    )


def _product_from_row(row: sqlite3.Row) -> Product:
    return Product(
        sku=row["sku"], title=row["title"], brand=row["brand"], price=row["price"],
        currency=row["currency"], url=row["url"], category=row["category"],
    )
