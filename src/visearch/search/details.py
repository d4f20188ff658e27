"""The questions the pages, the API and the CLI ask of a library, one function each.

Each answers with plain JSON-ready data; `web/` and the CLI only format it
(and the web checks product links before a browser sees them).
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from visearch.defaults import MOMENT_GAP
from visearch.errors import N_, NotFound
from visearch.indexer.records import Product
from visearch.indexer.text_spans import places
from visearch.storage.browse import BrowseQuery
from visearch.storage.documents import VideoDoc
from visearch.text.hangul import has_hangul
from visearch.people.index import people_index
from visearch.text.names import display_name, names_match
from visearch.people.presence import sightings
from visearch.storage.faces import PersonRow


class NotFoundError(NotFound):
    """No such item, person or video: the web answers 404, the CLI exits 2."""


def find_video(library, key: str | int) -> VideoDoc:
    """An indexed video by id, or by its path (relative paths from the working directory); the CLI's way
    of naming a video (fancam, moments)."""
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and not Path(key).exists()):
        found = library.docs.get_videos([int(key)]).get(int(key))
        if found is None:
            raise NotFoundError(N_("no video %(key)s in the library"), code="video_missing", key=key)
    else:
        wanted = str(Path(key).expanduser().resolve())
        ids = [s.id for s in library.docs.file_states() if s.kind == "video" and s.path == wanted]
        if not ids:
            failed = [f.reason for f in library.docs.failures() if str(f.path) == wanted]
            hint = (f"the indexer could not read it: {failed[0]}" if failed
                    else "index it first: visearch index " + str(key) if Path(wanted).exists() else "no such file")
            raise NotFoundError(N_("%(key)s: not an indexed video (%(hint)s)"), code="video_not_indexed", key=key,
                                hint=hint)
        found = library.docs.get_videos(ids)[ids[0]]
    if found.error:
        raise NotFoundError(N_("%(path)s: the indexer could not read this video (%(error)s)"),
                            code="video_unreadable", path=found.path, error=found.error)
    return found


def library_stats(library) -> dict:
    manifest = library.manifest
    return {
        **library.docs.counts(),
        "vectors": len(library.vectors) if manifest.dim else 0,
        "encoder": manifest.encoder, "clip": manifest.clip, "semantic": manifest.semantic,
        "precision": manifest.precision, "dim": manifest.dim,
        "ocr": manifest.ocr, "ocr_scripts": manifest.ocr_scripts, "faces_backend": manifest.faces,
        "backend": manifest.backend, "vector_index": manifest.vector_index, "schema_version": manifest.schema_version,
        "notes": text_notes(manifest),
    }


def text_notes(manifest) -> list[str]:
    """Why Hangul in this library's pictures is not searchable, if it is not."""
    from visearch.indexer.models.tesseract import missing_reason

    if not manifest.ocr or manifest.ocr == "off":
        return []
    missing = missing_reason()
    if missing:
        return [missing]
    if "hangul" not in manifest.ocr_scripts:
        return ["this library's text was read without Hangul: `visearch index --reocr` reads it again"]
    return []


def product_json(product: Product | None) -> dict | None:
    if product is None:
        return None
    return {k: v for k, v in asdict(product).items() if k != "images"}


def item_details(library, item_id: int) -> dict:
    """Everything the item page shows: the item, its text, faces with their people, product and video."""
    doc = library.docs.get([item_id]).get(item_id)
    if doc is None:
        raise NotFoundError(N_("no item %(item_id)s"), code="item_missing", item_id=item_id)
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
        "id": doc.id, "kind": doc.kind, "path": doc.path, "shown": shown_path(doc.path, library.indexed_roots()),
        "width": doc.width, "height": doc.height,
        "format": doc.format, "source": doc.source, "added_at": doc.added_at, "thumbnail": doc.thumbnail,
        "time": doc.time, "shot": doc.shot, "video": video,
        "ocr": [{"text": line.text, "box": [round(v, 1) for v in line.bounds], "confidence": round(line.confidence, 3)}
                for line in doc.ocr],
        "faces": [{"id": f.id, "box": [round(v, 1) for v in f.box], "score": round(f.score, 3), "usable": f.usable,
                   "person": None if f.person_id is None else {"id": f.person_id, "name": names.get(f.person_id, "")}}
                  for f in faces],
        "product": product_json(product),
    }


