"""The Elasticsearch document store: the `DocumentStore` contract on an ES cluster.

Ids stay small integers (FAISS ids, URLs, JSON numbers a browser reads
exactly): each store reserves blocks of them from a counter document, so N
indexing workers on N machines never collide (see session.py).
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

from visearch.indexer.records import Failure, Product
from visearch.text.hangul import jamo, slip_terms
from visearch.text.normalise import compact
from visearch.storage.browse import BrowsePage, BrowseQuery
from visearch.storage.codec import chunks
from visearch.storage.documents import FileState, ItemDoc, TextHit, VideoDoc
from visearch.storage.elastic import schema
from visearch.storage.elastic.session import MGET_CHUNK, EsSession
from visearch.storage.elastic.sources import (item_from_source, item_source, path_id, product_from_source, product_source,
                                    video_from_source, video_source)
from visearch.text.matching import rank_near_misses, rank_text_matches

MAX_WINDOW = 10_000  # ES's default index.max_result_window
TERMS_CHUNK = 1000


class EsDocumentStore:
    backend = "elasticsearch"

    def __init__(self, session: EsSession) -> None:
        self.session = session

    # -- items

    def upsert(self, items: Sequence[ItemDoc]) -> list[int]:
        new = [item for item in items if item.id is None]
        for item, item_id in zip(new, self.session.allocate("items", len(new))):
            item.id = item_id
        catalog = self._catalog_by_path([item.path for item in items])
        actions = []
        for item in items:
            source = item_source(item, catalog.get(item.path, []))
            actions.append({"_op_type": "update", "_index": self.session.index("items"), "_id": str(item.id),
                            "doc": source, "doc_as_upsert": True})
        self.session.write(actions)
        return [item.id for item in items]

    def get(self, ids: Sequence[int]) -> dict[int, ItemDoc]:
        return {int(key): item_from_source(int(key), source) for key, source in self.session.mget("items", ids).items()}

    def delete(self, ids: Sequence[int]) -> None:
        ids = [int(i) for i in ids]
        if not ids:
            return
        self.session.write([{"_op_type": "delete", "_index": self.session.index("items"), "_id": str(i)} for i in ids])
        for chunk in chunks(ids, TERMS_CHUNK):  # faces go with their item, as SQLite's ON DELETE CASCADE
            self.session.by_query("faces", {"terms": {"item_id": chunk}})

    def item_ids(self, video_id: int | None = None) -> list[int]:
        query = {"term": {"video_id": video_id}} if video_id is not None else None
        return [int(hit["_id"]) for hit in self.session.scan("items", query, source=False)]

    def file_states(self) -> Iterator[FileState]:
        fields = ["path", "size", "mtime_ns", "sha256"]
        for kind, index, query in (("image", "items", {"term": {"kind": "image"}}), ("video", "videos", None)):
            for hit in self.session.scan(index, query, source=fields):
                s = hit["_source"]
                yield FileState(int(hit["_id"]), s["path"], s.get("size", 0), s.get("mtime_ns", 0), s["sha256"], kind)

    def find_by_sha256(self, sha256: str) -> list[ItemDoc]:
        return [item_from_source(int(hit["_id"]), hit["_source"])
                for hit in self.session.scan("items", {"term": {"sha256": sha256}})]

    def update_file(self, item_id: int, path: str, size: int, mtime_ns: int, source: str) -> None:
        current = self.get([item_id]).get(item_id)
        if current is None:
            return
        current.path, current.size, current.mtime_ns, current.source = path, size, mtime_ns, source
        self.upsert([current])  # the new path may join a different product

    # -- videos

    def upsert_video(self, video: VideoDoc) -> int:
        if video.id is None:
            video.id = self.session.allocate("videos", 1)[0]
        self.session.write([{"_op_type": "index", "_index": self.session.index("videos"), "_id": str(video.id),
                     "_source": video_source(video)}])
        return video.id

    def get_videos(self, ids: Sequence[int]) -> dict[int, VideoDoc]:
        return {int(key): video_from_source(int(key), source) for key, source in self.session.mget("videos", ids).items()}

    def delete_video(self, video_id: int) -> list[int]:
        frames = self.item_ids(video_id=video_id)
        self.delete(frames)
        self.session.by_query("tracks", {"term": {"video_id": video_id}})
        self.session.write([{"_op_type": "delete", "_index": self.session.index("videos"), "_id": str(video_id)}])
        return frames

    def frames_of(self, video_id: int) -> list[ItemDoc]:
        return [item_from_source(int(hit["_id"]), hit["_source"]) for hit in
                self.session.scan("items", {"term": {"video_id": video_id}}, sort=[{"time": "asc"}, {"id": "asc"}])]

    def update_video_file(self, video_id: int, path: str, size: int, mtime_ns: int, source: str) -> None:
        self.session.write([{"_op_type": "update", "_index": self.session.index("videos"), "_id": str(video_id),
                     "doc": {"path": path, "size": size, "mtime_ns": mtime_ns, "source": source}}])
        self.session.by_query("items", {"term": {"video_id": video_id}}, {
            "source": "ctx._source.path = params.path; ctx._source.source = params.source",
            "params": {"path": path, "source": source},
        })

    # -- text

    def text_search(self, terms: Sequence[str], limit: int) -> list[TextHit]:
        terms = [t for t in dict.fromkeys(compact(t) for t in terms) if t]
        if not terms or limit <= 0:
            return []
        response = self.session.search("items", query=schema.text_query(terms), size=min(limit * 20, MAX_WINDOW),
                               source=["compact"])
        texts = {int(hit["_id"]): hit["_source"].get("compact", "") for hit in response["hits"]["hits"]}
        return [TextHit(i, s, t) for i, s, t in rank_text_matches(terms, texts)[:limit]]

    def ocr_engines(self) -> dict[str, int]:
        response = self.session.search("items", size=0, aggs=schema.ocr_engines_aggregation())
        return {bucket["key"]: bucket["doc_count"] for bucket in response["aggregations"]["engines"]["buckets"]}

    def initials_search(self, letters: str, limit: int) -> list[TextHit]:
        letters = compact(letters)
        if not letters or limit <= 0:
            return []
        response = self.session.search("items", query=schema.initials_query(letters), size=min(limit, MAX_WINDOW),
                                       source=False)
        return [TextHit(int(hit["_id"]), 1.0, (letters,)) for hit in response["hits"]["hits"]]

    def near_search(self, terms: Sequence[str], limit: int) -> list[TextHit]:
        terms = slip_terms(compact(t) for t in terms)
        if not terms or limit <= 0:
            return []
        response = self.session.search("items", query=schema.near_query([jamo(t) for t in terms]),
                                       size=min(limit * 20, MAX_WINDOW), source=["compact"])
        texts = {int(hit["_id"]): hit["_source"].get("compact", "") for hit in response["hits"]["hits"]}
        return [TextHit(i, s, t) for i, s, t in rank_near_misses(terms, texts)[:limit]]

    # -- browsing

    def browse(self, query: BrowseQuery) -> BrowsePage:
        start = (query.page - 1) * query.per_page
        if start + query.per_page > MAX_WINDOW:
            raise ValueError(f"browse pages end at item {MAX_WINDOW}: narrow the filters")
        response = self.session.search(
            "items", query=schema.browse_filter(query), sort=schema.browse_sort(query), from_=start,
            size=query.per_page, source=False, track_total_hits=True,
            aggs={"source": {"terms": {"field": "source", "size": 1000, "order": {"_key": "asc"}}}},
        )
        products = self.session.search("products", size=0, aggs={
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
        self.session.write([{"_op_type": "index", "_index": self.session.index("products"), "_id": product.sku,
                     "_source": product_source(product)} for product in products])
        paths = sorted({str(path) for product in products for path in product.images})
        ids = []
        for chunk in chunks(paths, TERMS_CHUNK):
            ids += [int(hit["_id"]) for hit in self.session.scan("items", {"terms": {"path": chunk}}, source=False)]
        for chunk in chunks(ids, MGET_CHUNK):
            items = self.get(chunk)
            if items:
                self.upsert(list(items.values()))  # re-derives their catalogue fields

    def products_for(self, ids: Sequence[int]) -> dict[int, Product]:
        skus_of = {int(key): sorted(source.get("skus") or []) for key, source in
                   self.session.mget("items", ids, source=["skus"]).items()}
        wanted = sorted({skus[0] for skus in skus_of.values() if skus})
        products = {key: product_from_source(source) for key, source in self.session.mget("products", wanted).items()}
        return {item_id: products[skus[0]] for item_id, skus in skus_of.items() if skus and skus[0] in products}

    def products(self) -> list[Product]:
        return [replace(product_from_source(hit["_source"]), images=tuple(Path(p) for p in hit["_source"]["images"]))
                for hit in self.session.scan("products", sort=[{"sku": "asc"}])]

    def _catalog_by_path(self, paths: Sequence[str]) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        paths = sorted(set(paths))
        for chunk in chunks(paths, TERMS_CHUNK):
            for hit in self.session.scan("products", {"terms": {"images": chunk}}):
                for path in set(hit["_source"].get("images", [])) & set(chunk):
                    found.setdefault(path, []).append(hit["_source"])
        return found

    # -- failures

    def record_failures(self, failures: Sequence[Failure]) -> None:
        now = int(time.time() * 1000)
        self.session.write([{"_op_type": "index", "_index": self.session.index("failures"), "_id": path_id(str(f.path)),
                     "_source": {"path": str(f.path), "reason": f.reason, "failed_at": now}} for f in failures])

    def clear_failures(self, paths: Sequence[str]) -> None:
        self.session.write([{"_op_type": "delete", "_index": self.session.index("failures"), "_id": path_id(str(p))}
                    for p in paths])

    def failures(self) -> list[Failure]:
        return [Failure(Path(hit["_source"]["path"]), hit["_source"]["reason"])
                for hit in self.session.scan("failures", sort=[{"path": "asc"}])]

    # -- housekeeping

    def counts(self) -> dict[str, int]:
        self.session.fresh()
        lines = self.session.search("items", size=0, aggs={"lines": {"sum": {"field": "ocr_line_count"}}})
        return {
            "items": self.session.count("items"),
            "images": self.session.count("items", {"term": {"kind": "image"}}),
            "videos": self.session.count("videos"),
            "frames": self.session.count("items", {"term": {"kind": "frame"}}),
            "faces": self.session.count("faces"),
            "faces_without_person": self.session.count("faces", {"bool": {"must_not": {"exists": {"field": "person_id"}}}}),
            "people": self.session.count("people"),
            "text_lines": int(lines["aggregations"]["lines"]["value"] or 0),
            "items_with_text": self.session.count("items", {"term": {"has_text": True}}),
            "products": self.session.count("products"),
            "failures": self.session.count("failures"),
        }

    def reserve_ids(self, sequence: str, at_least: int) -> None:
        """Later ids of `sequence` start above `at_least` (after records were copied in with their ids)."""
        self.session.advance(sequence, at_least)

    def commit(self) -> None:
        """Refresh, so that what was written is searchable when `visearch index` returns."""
        self.session.commit()

    def close(self) -> None:
        self.session.close()
