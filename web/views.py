"""Helpers shared by the API and the pages: request parsing and JSON shapes. No models, no I/O of their own."""
from __future__ import annotations

import hmac
from dataclasses import asdict

from flask import abort, current_app, request

from search.browse import BrowseQuery
from web.uploads import BadUpload


def number(value, name: str, *, default: float, low: float, high: float) -> float:
    if value in (None, ""):
        return default
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise BadUpload(400, f"{name} must be a number, got {value!r}") from None
    if not low <= result <= high:
        raise BadUpload(400, f"{name} must be between {low:g} and {high:g}")
    return result


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
        "product": None if product is None else {k: v for k, v in asdict(product).items() if k != "images"},
    }


def browse_query(args) -> BrowseQuery:
    def ids(name: str) -> tuple[int, ...]:
        try:
            return tuple(int(v) for v in args.getlist(name) if v != "")
        except ValueError:
            raise BadUpload(400, f"{name} must be person ids") from None

    has_text = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}.get(
        args.get("has_text", ""), None)
    try:
        return BrowseQuery(
            kind=args.get("kind") or None, people=ids("person"), person_mode=args.get("person_mode", "and"),
            not_people=ids("not_person"), has_text=has_text, text=args.get("text", "")[:200],
            brand=args.get("brand", ""), category=args.get("category", ""), source=args.get("source", ""),
            sort=args.get("sort", "added"),
            descending=args.get("order", "desc" if args.get("sort", "added") == "added" else "asc") == "desc",
            page=int(args.get("page", 1) or 1), per_page=int(args.get("per_page", 48) or 48),
        )
    except ValueError as exc:
        raise BadUpload(400, str(exc)) from None


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
             "product": None if i not in products else {k: v for k, v in asdict(products[i]).items() if k != "images"}}
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
