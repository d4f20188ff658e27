"""Records ↔ Elasticsearch documents, as pure functions: what each store writes and reads back.

Catalogue fields and the people on an item are copied onto the item document
so that browse filters are single queries, not joins.
"""
from __future__ import annotations

import hashlib
import time
from typing import Sequence

import numpy as np

from visearch.indexer.records import OcrLine, Product
from visearch.text.hangul import has_hangul, initials, jamo
from visearch.text.normalise import compact, grams
from visearch.indexer.text_spans import TextSpan
from visearch.storage.codec import vector_base64, vector_from_base64
from visearch.storage.documents import ItemDoc, VideoDoc
from visearch.text.names import spelling_keys
from visearch.storage.faces import FaceRow, PersonRecord, TrackRecord


def item_source(item: ItemDoc, products: Sequence[dict] = ()) -> dict:
    lines = [line.text for line in item.ocr]
    catalog = [value for p in products for value in (p.get("sku"), p.get("title"), p.get("brand"),
                                                     p.get("category"), *(p.get("aliases") or []),
                                                     *(d.get("value") for d in p.get("details") or [])) if value]
    whole = "\n".join(map(compact, lines + catalog))
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
        # Korean as it is typed, the same forms as the SQLite store's (storage/sqlite/text.py)
        "grams": grams(whole), "initials": initials(whole) if has_hangul(whole) else "",
        "jamo": jamo(whole) if has_hangul(whole) else "",
        "skus": sorted({p["sku"] for p in products}),
        "brands": sorted({p["brand"] for p in products if p.get("brand")}),
        "categories": sorted({p["category"] for p in products if p.get("category")}),
        "video_id": item.video_id, "time": item.time, "shot": item.shot, "keyframe": item.keyframe,
        "ocr_engine": item.ocr_engine, "taken": item.taken,
    }


def item_from_source(item_id: int, s: dict) -> ItemDoc:
    return ItemDoc(
        id=item_id, kind=s["kind"], path=s["path"], sha256=s["sha256"], size=s.get("size", 0),
        mtime_ns=s.get("mtime_ns", 0), format=s.get("format", ""), width=s.get("width", 0),
        height=s.get("height", 0), source=s.get("source", ""), thumbnail=s.get("thumbnail", ""),
        added_at=s.get("added_at", 0) / 1000, video_id=s.get("video_id"), time=s.get("time"),
        shot=s.get("shot"), keyframe=bool(s.get("keyframe")), ocr_engine=s.get("ocr_engine", ""),
        taken=s.get("taken", ""),
        ocr=[OcrLine(line["text"], tuple(tuple(point) for point in line["box"]), line["confidence"])
             for line in s.get("ocr_lines") or []],
    )


def video_source(video: VideoDoc) -> dict:
    return {
        "id": video.id, "path": video.path, "sha256": video.sha256, "size": video.size,
        "mtime_ns": video.mtime_ns, "format": video.format, "duration": video.duration, "fps": video.fps,
        "width": video.width, "height": video.height, "codec": video.codec, "rotation": video.rotation,
        "error": video.error, "source": video.source, "added_at": int((video.added_at or time.time()) * 1000),
        "taken": video.taken,
        "shots": [{"idx": n, "start": start, "end": end} for n, (start, end) in enumerate(video.shots)],
        "text_spans": [span.json() for span in video.text_spans],
    }


def video_from_source(video_id: int, s: dict) -> VideoDoc:
    fields = {k: v for k, v in s.items()
              if k in VideoDoc.__dataclass_fields__ and k not in ("shots", "added_at", "text_spans")}
    shots = sorted(s.get("shots") or [], key=lambda shot: shot["idx"])
    return VideoDoc(**{**fields, "id": video_id}, added_at=s.get("added_at", 0) / 1000,
                    shots=[(shot["start"], shot["end"]) for shot in shots],
                    text_spans=[TextSpan.from_json(span) for span in s.get("text_spans") or []])


