"""Elasticsearch index settings, mappings and queries, as pure functions of plain values.

Nothing here talks to a server, so every body is unit-tested against the JSON
that ES documents. One index per kind of record, each behind an alias:
`{prefix}-items` points at `{prefix}-items-v{N}`; a mapping change bumps
`SCHEMA_VERSION`, creates the next index, reindexes and swaps the alias.

Supported servers: Elasticsearch 8.14+ and 9.x. `int8_hnsw` dense vectors
exist from 8.12 and the kNN `filter`/`k`/`num_candidates` shape used here from
8.0; the `wildcard` field type and the `cjk` analyzer are in the free
distribution. The Python client must match the server's major version
(a 9.x client sends `compatible-with=9`, which an 8.x server refuses).
"""
from __future__ import annotations

from typing import Sequence

from search.browse import BrowseQuery

SCHEMA_VERSION = 1
KINDS = ("items", "videos", "products", "faces", "tracks", "people", "forgotten", "failures", "meta")

# Compact text (lower-cased, no whitespace, as `indexer.text.compact` makes it) cut into trigrams:
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


def mappings(kind: str, *, vector_dims: int = 0) -> dict:
    """The mapping of one kind of index. `vector_dims` > 0 adds the CLIP `dense_vector` to items."""
    properties: dict[str, dict]
    if kind == "items":
        properties = {
            "id": {"type": "long"}, "kind": KEYWORD, "path": KEYWORD, "sha256": KEYWORD,
            "size": {"type": "long"}, "mtime_ns": {"type": "long"}, "format": KEYWORD,
            "width": {"type": "integer"}, "height": {"type": "integer"}, "source": KEYWORD,
            "thumbnail": {"type": "keyword", "index": False},
            "added_at": {"type": "date", "format": "epoch_millis"},
            "ocr_lines": STORED_ONLY,
            "ocr": _cjk_text(),
            "catalog": _cjk_text(),
            "compact": {"type": "wildcard"},  # compact OCR + catalogue text: substrings of any length
            "has_text": {"type": "boolean"},
            "ocr_line_count": {"type": "integer"},
            "skus": KEYWORD,
            "brands": {"type": "keyword", "normalizer": "visearch_lower"},
            "categories": {"type": "keyword", "normalizer": "visearch_lower"},
            "people": {"type": "long"},
            "video_id": {"type": "long"}, "time": {"type": "double"}, "shot": {"type": "integer"},
            "keyframe": {"type": "boolean"},
        }
        if vector_dims:
            properties["clip"] = clip_field(vector_dims)
    elif kind == "videos":
        properties = {
            "id": {"type": "long"}, "path": KEYWORD, "sha256": KEYWORD, "size": {"type": "long"},
            "mtime_ns": {"type": "long"}, "format": KEYWORD, "duration": {"type": "double"},
            "fps": {"type": "double"}, "width": {"type": "integer"}, "height": {"type": "integer"},
            "codec": KEYWORD, "rotation": {"type": "integer"}, "error": {"type": "text"}, "source": KEYWORD,
            "added_at": {"type": "date", "format": "epoch_millis"},
            "shots": {"type": "nested", "properties": {
                "idx": {"type": "integer"}, "start": {"type": "double"}, "end": {"type": "double"}}},
        }
    elif kind == "products":
        properties = {
            "sku": KEYWORD, "title": _cjk_text(), "brand": {"type": "keyword", "fields": {"text": _cjk_text()}},
            "price": {"type": "double"}, "currency": KEYWORD, "url": {"type": "keyword", "index": False},
            "category": KEYWORD, "images": KEYWORD,
        }
    elif kind == "faces":
        properties = {
            "id": {"type": "long"}, "item_id": {"type": "long"}, "kind": KEYWORD,
            "box": {"type": "float", "index": False}, "score": {"type": "float"}, "size": {"type": "float"},
            "sharpness": {"type": "float"}, "usable": {"type": "boolean"}, "embedding": BINARY,
            "track_id": {"type": "long"}, "person_id": {"type": "long"},
        }
    elif kind == "tracks":
        properties = {
            "id": {"type": "long"}, "video_id": {"type": "long"}, "shot": {"type": "integer"},
            "start": {"type": "double"}, "end": {"type": "double"}, "faces": {"type": "integer"},
            "usable": {"type": "boolean"}, "embedding": BINARY, "person_id": {"type": "long"},
        }
    elif kind == "people":
        properties = {
            "id": {"type": "long"}, "name": {"type": "keyword", "normalizer": "visearch_lower"},
            "hidden": {"type": "boolean"},
            "created_at": {"type": "date", "format": "epoch_millis"}, "references": STORED_ONLY,
        }
    elif kind == "forgotten":
        properties = {"embedding": BINARY, "forgotten_at": {"type": "date", "format": "epoch_millis"}}
    elif kind == "failures":
        properties = {"path": KEYWORD, "reason": {"type": "text"}, "failed_at": {"type": "date", "format": "epoch_millis"}}
    elif kind == "meta":
        properties = {"next": {"type": "long"}}
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    body = {"dynamic": "strict", "properties": properties, "_meta": {"visearch_schema": SCHEMA_VERSION}}
    if kind == "items":
        body["_source"] = {"excludes": ["clip"]}  # vectors live in the HNSW graph, not in every hit
    return body


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

    Terms of three characters or more go through the trigram sub-fields; shorter
    ones need the `wildcard` field, as the SQLite store falls back to LIKE.
    """
    should: list[dict] = []
    for term in terms:
        if len(term) >= 3:
            for field in ("ocr.compact", "catalog.compact"):
                should.append({"match": {field: {"query": term, "operator": "and"}}})
        else:
            should.append({"wildcard": {"compact": {"value": f"*{_escape_wildcard(term)}*"}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


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
        from indexer.text import compact

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
    """The `knn` search option over items' CLIP vectors (dot product on unit vectors)."""
    clause = {"field": "clip", "query_vector": [float(x) for x in vector], "k": k,
              "num_candidates": num_candidates or max(100, 4 * k)}
    if filter_query:
        clause["filter"] = filter_query
    return clause


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
