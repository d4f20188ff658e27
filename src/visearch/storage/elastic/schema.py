"""Elasticsearch index settings, mappings and queries, as pure functions of plain values.

Nothing here talks to a server, so every body is unit-tested against the JSON
that ES documents. One index per kind of record, each behind an alias:
`{prefix}-items` points at `{prefix}-items-v{N}`; a mapping change bumps
`SCHEMA_VERSION`, creates the next index, reindexes and swaps the alias.

Supported servers: Elasticsearch 8.12+ and 9.x. `int8_hnsw` dense vectors
exist from 8.12 and the `knn` search option from 8.4; the `wildcard` field type
and the `cjk` analyzer are in the free distribution. The Python client must not
be a major ahead of the server (a 9.x client sends `compatible-with=9`, which an
8.x server refuses): `visearch[es8]` or `visearch[es9]` (see session.py).

CLIP vectors live in their own `vectors` index, never on item documents: items
get partial updates (people, moves, catalogue fields) and a schema bump
reindexes them, and both rebuild a document from `_source`. A vector left out of
`_source` would silently vanish; one kept in the items' `_source` would ride on
every hit. Vector documents are only ever written whole, and keep `clip` in
`_source` so a reindex carries it (9.2+ hides vectors from `_source` in
responses by default but still rehydrates them for reindex and updates).
"""
from __future__ import annotations

from typing import Sequence

from visearch.storage.browse import BrowseQuery

# v2: CLIP vectors moved from items to the `vectors` index (v1 lost them to partial updates);
# people carry the faces rejected from them.
# v3: Korean as it is typed: items carry their one- and two-character pieces (`grams`), initial consonants
# (`initials`) and jamo (`jamo`); products and people their aliases. Documents copied by the upgrade get
# these forms when they are written again (`visearch index --reocr` rewrites every item).
# v4: videos carry their text spans (each string on screen, when); videos copied by the upgrade have none
# until indexed again, and moments read their frames meanwhile.
# v5: products carry the catalogue's other columns (`details`: name and text), searchable with the product,
# and the side of the pack each of their images shows (`views`).
# v6: items and videos carry when they were taken (`taken`, ISO 8601 from EXIF or the container; "" unknown).
SCHEMA_VERSION = 6
KINDS = ("vectors", "items", "videos", "products", "faces", "tracks", "people", "forgotten", "failures", "meta",
         "tags", "tag_segments", "tag_videos")

# Compact text (lower-cased, no whitespace, as `visearch.text.normalise.compact` makes it) cut into trigrams:
# `2040` finds `AX-2040PRO`, `北京饭店` finds a longer Chinese line; like the SQLite store's FTS5 trigrams.
ANALYSIS = {
    "char_filter": {
        "visearch_no_space": {"type": "pattern_replace", "pattern": "\\s+", "replacement": "",
                              "flags": "UNICODE_CHARACTER_CLASS"},
    },
    "tokenizer": {
        "visearch_trigram": {"type": "ngram", "min_gram": 3, "max_gram": 3, "token_chars": []},
    },
    "analyzer": {
        "visearch_compact": {
            "type": "custom",
            "char_filter": ["visearch_no_space"],
            "tokenizer": "visearch_trigram",
            "filter": ["cjk_width", "lowercase", "asciifolding"],  # full-width forms, case, accents
        },
        # Jamo strings are computed in Python (visearch.text.hangul.jamo): only cut into trigrams here.
        "visearch_jamo": {"type": "custom", "tokenizer": "visearch_trigram"},
    },
    "normalizer": {
        "visearch_lower": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
    },
}


def _cjk_text() -> dict:
    """Readable text: `cjk` bigrams for Chinese/Japanese/Korean, plus the compact trigram sub-field."""
    return {"type": "text", "analyzer": "cjk", "fields": {"compact": {"type": "text", "analyzer": "visearch_compact"}}}


KEYWORD = {"type": "keyword"}
STORED_ONLY = {"type": "object", "enabled": False}  # kept in _source, never indexed
BINARY = {"type": "binary"}  # base64 float32 vectors (face identities): read back, never searched


DATE = {"type": "date", "format": "epoch_millis"}
LONG, INTEGER, DOUBLE, FLOAT, BOOLEAN = ({"type": kind} for kind in ("long", "integer", "double", "float", "boolean"))
LOWER_KEYWORD = {"type": "keyword", "normalizer": "visearch_lower"}