def product_source(product: Product) -> dict:
    return {"sku": product.sku, "title": product.title, "brand": product.brand, "price": product.price,
            "currency": product.currency, "url": product.url, "category": product.category,
            "aliases": list(product.aliases), "images": sorted({str(path) for path in product.images}),
            "details": [{"name": name, "value": value} for name, value in product.details],
            "views": [{"path": path, "view": view} for path, view in product.views]}


def product_from_source(s: dict) -> Product:
    return Product(sku=s["sku"], title=s.get("title", ""), brand=s.get("brand", ""), price=s.get("price"),
                   currency=s.get("currency", ""), url=s.get("url", ""), category=s.get("category", ""),
                   aliases=tuple(s.get("aliases") or ()),
                   details=tuple((d.get("name", ""), d.get("value", "")) for d in s.get("details") or ()),
                   views=tuple((v.get("path", ""), v.get("view", "")) for v in s.get("views") or ()))


def path_id(path: str) -> str:
    """Document ids are limited to 512 bytes; paths are not."""
    return hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()


def face_source(face_id: int, item_id: int, kind: str, box, score: float, size: float, sharpness: float,
                usable: bool, embedding: np.ndarray, track_id: int | None, person_id: int | None = None) -> dict:
    return {"id": face_id, "item_id": item_id, "kind": kind, "box": [float(v) for v in box], "score": float(score),
            "size": float(size), "sharpness": float(sharpness), "usable": bool(usable),
            "embedding": vector_base64(embedding), "track_id": track_id, "person_id": person_id}


def track_source(track_id: int, video_id: int, shot: int, start: float, end: float, faces: int, usable: bool,
                 embedding: np.ndarray, person_id: int | None = None) -> dict:
    return {"id": track_id, "video_id": video_id, "shot": shot, "start": start, "end": end, "faces": faces,
            "usable": bool(usable), "embedding": vector_base64(embedding), "person_id": person_id}


def person_source(person_id: int, name: str, hidden: bool = False, created_at: float | None = None,
                  references: Sequence[np.ndarray] = (), rejected: Sequence[np.ndarray] = (),
                  aliases: Sequence[str] = ()) -> dict:
    return {"id": person_id, "name": name, "hidden": bool(hidden),
            "created_at": int((created_at or time.time()) * 1000),
            "references": {"vectors": [vector_base64(v) for v in references]},
            "rejected": {"vectors": [vector_base64(v) for v in rejected]}, **person_names(name, aliases)}


def person_names(name: str, aliases: Sequence[str]) -> dict:
    """The fields a person is found by: the name, the aliases and their spelling keys (text/names.py)."""
    return {"name": name, "aliases": list(aliases), "name_keys": spelling_keys(name, aliases)}


def stored_vectors(source: dict, field: str) -> list[np.ndarray]:
    """A person's `references` or `rejected` vectors."""
    return [vector_from_base64(v) for v in (source.get(field) or {}).get("vectors", [])]


def set_person_script(person: int | None) -> dict:
    return {"source": "ctx._source.person_id = params.person", "params": {"person": person}}


def face_row(s: dict) -> FaceRow:
    return FaceRow(s["id"], s["item_id"], tuple(s["box"]), s["score"], s["size"], s["sharpness"], s["usable"],
                   vector_from_base64(s["embedding"]), s.get("track_id"), s.get("person_id"))


def track_record(s: dict) -> TrackRecord:
    return TrackRecord(s["id"], s["video_id"], s["shot"], s["start"], s["end"], s["faces"], s["usable"],
                       vector_from_base64(s["embedding"]), s.get("person_id"))


def person_record(s: dict) -> PersonRecord:
    return PersonRecord(s["id"], s.get("name", ""), bool(s.get("hidden")), s.get("created_at", 0) / 1000,
                        tuple(stored_vectors(s, "references")), tuple(stored_vectors(s, "rejected")),
                        tuple(s.get("aliases") or ()))
