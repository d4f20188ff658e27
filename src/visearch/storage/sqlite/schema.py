"""The embedded store's schema: one SQL step per version, applied in order on open.

Documents and faces share one SQLite file (items.sqlite), so they share one schema.
"""
from __future__ import annotations

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
    # 3: "not this person": faces a person must never be given again (their identity vectors).
    """
    CREATE TABLE person_rejections (
        person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        embedding BLOB NOT NULL,
        rejected_at REAL NOT NULL
    );
    CREATE INDEX person_rejections_person ON person_rejections(person_id);
    """,
    # 4: tags (saved moment queries) and the video segments they matched.
    """
    CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        query TEXT NOT NULL,
        threshold REAL,
        created_at REAL NOT NULL
    );
    CREATE TABLE tag_segments (
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        video_id INTEGER NOT NULL,
        start REAL NOT NULL,
        end REAL NOT NULL,
        score REAL NOT NULL,
        thumbnail_item INTEGER,
        evidence TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX tag_segments_tag ON tag_segments(tag_id, video_id, start);
    CREATE INDEX tag_segments_video ON tag_segments(video_id);
    CREATE TABLE tag_videos (
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        video_id INTEGER NOT NULL,
        PRIMARY KEY (tag_id, video_id)
    );
    """,
    # 5: Korean as it is typed: one- and two-character pieces (우유, 컵: under a trigram), and Hangul's
    # initial consonants (ㅅㅇㅇㅇ) and jamo (for a one-jamo slip) of each item's text, filled by the store;
    # the other names products and people go by (카리나 = Karina), one per line.
    """
    CREATE VIRTUAL TABLE item_grams USING fts5(grams, tokenize = 'unicode61 remove_diacritics 0');
    CREATE VIRTUAL TABLE item_hangul USING fts5(initials, jamo, tokenize = 'trigram');
    ALTER TABLE products ADD COLUMN aliases TEXT NOT NULL DEFAULT '';
    ALTER TABLE people ADD COLUMN aliases TEXT NOT NULL DEFAULT '';
    ALTER TABLE items ADD COLUMN ocr_engine TEXT NOT NULL DEFAULT '';
    """,
    # 6: text on screen as spans (indexer/text_spans.py): each string from when it appeared to when it went.
    """
    CREATE TABLE text_spans (
        video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start REAL NOT NULL,
        end REAL NOT NULL,
        text TEXT NOT NULL,
        box TEXT NOT NULL,
        confidence REAL NOT NULL,
        shot INTEGER NOT NULL,
        PRIMARY KEY (video_id, idx)
    );
    """,
    # 7: a product's other catalogue columns (description, ingredients, the pack's text): [[name, value], …],
    # and the side of the pack each of its images shows: [[path, view], …]
    """
    ALTER TABLE products ADD COLUMN details TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE products ADD COLUMN views TEXT NOT NULL DEFAULT '[]';
    """,
    # 8: when a photo or video was taken (EXIF, the container's creation time; indexer/taken.py), ISO 8601;
    # '' unknown, and files indexed before this version: the pages fall back to the file's date and say so
    """
    ALTER TABLE items ADD COLUMN taken TEXT NOT NULL DEFAULT '';
    ALTER TABLE videos ADD COLUMN taken TEXT NOT NULL DEFAULT '';
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)
TEXT_FORMS_SINCE = 5  # a file migrated from before this version has its text forms filled on open