PROPERTIES: dict[str, dict[str, dict]] = {
    "vectors": {"id": LONG},  # + "clip" once the library knows its dimension
    "items": {
        "id": LONG, "kind": KEYWORD, "path": KEYWORD, "sha256": KEYWORD, "size": LONG, "mtime_ns": LONG,
        "format": KEYWORD, "width": INTEGER, "height": INTEGER, "source": KEYWORD,
        "thumbnail": {"type": "keyword", "index": False}, "added_at": DATE,
        "ocr_lines": STORED_ONLY, "ocr": _cjk_text(), "catalog": _cjk_text(),
        "compact": {"type": "wildcard"},  # compact OCR + catalogue text: substrings of any length
        "grams": KEYWORD,  # one- and two-character pieces: 우유 and 컵 by term, where trigrams cannot reach
        "initials": {"type": "wildcard"},  # Hangul's initial consonants: 초성 queries (ㅅㅇㅇㅇ)
        "jamo": {"type": "text", "analyzer": "visearch_jamo"},  # one-jamo slips: candidates by jamo trigrams
        "has_text": BOOLEAN, "ocr_line_count": INTEGER,
        "skus": KEYWORD, "brands": LOWER_KEYWORD, "categories": LOWER_KEYWORD, "people": LONG,
        "video_id": LONG, "time": DOUBLE, "shot": INTEGER, "keyframe": BOOLEAN, "ocr_engine": KEYWORD,
        "taken": KEYWORD,  # ISO 8601 sorts as text; "" (unknown) cannot be a `date`
    },
    "videos": {
        "id": LONG, "path": KEYWORD, "sha256": KEYWORD, "size": LONG, "mtime_ns": LONG, "format": KEYWORD,
        "duration": DOUBLE, "fps": DOUBLE, "width": INTEGER, "height": INTEGER, "codec": KEYWORD,
        "rotation": INTEGER, "error": {"type": "text"}, "source": KEYWORD, "added_at": DATE, "taken": KEYWORD,
        "shots": {"type": "nested", "properties": {"idx": INTEGER, "start": DOUBLE, "end": DOUBLE}},
        "text_spans": STORED_ONLY,  # [{text, box, confidence, start, end, shot}]: read with the video, never searched
    },
    "products": {
        "sku": KEYWORD, "title": _cjk_text(), "brand": {"type": "keyword", "fields": {"text": _cjk_text()}},
        "price": DOUBLE, "currency": KEYWORD, "url": {"type": "keyword", "index": False}, "category": KEYWORD,
        "images": KEYWORD, "aliases": _cjk_text(),
        "details": {"properties": {"name": KEYWORD, "value": _cjk_text()}},  # the catalogue's other columns
        "views": {"properties": {"path": KEYWORD, "view": KEYWORD}},  # the side of the pack each image shows
    },
    "faces": {
        "id": LONG, "item_id": LONG, "kind": KEYWORD, "box": {"type": "float", "index": False}, "score": FLOAT,
        "size": FLOAT, "sharpness": FLOAT, "usable": BOOLEAN, "embedding": BINARY, "track_id": LONG,
        "person_id": LONG,
    },
    "tracks": {
        "id": LONG, "video_id": LONG, "shot": INTEGER, "start": DOUBLE, "end": DOUBLE, "faces": INTEGER,
        "usable": BOOLEAN, "embedding": BINARY, "person_id": LONG,
    },
    "people": {"id": LONG, "name": LOWER_KEYWORD, "hidden": BOOLEAN, "created_at": DATE, "references": STORED_ONLY,
               "rejected": STORED_ONLY,  # {"vectors": [...]}: faces the user said are not this person
               "aliases": LOWER_KEYWORD, "name_keys": KEYWORD},  # other spellings; visearch.text.hangul.name_key of each
    "forgotten": {"embedding": BINARY, "forgotten_at": DATE},
    "failures": {"path": KEYWORD, "reason": {"type": "text"}, "failed_at": DATE},
    "meta": {"next": LONG},
    # Tags (saved moment queries) and their segments. A (tag, video)'s segments carry the generation
    # written with them; `tag_videos` names the current one, so readers never see half a rewrite.
    "tags": {"id": LONG, "name": LOWER_KEYWORD, "query": STORED_ONLY, "threshold": DOUBLE, "created_at": DATE},
    "tag_segments": {"tag_id": LONG, "video_id": LONG, "generation": KEYWORD, "start": DOUBLE, "end": DOUBLE,
                     "score": FLOAT, "thumbnail_item": LONG, "evidence": STORED_ONLY},
    "tag_videos": {"tag_id": LONG, "video_id": LONG, "generation": KEYWORD},
}


