"""HTML pages and media. Media is served by id, never by a client-supplied path."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Blueprint, abort, after_this_request, render_template, request, send_file

from web import views
from web.services import services

pages = Blueprint("pages", __name__)


def _library_or_none():
    svc = services()
    return svc.library if svc.has_library() else None


@pages.get("/")
def home():
    library = _library_or_none()
    stats = views.stats_json(library) if library else None
    return render_template("search.html", stats=stats, page="search")


@pages.get("/items/<int:item_id>")
def item(item_id: int):
    library = services().library
    return render_template("item.html", item=views.item_json(library, item_id), page="browse")


@pages.get("/people")
def people():
    library = _library_or_none()
    show_all = request.args.get("all") == "1"
    rows = [r for r in library.faces.people() if show_all or not r.hidden] if library else []
    return render_template("people.html", people=[views.person_json(r) for r in rows], show_all=show_all,
                           page="people")


@pages.get("/people/<int:person_id>")
def person(person_id: int):
    library = services().library
    row = views.person_row(library, person_id)
    clips = views.clips_json(library, services().people().clips(person_id))
    by_video: dict[int, dict] = {}
    for clip in clips["clips"]:
        entry = by_video.setdefault(clip["video_id"], {"id": clip["video_id"], "path": clip["video"],
                                                       "name": Path(clip["video"]).name,
                                                       "duration": clip["duration"], "clips": []})
        entry["clips"].append(clip)
    return render_template("person.html", person=views.person_json(row), videos=list(by_video.values()),
                           photos=clips["photos"], page="people")


@pages.get("/browse")
def browse():
    library = _library_or_none()
    query = views.browse_query(request.args)
    data = views.browse_json(library, query) if library else None
    people = [views.person_json(r) for r in library.faces.people()] if library else []
    return render_template("browse.html", data=data, query=query, people=people, args=request.args, page="browse")


# -- media: only what the library indexed, looked up by id


def _send(path: str, mimetype: str | None = None):
    if not os.path.isfile(path):
        abort(404, "the file is no longer on disk")
    return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)  # conditional: Range requests


@pages.get("/media/<int:item_id>")
def media(item_id: int):
    doc = services().library.docs.get([item_id]).get(item_id)
    if doc is None:
        abort(404, f"no item {item_id}")
    if doc.kind == "frame":
        video = services().library.docs.get_videos([doc.video_id]).get(doc.video_id)
        if video is None:
            abort(404)
        return _send(video.path, _video_type(video.path))
    return _send(doc.path)


@pages.get("/media/video/<int:video_id>")
def video(video_id: int):
    found = services().library.docs.get_videos([video_id]).get(video_id)
    if found is None:
        abort(404, f"no video {video_id}")
    return _send(found.path, _video_type(found.path))


@pages.get("/thumb/<int:item_id>")
def thumb(item_id: int):
    library = services().library
    doc = library.docs.get([item_id]).get(item_id)
    if doc is None or not doc.thumbnail:
        abort(404, f"no thumbnail for item {item_id}")
    return _send(str(library.root / doc.thumbnail), "image/jpeg")


@pages.get("/face/<int:face_id>")
def face(face_id: int):
    """A face cut from its item's thumbnail: covers for the people grid."""
    import io

    from PIL import Image

    library = services().library
    found = library.faces.face(face_id)
    doc = library.docs.get([found.item_id]).get(found.item_id) if found else None
    if doc is None or not doc.thumbnail or not (library.root / doc.thumbnail).is_file():
        abort(404, f"no face {face_id}")
    thumb = Image.open(library.root / doc.thumbnail)
    scale = thumb.width / max(doc.width, 1)
    x0, y0, x1, y1 = (v * scale for v in found.box)
    margin = (x1 - x0) * 0.25
    crop = thumb.crop((max(0, x0 - margin), max(0, y0 - margin), min(thumb.width, x1 + margin),
                       min(thumb.height, y1 + margin))).resize((128, 128))
    buffer = io.BytesIO()
    crop.convert("RGB").save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return send_file(buffer, mimetype="image/jpeg", max_age=3600)


@pages.get("/export/clip/<int:video_id>")
def export_clip(video_id: int):
    from search.export import cut_clip

    found = services().library.docs.get_videos([video_id]).get(video_id)
    if found is None:
        abort(404, f"no video {video_id}")
    start = views.number(request.args.get("start"), "start", default=0.0, low=0.0, high=found.duration)
    end = views.number(request.args.get("end"), "end", default=found.duration, low=0.0, high=found.duration + 1)
    if end - start < 0.05:
        abort(400, "end must come after start")
    target = Path(tempfile.mkdtemp(prefix="visearch-clip-")) / f"{Path(found.path).stem}-{start:.1f}-{end:.1f}.mp4"
    cut_clip(Path(found.path), start, end, target)
    return _send_and_delete(target)


@pages.get("/export/reel/<int:person_id>")
def export_reel(person_id: int):
    from search.export import compile_reel, export_segments

    library = services().library
    views.person_row(library, person_id)
    clips = views.clips_json(library, services().people().clips(person_id))["clips"]
    if not clips:
        abort(404, "this person has no clips")
    folder = Path(tempfile.mkdtemp(prefix="visearch-reel-"))
    files = export_segments([(Path(c["video"]), c["start"], c["end"]) for c in clips], folder)
    return _send_and_delete(compile_reel(files, folder / f"person-{person_id}-reel.mp4"))


def _send_and_delete(path: Path):
    @after_this_request
    def cleanup(response):
        response.call_on_close(lambda: _remove_tree(path.parent))
        return response

    return send_file(path, mimetype="video/mp4", as_attachment=True, download_name=path.name)


def _remove_tree(folder: Path) -> None:
    for child in folder.iterdir():
        child.unlink(missing_ok=True)
    folder.rmdir()


def _video_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return {".webm": "video/webm", ".mkv": "video/x-matroska", ".mov": "video/quicktime",
            ".avi": "video/x-msvideo"}.get(suffix, "video/mp4")