def shown_path(path: str, roots: list[str]) -> str:
    """A file as a page shows it: from the folder that was indexed (Pictures/trip/a.jpg), never the server's
    absolute path; a file outside every indexed folder shows its name. Pure."""
    for root in sorted(roots, key=len, reverse=True):
        base = root.rstrip("/")
        if path == base or path.startswith(base + "/"):
            return base.rsplit("/", 1)[-1] + path[len(base):]
    return path.rsplit("/", 1)[-1]


def browse_page(library, query: BrowseQuery) -> dict:
    page = library.docs.browse(query)
    docs = library.docs.get(page.ids)
    products = library.docs.products_for(page.ids)
    return {
        "total": page.total, "page": query.page, "pages": page.pages, "per_page": query.per_page,
        "facets": page.facets,
        "items": [
            {"id": i, "kind": docs[i].kind, "path": docs[i].path, "thumbnail": docs[i].thumbnail, "time": docs[i].time,
             "ocr_text": docs[i].ocr_text, "product": product_json(products.get(i))}
            for i in page.ids if i in docs
        ],
    }


def video_people(library, video_id: int) -> dict:
    """An indexed video and the people the index saw in it, the most seen first (for fancams)."""
    video = library.docs.get_videos([video_id]).get(video_id)
    if video is None:
        raise NotFoundError(N_("no video %(video_id)s"), code="video_missing", video_id=video_id)
    counts: dict[int, int] = {}
    for seen in sightings(library, video):
        if seen.face.person_id is not None:
            counts[seen.face.person_id] = counts.get(seen.face.person_id, 0) + 1
    rows = {row.id: row for row in library.faces.people(list(counts))}
    return {"video": {"id": video.id, "path": video.path, "duration": video.duration},
            "people": [{"id": p, "name": rows[p].name if p in rows else "", "sightings": counts[p]}
                       for p in sorted(counts, key=lambda p: (-counts[p], p)) if p in rows]}


def video_timeline(library, video_id: int) -> dict:
    """A video's rows for the timeline: one per tag and one per person, each with its segments; and its
    people (`video_people`'s), so a page asks once."""
    seen = video_people(library, video_id)
    tags = {tag.id: tag.name for tag in library.tags.tags()}
    by_tag: dict[int, list] = {}
    for tag_id, segment in library.tags.segments(video_id=video_id):
        by_tag.setdefault(tag_id, []).append({"start": round(segment.start, 3), "end": round(segment.end, 3),
                                              "score": round(segment.score, 4)})
    rows = [{"kind": "tag", "id": tag_id, "name": tags.get(tag_id, ""), "segments": segments}
            for tag_id, segments in sorted(by_tag.items(), key=lambda pair: tags.get(pair[0], "").lower())]
    rows += text_rows(library.docs.get_videos([video_id])[video_id].text_spans)
    index = people_index(library)
    for entry in seen["people"]:
        clips = [c for c in index.clips(entry["id"]).clips if c.video == video_id]
        rows.append({"kind": "person", "id": entry["id"], "name": entry["name"],
                     "segments": [{"start": round(c.start, 3), "end": round(c.end, 3), "score": round(c.score, 4)}
                                  for c in clips]})
    return {**seen["video"], "people": seen["people"], "rows": rows}


MIN_ROW_TEXT = 3  # letters or digits: a shorter reading ("CI") is a fragment of a logo or noise, not a caption


