"""Helpers shared by the API and the pages: request parsing and JSON shapes. No models, no I/O of their own."""
from __future__ import annotations

import hmac
from dataclasses import asdict

from flask import abort, current_app, request

from search.browse import BrowseQuery
from web.security import http_url


def require_token() -> None:
    """Write endpoints need the token when the server is reachable from other machines."""
    token = current_app.config.get("WRITE_TOKEN")
    if not token:
        return
    given = request.headers.get("X-Visearch-Token") or request.cookies.get("visearch_token") or ""
    if not hmac.compare_digest(given, token):
        abort(403, "this server needs a write token (X-Visearch-Token header) for changes")


def stats_json(library) -> dict:
    manifest = library.manifest
    return {
        **library.docs.counts(),
        "vectors": len(library.vectors) if manifest.dim else 0,
        "encoder": manifest.encoder, "clip": manifest.clip, "semantic": manifest.semantic,
        "precision": manifest.precision, "dim": manifest.dim,
        "ocr": manifest.ocr, "faces_backend": manifest.faces, "backend": manifest.backend,
        "vector_index": manifest.vector_index, "schema_version": manifest.schema_version,
    }


def item_json(library, item_id: int) -> dict:
    doc = library.docs.get([item_id]).get(item_id)
    if doc is None:
        abort(404, f"no item {item_id}")
    product = library.docs.products_for([item_id]).get(item_id)
    faces = library.faces.faces_of([item_id])[item_id]
    names = {row.id: row.name for row in library.faces.people([f.person_id for f in faces if f.person_id])}
    video = None
    if doc.video_id is not None:
        found = library.docs.get_videos([doc.video_id]).get(doc.video_id)
        if found is not None:
            video = {"id": found.id, "path": found.path, "duration": found.duration, "fps": found.fps,
                     "width": found.width, "height": found.height, "codec": found.codec,
                     "shots": [list(shot) for shot in found.shots], "error": found.error}
    return {
        "id": doc.id, "kind": doc.kind, "path": doc.path, "width": doc.width, "height": doc.height,
        "format": doc.format, "source": doc.source, "added_at": doc.added_at, "thumbnail": doc.thumbnail,
        "time": doc.time, "shot": doc.shot, "video": video,
        "ocr": [{"text": line.text, "box": [round(v, 1) for v in line.bounds], "confidence": round(line.confidence, 3)}
                for line in doc.ocr],
        "faces": [{"id": f.id, "box": [round(v, 1) for v in f.box], "score": round(f.score, 3), "usable": f.usable,
                   "person": None if f.person_id is None else {"id": f.person_id, "name": names.get(f.person_id, "")}}
                  for f in faces],
        "product": product_json(product),
    }


def browse_query(params: dict) -> BrowseQuery:
    """Validated parameters (see `web.params.BROWSE`) → the store's query value."""
    sort = params.get("sort") or "added"
    order = params.get("order") or ("desc" if sort == "added" else "asc")
    has_text = {"1": True, "0": False}.get(params.get("has_text") or "")
    return BrowseQuery(
        kind=params.get("kind"), people=params.get("person") or (), person_mode=params.get("person_mode") or "and",
        not_people=params.get("not_person") or (), has_text=has_text, text=params.get("text") or "",
        brand=params.get("brand") or "", category=params.get("category") or "", source=params.get("source") or "",
        sort=sort, descending=order == "desc", page=params.get("page") or 1, per_page=params.get("per_page") or 48,
    )


def product_json(product) -> dict | None:
    """A catalogue row for display: only http(s) product links survive (no `javascript:` from a CSV)."""
    if product is None:
        return None
    data = {k: v for k, v in asdict(product).items() if k != "images"}
    data["url"] = http_url(data.get("url")) or ""
    return data


def safe_response(response: dict) -> dict:
    """A search response's products with their links checked, as `product_json` does."""
    for result in response.get("results", []):
        if result.get("product"):
            result["product"]["url"] = http_url(result["product"].get("url")) or ""
    return response


def browse_json(library, query: BrowseQuery) -> dict:
    page = library.docs.browse(query)
    docs = library.docs.get(page.ids)
    products = library.docs.products_for(page.ids)
    return {
        "total": page.total, "page": query.page, "pages": page.pages, "per_page": query.per_page,
        "facets": page.facets,
        "items": [
            {"id": i, "kind": docs[i].kind, "path": docs[i].path, "thumbnail": docs[i].thumbnail, "time": docs[i].time,
             "ocr_text": docs[i].ocr_text,
             "product": product_json(products.get(i))}
            for i in page.ids if i in docs
        ],
    }


def person_row(library, person_id: int):
    rows = library.faces.people([person_id])
    if not rows:
        abort(404, f"no person {person_id}")
    return rows[0]


def person_json(row) -> dict:
    return {"id": row.id, "name": row.name, "hidden": row.hidden, "faces": row.faces, "photos": row.photos,
            "videos": row.videos, "tracks": row.tracks,
            "cover": None if row.cover_item is None else {"item": row.cover_item, "box": list(row.cover_box),
                                                          "face": row.cover_face}}


def clips_json(library, result) -> dict:
    """The `visearch clips --json` shape."""
    videos = library.docs.get_videos({segment.video for segment in result.clips})
    wanted = [i for i, _, _ in result.photos] + [s.thumbnail_item for s in result.clips if s.thumbnail_item]
    items = library.docs.get(wanted)
    return {
        "person": result.person,
        "clips": [
            {"video": videos[s.video].path, "video_id": s.video, "start": round(s.start, 3), "end": round(s.end, 3),
             "score": s.score, "shots": s.shots,
             "thumbnail": items[s.thumbnail_item].thumbnail if s.thumbnail_item in items else None,
             "thumbnail_item": s.thumbnail_item, "duration": videos[s.video].duration}
            for s in result.clips if s.video in videos
        ],
        "photos": [{"id": i, "path": items[i].path, "score": score} for i, _, score in result.photos if i in items],
        "notes": result.notes,
    }
