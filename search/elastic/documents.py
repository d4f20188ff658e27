"""The Elasticsearch document store: the `DocumentStore` contract on an ES cluster.

Ids stay small integers (FAISS ids, URLs, JSON numbers a browser reads
exactly): each store reserves blocks of them from a counter document with a
scripted update, so N indexing workers on N machines never collide.

ES is near-real-time; SQLite is not. To keep the same contract, every write
marks the store stale and the next search refreshes first (reads by id are
real-time anyway), and `commit()` refreshes so a finished run is searchable.
Catalogue fields and the people on an item are copied onto the item document
so that browse filters are single queries, not joins.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

from indexer.records import Failure, OcrLine, Product
from indexer.text import compact
from search.elastic import schema
from search.browse import BrowsePage, BrowseQuery
from search.documents import FileState, ItemDoc, TextHit, VideoDoc
from search.elastic.session import EsError, bulk_write
from search.ranking import rank_text_matches

ID_BLOCK = 256
MAX_WINDOW = 10_000  # ES's default index.max_result_window


class EsDocumentStore:
    backend = "elasticsearch"

    def __init__(self, client, prefix: str = "visearch", *, vector_dims: int = 0, shards: int = 1,
                 replicas: int = 0) -> None:
        self.client = client
        self.prefix = prefix
        self.vector_dims = vector_dims
        self._lock = threading.RLock()
        self._blocks: dict[str, list[int]] = {}
        self._stale = False
        ensure_indices(client, prefix, vector_dims=vector_dims, shards=shards, replicas=replicas)

    def enable_vectors(self, dims: int) -> None:
        """Add the CLIP field to the items index (a new library learns its dimension at the first run)."""
        if self.vector_dims == dims:
            return
        if self.vector_dims:
            raise ValueError(f"the Elasticsearch items index holds {self.vector_dims}-d vectors, not {dims}")
        self.client.indices.put_mapping(index=self.index("items"), properties={"clip": schema.clip_field(dims)})
        self.vector_dims = dims

    def index(self, kind: str) -> str:
        return schema.alias_name(self.prefix, kind)

    # -- ids, freshness, scanning

    def allocate(self, sequence: str, count: int) -> list[int]:
        """`count` new ids of `sequence`, unique across every process writing to this cluster."""
        ids: list[int] = []
        with self._lock:
            block = self._blocks.setdefault(sequence, [])
            while len(block) < count:
                size = max(ID_BLOCK, count - len(block))
                response = self.client.update(
                    index=self.index("meta"), id=sequence, script={"source": "ctx._source.next += params.n",
                                                                   "params": {"n": size}},
                    upsert={"next": size}, retry_on_conflict=20, source=True, refresh=False,
                )
                end = int(response["get"]["_source"]["next"])
                block.extend(range(end - size + 1, end + 1))
            ids, self._blocks[sequence] = block[:count], block[count:]
        return ids

    def touched(self) -> None:
        self._stale = True

    def fresh(self) -> None:
        """Make earlier writes visible to searches (ES publishes them on refresh)."""
        if self._stale:
            self.client.indices.refresh(index=f"{self.prefix}-*")
            self._stale = False

    def scan(self, kind: str, query: dict | None = None, *, source=True, sort: list | None = None) -> Iterator[dict]:
        from elasticsearch import helpers

        self.fresh()
        body: dict = {"query": query or {"match_all": {}}, "_source": source}
        if sort:
            body["sort"] = sort
        yield from helpers.scan(self.client, index=self.index(kind), query=body, preserve_order=bool(sort), size=1000)

    def search(self, kind: str, **kwargs) -> dict:
        self.fresh()
        return self.client.search(index=self.index(kind), **kwargs)

    def count(self, kind: str, query: dict | None = None) -> int:
        self.fresh()
        return int(self.client.count(index=self.index(kind), query=query or {"match_all": {}})["count"])

    def write(self, actions: list[dict]) -> None:
        if actions:
            bulk_write(self.client, actions)
            self.touched()

    def by_query(self, kind: str, query: dict, script: dict | None = None) -> None:
        """update_by_query with `script`, delete_by_query without; both wait and refresh."""
        self.fresh()
        if script is None:
            self.client.delete_by_query(index=self.index(kind), query=query, refresh=True, conflicts="proceed")
        else:
            self.client.update_by_query(index=self.index(kind), query=query, script=script, refresh=True,
                                        conflicts="proceed")

    def mget(self, kind: str, ids: Sequence, source=True) -> dict[str, dict]:
        found: dict[str, dict] = {}
        ids = [str(i) for i in ids]
        for start in range(0, len(ids), 1000):
            response = self.client.mget(index=self.index(kind), ids=ids[start : start + 1000], source=source)
            for doc in response["docs"]:
                if doc.get("found"):
                    found[doc["_id"]] = doc.get("_source", {})
        return found

    # -- items

    def upsert(self, items: Sequence[ItemDoc]) -> list[int]:
        new = [item for item in items if item.id is None]
        for item, item_id in zip(new, self.allocate("items", len(new))):
            item.id = item_id
        catalog = self._catalog_by_path([item.path for item in items])
        actions = []
        for item in items:
            source = item_source(item, catalog.get(item.path, []))
            actions.append({"_op_type": "update", "_index": self.index("items"), "_id": str(item.id),
                            "doc": source, "doc_as_upsert": True})
        self.write(actions)
        return [item.id for item in items]

    def get(self, ids: Sequence[int]) -> dict[int, ItemDoc]:
        return {int(key): item_from_source(int(key), source) for key, source in self.mget("items", ids).items()}

    def delete(self, ids: Sequence[int]) -> None:
        ids = [int(i) for i in ids]
        if not ids:
            return
        self.write([{"_op_type": "delete", "_index": self.index("items"), "_id": str(i)} for i in ids])
        for start in range(0, len(ids), 1000):  # faces go with their item, as SQLite's ON DELETE CASCADE
            self.by_query("faces", {"terms": {"item_id": ids[start : start + 1000]}})

    def item_ids(self, video_id: int | None = None) -> list[int]:
        query = {"term": {"video_id": video_id}} if video_id is not None else None
        return [int(hit["_id"]) for hit in self.scan("items", query, source=False)]

    def file_states(self) -> Iterator[FileState]:
        fields = ["path", "size", "mtime_ns", "sha256"]
        for kind, index, query in (("image", "items", {"term": {"kind": "image"}}), ("video", "videos", None)):
            for hit in self.scan(index, query, source=fields):
                s = hit["_source"]
                yield FileState(int(hit["_id"]), s["path"], s.get("size", 0), s.get("mtime_ns", 0), s["sha256"], kind)

    def find_by_sha256(self, sha256: str) -> list[ItemDoc]:
        return [item_from_source(int(hit["_id"]), hit["_source"])
                for hit in self.scan("items", {"term": {"sha256": sha256}})]

    def update_file(self, item_id: int, path: str, size: int, mtime_ns: int, source: str) -> None:
        current = self.get([item_id]).get(item_id)
        if current is None:
            return
        current.path, current.size, current.mtime_ns, current.source = path, size, mtime_ns, source
        self.upsert([current])  # the new path may join a different product

    # -- videos

    def upsert_video(self, video: VideoDoc) -> int:
        if video.id is None:
            video.id = self.allocate("videos", 1)[0]
        self.write([{"_op_type": "index", "_index": self.index("videos"), "_id": str(video.id),
                     "_source": video_source(video)}])
        return video.id

    def get_videos(self, ids: Sequence[int]) -> dict[int, VideoDoc]:
        return {int(key): video_from_source(int(key), source) for key, source in self.mget("videos", ids).items()}

    def delete_video(self, video_id: int) -> list[int]:
        frames = self.item_ids(video_id=video_id)
        self.delete(frames)
        self.by_query("tracks", {"term": {"video_id": video_id}})
        self.write([{"_op_type": "delete", "_index": self.index("videos"), "_id": str(video_id)}])
        return frames

    def frames_of(self, video_id: int) -> list[ItemDoc]:
        return [item_from_source(int(hit["_id"]), hit["_source"]) for hit in
                self.scan("items", {"term": {"video_id": video_id}}, sort=[{"time": "asc"}, {"id": "asc"}])]

    def update_video_file(self, video_id: int, path: str, size: int, mtime_ns: int, source: str) -> None:
        self.write([{"_op_type": "update", "_index": self.index("videos"), "_id": str(video_id),
                     "doc": {"path": path, "size": size, "mtime_ns": mtime_ns, "source": source}}])
        self.by_query("items", {"term": {"video_id": video_id}}, {
            "source": "ctx._source.path = params.path; ctx._source.source = params.source",
            "params": {"path": path, "source": source},
        })

    # -- text

    def text_search(self, terms: Sequence[str], limit: int) -> list[TextHit]:
        terms = [t for t in dict.fromkeys(compact(t) for t in terms) if t]
        if not terms or limit <= 0:
            return []
        response = self.search("items", query=schema.text_query(terms), size=min(limit * 20, MAX_WINDOW),
                               source=["compact"])
        texts = {int(hit["_id"]): hit["_source"].get("compact", "") for hit in response["hits"]["hits"]}
        return [TextHit(i, s, t) for i, s, t in rank_text_matches(terms, texts)[:limit]]

    # -- browsing

    def browse(self, query: BrowseQuery) -> BrowsePage:
        start = (query.page - 1) * query.per_page
        if start + query.per_page > MAX_WINDOW:
            raise ValueError(f"browse pages end at item {MAX_WINDOW}: narrow the filters")
        response = self.search(
            "items", query=schema.browse_filter(query), sort=schema.browse_sort(query), from_=start,
            size=query.per_page, source=False, track_total_hits=True,
            aggs={"source": {"terms": {"field": "source", "size": 1000, "order": {"_key": "asc"}}}},
        )
        products = self.search("products", size=0, aggs={
            field: {"terms": {"field": field, "size": 1000, "order": {"_key": "asc"}}} for field in ("brand", "category")
        })
        facets = {
            "brand": [b["key"] for b in products["aggregations"]["brand"]["buckets"] if b["key"]],
            "category": [b["key"] for b in products["aggregations"]["category"]["buckets"] if b["key"]],
            "source": [b["key"] for b in response["aggregations"]["source"]["buckets"]],
        }
        ids = [int(hit["_id"]) for hit in response["hits"]["hits"]]
        return BrowsePage(ids, int(response["hits"]["total"]["value"]), query, facets)

    # -- catalogue

    def upsert_products(self, products: Sequence[Product]) -> None:
        self.write([{"_op_type": "index", "_index": self.index("products"), "_id": product.sku,
                     "_source": product_source(product)} for product in products])
        paths = sorted({str(path) for product in products for path in product.images})
        ids = []
        for start in range(0, len(paths), 1000):
            ids += [int(hit["_id"]) for hit in self.scan("items", {"terms": {"path": paths[start : start + 1000]}},
                                                         source=False)]
        for start in range(0, len(ids), 500):
            items = self.get(ids[start : start + 500])
            if items:
                self.upsert(list(items.values()))  # re-derives their catalogue fields

    def products_for(self, ids: Sequence[int]) -> dict[int, Product]:
        skus_of = {int(key): sorted(source.get("skus") or []) for key, source in
                   self.mget("items", ids, source=["skus"]).items()}
        wanted = sorted({skus[0] for skus in skus_of.values() if skus})
        products = {key: product_from_source(source) for key, source in self.mget("products", wanted).items()}
        return {item_id: products[skus[0]] for item_id, skus in skus_of.items() if skus and skus[0] in products}

    def products(self) -> list[Product]:
        return [replace(product_from_source(hit["_source"]), images=tuple(Path(p) for p in hit["_source"]["images"]))
                for hit in self.scan("products", sort=[{"sku": "asc"}])]

    def advance(self, sequence: str, at_least: int) -> None:
        """Make later ids of `sequence` start above `at_least` (after copying records with their ids)."""
        self.client.update(
            index=self.index("meta"), id=sequence, retry_on_conflict=20, refresh=False, upsert={"next": at_least},
            script={"source": "ctx._source.next = Math.max(ctx._source.next, params.m)", "params": {"m": at_least}},
        )
        self._blocks.pop(sequence, None)

    def _catalog_by_path(self, paths: Sequence[str]) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        paths = sorted(set(paths))
        for start in range(0, len(paths), 1000):
            chunk = paths[start : start + 1000]
            for hit in self.scan("products", {"terms": {"images": chunk}}):
                for path in set(hit["_source"].get("images", [])) & set(chunk):
                    found.setdefault(path, []).append(hit["_source"])
        return found

    # -- failures

    def record_failures(self, failures: Sequence[Failure]) -> None:
        now = int(time.time() * 1000)
        self.write([{"_op_type": "index", "_index": self.index("failures"), "_id": _path_id(str(f.path)),
                     "_source": {"path": str(f.path), "reason": f.reason, "failed_at": now}} for f in failures])

    def clear_failures(self, paths: Sequence[str]) -> None:
        self.write([{"_op_type": "delete", "_index": self.index("failures"), "_id": _path_id(str(p))}
                    for p in paths])

    def failures(self) -> list[Failure]:
        return [Failure(Path(hit["_source"]["path"]), hit["_source"]["reason"])
                for hit in self.scan("failures", sort=[{"path": "asc"}])]

    # -- housekeeping

    def counts(self) -> dict[str, int]:
        self.fresh()
        lines = self.search("items", size=0, aggs={"lines": {"sum": {"field": "ocr_line_count"}}})
        return {
            "items": self.count("items"),
            "images": self.count("items", {"term": {"kind": "image"}}),
            "videos": self.count("videos"),
            "frames": self.count("items", {"term": {"kind": "frame"}}),
            "faces": self.count("faces"),
            "faces_without_person": self.count("faces", {"bool": {"must_not": {"exists": {"field": "person_id"}}}}),
            "people": self.count("people"),
            "text_lines": int(lines["aggregations"]["lines"]["value"] or 0),
            "items_with_text": self.count("items", {"term": {"has_text": True}}),
            "products": self.count("products"),
            "failures": self.count("failures"),
        }

    def commit(self) -> None:
        """Refresh, so that what was written is searchable when `visearch index` returns."""
        self._stale = True
        self.fresh()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.client.close()


# -- schema management


def ensure_indices(client, prefix: str, *, vector_dims: int = 0, shards: int = 1, replicas: int = 0) -> None:
    """Create templates and indices on first use; move an alias to a new index when the schema changed."""
    for kind in schema.KINDS:
        dims = vector_dims if kind == "items" else 0
        client.indices.put_index_template(**schema.template(prefix, kind, vector_dims=dims, shards=shards,
                                                            replicas=replicas if kind != "meta" else 0))
        alias = schema.alias_name(prefix, kind)
        target = schema.index_name(prefix, kind)
        current = _alias_target(client, alias)
        if current == target:
            if dims:
                client.indices.put_mapping(index=target, properties={"clip": schema.clip_field(dims)})
            continue
        if current is not None and _version_of(current) > schema.SCHEMA_VERSION:
            raise EsError(f"{alias} holds schema v{_version_of(current)}; this visearch knows up to "
                          f"v{schema.SCHEMA_VERSION}: upgrade it")
        if not client.indices.exists(index=target):
            client.indices.create(index=target)  # settings and mappings come from the template
        if current is not None:  # re-index into the new mapping, then switch readers over at once
            client.reindex(source={"index": current}, dest={"index": target}, wait_for_completion=True,
                           refresh=True)
        client.indices.update_aliases(actions=schema.alias_swap(prefix, kind, current, target))


def drop_indices(client, prefix: str) -> None:
    """Delete every index and template of `prefix` (tests, `migrate --replace`)."""
    for kind in schema.KINDS:
        alias = schema.alias_name(prefix, kind)
        current = _alias_target(client, alias)
        if current:
            client.indices.delete(index=current, ignore_unavailable=True)
        if client.indices.exists_index_template(name=alias):
            client.indices.delete_index_template(name=alias)


def _alias_target(client, alias: str) -> str | None:
    if not client.indices.exists_alias(name=alias):
        return None
    return sorted(client.indices.get_alias(name=alias).body)[-1]


def _version_of(index: str) -> int:
    try:
        return int(index.rsplit("-v", 1)[1])
    except (IndexError, ValueError):
        return 0


# -- records ↔ documents (pure)


def item_source(item: ItemDoc, products: Sequence[dict] = ()) -> dict:
    lines = [line.text for line in item.ocr]
    catalog = [value for p in products for value in (p.get("sku"), p.get("title"), p.get("brand"),
                                                     p.get("category")) if value]
    return {
        "id": item.id, "kind": item.kind, "path": item.path, "sha256": item.sha256, "size": item.size,
        "mtime_ns": item.mtime_ns, "format": item.format, "width": item.width, "height": item.height,
        "source": item.source, "thumbnail": item.thumbnail,
        "added_at": int((item.added_at or time.time()) * 1000),
        "ocr_lines": [{"text": line.text, "box": [list(point) for point in line.box],
                       "confidence": line.confidence} for line in item.ocr],
        "ocr_line_count": len(lines),
        "ocr": "\n".join(lines), "catalog": "\n".join(catalog),
        "compact": "\n".join(map(compact, lines)) + "\n" + "\n".join(map(compact, catalog)),
        "has_text": bool(lines),
        "skus": sorted({p["sku"] for p in products}),
        "brands": sorted({p["brand"] for p in products if p.get("brand")}),
        "categories": sorted({p["category"] for p in products if p.get("category")}),
        "video_id": item.video_id, "time": item.time, "shot": item.shot, "keyframe": item.keyframe,
    }


def item_from_source(item_id: int, s: dict) -> ItemDoc:
    return ItemDoc(
        id=item_id, kind=s["kind"], path=s["path"], sha256=s["sha256"], size=s.get("size", 0),
        mtime_ns=s.get("mtime_ns", 0), format=s.get("format", ""), width=s.get("width", 0),
        height=s.get("height", 0), source=s.get("source", ""), thumbnail=s.get("thumbnail", ""),
        added_at=s.get("added_at", 0) / 1000, video_id=s.get("video_id"), time=s.get("time"),
        shot=s.get("shot"), keyframe=bool(s.get("keyframe")),
        ocr=[OcrLine(line["text"], tuple(tuple(point) for point in line["box"]), line["confidence"])
             for line in s.get("ocr_lines") or []],
    )


def video_source(video: VideoDoc) -> dict:
    return {
        "id": video.id, "path": video.path, "sha256": video.sha256, "size": video.size,
        "mtime_ns": video.mtime_ns, "format": video.format, "duration": video.duration, "fps": video.fps,
        "width": video.width, "height": video.height, "codec": video.codec, "rotation": video.rotation,
        "error": video.error, "source": video.source, "added_at": int((video.added_at or time.time()) * 1000),
        "shots": [{"idx": n, "start": start, "end": end} for n, (start, end) in enumerate(video.shots)],
    }


def video_from_source(video_id: int, s: dict) -> VideoDoc:
    fields = {k: v for k, v in s.items() if k in VideoDoc.__dataclass_fields__ and k not in ("shots", "added_at")}
    shots = sorted(s.get("shots") or [], key=lambda shot: shot["idx"])
    return VideoDoc(**{**fields, "id": video_id}, added_at=s.get("added_at", 0) / 1000,
                    shots=[(shot["start"], shot["end"]) for shot in shots])


def product_source(product: Product) -> dict:
    return {"sku": product.sku, "title": product.title, "brand": product.brand, "price": product.price,
            "currency": product.currency, "url": product.url, "category": product.category,
            "images": sorted({str(path) for path in product.images})}


def product_from_source(s: dict) -> Product:
    return Product(sku=s["sku"], title=s.get("title", ""), brand=s.get("brand", ""), price=s.get("price"),
                   currency=s.get("currency", ""), url=s.get("url", ""), category=s.get("category", ""))


def _path_id(path: str) -> str:
    """Document ids are limited to 512 bytes; paths are not."""
    return hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()