def mappings(kind: str, *, vector_dims: int = 0) -> dict:
    """The mapping of one kind of index. `vector_dims` > 0 adds the CLIP `dense_vector` to `vectors`."""
    if kind not in PROPERTIES:
        raise ValueError(f"unknown index kind {kind!r}")
    properties = dict(PROPERTIES[kind])
    if kind == "vectors" and vector_dims:
        properties["clip"] = clip_field(vector_dims)
    return {"dynamic": "strict", "properties": properties, "_meta": {"visearch_schema": SCHEMA_VERSION}}


def clip_field(dims: int) -> dict:
    """CLIP vectors are unit length, so dot product is cosine; int8 HNSW keeps a quarter of the RAM."""
    return {"type": "dense_vector", "dims": dims, "index": True, "similarity": "dot_product",
            "index_options": {"type": "int8_hnsw"}}


def settings(*, shards: int = 1, replicas: int = 0) -> dict:
    return {"number_of_shards": shards, "number_of_replicas": replicas, "analysis": ANALYSIS}


def alias_name(prefix: str, kind: str) -> str:
    return f"{prefix}-{kind}"


def index_name(prefix: str, kind: str, version: int = SCHEMA_VERSION) -> str:
    return f"{prefix}-{kind}-v{version}"


def template(prefix: str, kind: str, *, vector_dims: int = 0, shards: int = 1, replicas: int = 0) -> dict:
    """Keyword arguments for `indices.put_index_template`: later versioned indices get the same shape."""
    return {
        "name": f"{prefix}-{kind}",
        "index_patterns": [f"{prefix}-{kind}-v*"],
        "template": {"settings": settings(shards=shards, replicas=replicas),
                     "mappings": mappings(kind, vector_dims=vector_dims)},
        "priority": 200,
        "meta": {"visearch_schema": SCHEMA_VERSION, "managed_by": "visearch"},
    }


def alias_swap(prefix: str, kind: str, old_index: str | None, new_index: str) -> list[dict]:
    """`indices.update_aliases` actions that move the alias in one atomic step."""
    alias = alias_name(prefix, kind)
    actions: list[dict] = []
    if old_index:
        actions.append({"remove": {"index": old_index, "alias": alias}})
    actions.append({"add": {"index": new_index, "alias": alias, "is_write_index": True}})
    return actions


# -- queries