def text_rows(spans) -> list[dict]:
    """One timeline row per place text shows on screen, named by what it showed longest; each span its text.
    A place where nothing longer than a fragment was read has no row. Pure."""
    rows = []
    spans = [span for span in spans if sum(ch.isalnum() for ch in span.text) >= MIN_ROW_TEXT]
    for number, place in enumerate(places(spans)):
        shown: dict[str, float] = {}
        for span in place:
            shown[span.text] = shown.get(span.text, 0.0) + span.end - span.start
        rows.append({"kind": "text", "id": number, "name": max(shown, key=shown.__getitem__), "segments": [
            {"start": round(s.start, 3), "end": round(s.end, 3), "score": round(s.confidence, 4), "text": s.text}
            for s in place]})
    return rows


def person(library, person_id: int) -> PersonRow:
    rows = library.faces.people([person_id])
    if not rows:
        raise NotFoundError(N_("no person %(person_id)s"), code="person_missing", person_id=person_id)
    return rows[0]


def person_json(row: PersonRow) -> dict:
    return {"id": row.id, "name": row.name, "hidden": row.hidden, "faces": row.faces, "photos": row.photos,
            "videos": row.videos, "tracks": row.tracks, "aliases": list(row.aliases),
            "romanized": display_name(row.name) if has_hangul(row.name) else "",
            "cover": None if row.cover_item is None else {"item": row.cover_item, "box": list(row.cover_box),
                                                          "face": row.cover_face}}


def people_list(library, *, include_hidden: bool = False, query: str = "") -> list[dict]:
    """People (hidden ones too with `include_hidden`); with `query`, those a typed name could mean, in either
    script (a part of the name or an alias, or the same spelling: Karina finds 카리나)."""
    rows = [row for row in library.faces.people() if include_hidden or not row.hidden]
    if query.strip():
        rows = [row for row in rows if names_match(query, row.id, row.name, row.aliases)]
    return [person_json(row) for row in rows]


def person_faces(library, person_id: int, *, limit: int = 500) -> list[dict]:
    """A person's faces, the best first, one per video track (what a user picks to correct)."""
    person(library, person_id)
    faces, tracks = [], set()
    for face in library.faces.person_faces(person_id):
        if face.track_id is not None:
            if face.track_id in tracks:
                continue
            tracks.add(face.track_id)
        faces.append(face)
        if len(faces) == limit:
            break
    docs = library.docs.get([f.item_id for f in faces])
    return [{"id": f.id, "item": f.item_id, "path": docs[f.item_id].path, "time": docs[f.item_id].time,
             "kind": docs[f.item_id].kind, "track": f.track_id, "box": [round(v, 1) for v in f.box],
             "usable": f.usable} for f in faces if f.item_id in docs]


def person_clips(library, person_id: int, *, gap: float = MOMENT_GAP, pending: bool = True) -> dict:
    """"All clips of this person": time segments per video, plus their photos (the `clips --json` shape)."""
    person(library, person_id)  # NotFoundError for an unknown id
    return clips_json(library, people_index(library).clips(person_id, gap=gap), pending=pending)


def clips_json(library, result, *, pending: bool = True) -> dict:
    """A `Clips` answer with each segment's video path and thumbnail, and each photo's path; with `pending`,
    a note when faces wait for the user's answer (a page that shows those questions itself leaves it out)."""
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
        "notes": result.notes + (_pending(library, result.person.get("id")) if pending else []),
    }


def _pending(library, person_id: int | None) -> list[str]:
    """A note when faces may be this person but wait for the user's answer: their clips are not in yet."""
    from visearch.people.review import suggestions

    if person_id is None:
        return []
    waiting = sum(1 for s in suggestions(people_index(library)) if s.person == person_id)
    return [f"{waiting} more face{'s' if waiting > 1 else ''} may be this person: answer them with "
            "`visearch people review` or on the Review page"] if waiting else []