def text_query(terms: Sequence[str]) -> dict:
    """Items whose compact OCR or catalogue text contains any term (scored by BM25 over trigrams).

    Terms of three characters or more go through the trigram sub-fields; one or two letters or digits
    (우유, 컵, 2L) through the `grams` pieces, as the SQLite store's grams table; anything else shorter
    (a dash) through the `wildcard` field, as SQLite falls back to LIKE.
    """
    from visearch.text.normalise import short_term

    should: list[dict] = []
    for term in terms:
        if len(term) >= 3:
            for field in ("ocr.compact", "catalog.compact"):
                should.append({"match": {field: {"query": term, "operator": "and"}}})
        elif short_term(term):
            should.append({"term": {"grams": term}})
        else:
            should.append({"wildcard": {"compact": {"value": f"*{_escape_wildcard(term)}*"}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def ocr_engines_aggregation() -> dict:
    """How many items each OCR engine read (what `visearch index --reocr` reads again)."""
    return {"engines": {"terms": {"field": "ocr_engine", "size": 100, "missing": ""}}}


def initials_query(letters: str) -> dict:
    """Items whose Hangul text has syllables starting with these consonants in a row (ㅅㅇㅇㅇ: 서울우유)."""
    return {"wildcard": {"initials": {"value": f"*{_escape_wildcard(letters)}*"}}}


def near_query(jamo_terms: Sequence[str]) -> dict:
    """Candidates for a one-jamo slip: items sharing jamo trigrams with the terms (Python checks the slip)."""
    return {"bool": {"should": [{"match": {"jamo": {"query": term, "minimum_should_match": "50%"}}}
                                for term in jamo_terms], "minimum_should_match": 1}}


def browse_filter(query: BrowseQuery) -> dict:
    """The filters of a browse page as one `bool` query over items."""
    must: list[dict] = []
    must_not: list[dict] = []
    if query.kind:
        must.append({"term": {"kind": query.kind}})
    if query.people:
        people = [{"term": {"people": person}} for person in query.people]
        if query.person_mode == "and":
            must.extend(people)
        else:
            must.append({"bool": {"should": people, "minimum_should_match": 1}})
    must_not.extend({"term": {"people": person}} for person in query.not_people)
    if query.has_text is not None:
        must.append({"term": {"has_text": query.has_text}})
    if query.text:
        from visearch.text.normalise import compact

        must.append({"wildcard": {"compact": {"value": f"*{_escape_wildcard(compact(query.text))}*"}}})
    if query.brand:
        must.append({"term": {"brands": query.brand}})
    if query.category:
        must.append({"term": {"categories": query.category}})
    if query.source:
        folder = query.source.rstrip("/")
        must.append({"bool": {"should": [{"term": {"source": folder}}, {"prefix": {"source": folder + "/"}}],
                              "minimum_should_match": 1}})
    return {"bool": {"filter": must, "must_not": must_not}}


def browse_sort(query: BrowseQuery) -> list[dict]:
    field = {"added": "added_at", "name": "path"}[query.sort]
    order = "desc" if query.descending else "asc"
    return [{field: order}, {"time": {"order": "asc", "missing": "_first"}}, {"id": "asc"}]


def knn_clause(vector: Sequence[float], k: int, *, num_candidates: int | None = None,
               filter_query: dict | None = None) -> dict:
    """The `knn` search option (ES 8.4+) over the `vectors` index (dot product on unit vectors)."""
    clause = {"field": "clip", "query_vector": [float(x) for x in vector], "k": k,
              "num_candidates": num_candidates or max(100, 4 * k)}
    if filter_query:
        clause["filter"] = filter_query
    return clause


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


# -- scripted updates (painless). Numbers in `_source` may come back as Integer, Long or Double:
# arithmetic goes through Number.longValue() so a counter never turns into a double or wraps at 2^31.

ALLOCATE_SCRIPT = "ctx._source.next = ((Number) ctx._source.next).longValue() + ((Number) params.n).longValue()"
ADVANCE_SCRIPT = (
    "long at = ((Number) params.m).longValue(); "
    "if (((Number) ctx._source.next).longValue() < at) { ctx._source.next = at } else { ctx.op = 'noop' }"
)


def allocate_request(size: int) -> dict:
    """`update` arguments that reserve the next `size` ids of a counter document and return its new end."""
    return {"script": {"source": ALLOCATE_SCRIPT, "lang": "painless", "params": {"n": int(size)}},
            "upsert": {"next": int(size)}, "retry_on_conflict": 20, "source": True, "refresh": False}


def advance_request(at_least: int) -> dict:
    """`update` arguments that move a counter to at least `at_least` (never back)."""
    return {"script": {"source": ADVANCE_SCRIPT, "lang": "painless", "params": {"m": int(at_least)}},
            "upsert": {"next": int(at_least)}, "retry_on_conflict": 20, "refresh": False}


def index_version(index: str) -> int:
    """`shop-items-v10` → 10 (0 for a name without a version): versions compare as numbers, not text."""
    try:
        return int(index.rsplit("-v", 1)[1])
    except (IndexError, ValueError):
        return 0


def reindex_request(source: str, target: str) -> dict:
    """`reindex` arguments for a schema bump: `op_type: create` and `conflicts: proceed` make a re-run
    after an interruption skip what was copied instead of failing."""
    return {"source": {"index": source}, "dest": {"index": target, "op_type": "create"}, "conflicts": "proceed",
            "wait_for_completion": True, "refresh": True}


VECTOR_SCRIPT = "doc['clip'].size() == 0 ? null : doc['clip'].vectorValue"


def vector_scan_body(query: dict | None = None) -> dict:
    """A search body that returns each document's CLIP vector from doc values (works on every version,
    whether or not `_source` carries the vector)."""
    return {"query": query or {"match_all": {}}, "_source": False,
            "script_fields": {"clip": {"script": {"source": VECTOR_SCRIPT}}}}


def script_vector(hit: dict) -> list | None:
    """The vector a `vector_scan_body` hit carries: script fields come back as a list of values."""
    value = hit.get("fields", {}).get("clip")
    if value and isinstance(value[0], list):
        return value[0]
    return value or None


APPEND_VECTOR_SCRIPT = (
    "if (ctx._source[params.field] == null) { ctx._source[params.field] = ['vectors': []] } "
    "ctx._source[params.field].vectors.add(params.v)"
)


def append_vector_request(field: str, vector_b64: str) -> dict:
    """`update` arguments that add one base64 vector to a person's `references` or `rejected` list."""
    return {"script": {"source": APPEND_VECTOR_SCRIPT, "lang": "painless", "params": {"field": field, "v": vector_b64}},
            "retry_on_conflict": 10, "refresh": False}
